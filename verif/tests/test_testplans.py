"""Every testplan in verif/testplans/ parses and names only things that exist: its launchers, the
pytest functions of its `pytest:` tests, its cocotb tests, and covergroups of its own block. A typo
in a testplan would otherwise only show up as an unmapped testpoint in a report nobody reads."""

import re
import sys
from pathlib import Path

import pytest

from tbkit import report
from tbkit.runner import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from sllm import known_testcases  # noqa: E402

TESTS = ROOT / "verif" / "tests"
PLANS = report.load_testplans()


def _functions(path: Path) -> set[str]:
    return set(re.findall(r"^def (test_\w+)", path.read_text(), re.M))


PYTEST_FUNCTIONS = set().union(*(_functions(p) for p in TESTS.glob("test_*.py")))


def test_every_block_launcher_is_in_a_testplan():
    """Each pytest function that launches a block's testbench (test_<x>.py beside tb_<x>.py, bar
    the parameter-check rows) is the launcher of some testplan."""
    launchers = set()
    for p in TESTS.glob("test_*.py"):
        if (TESTS / ("tb_" + p.name.removeprefix("test_"))).is_file():
            launchers |= {f for f in _functions(p) if "rejects" not in f}
    planned = {name for plan in PLANS.values() for name in plan.get("launchers", [])}
    assert launchers <= planned, f"launchers in no testplan: {sorted(launchers - planned)}"


@pytest.mark.parametrize("name", sorted(PLANS))
def test_testplan_names_exist(name):
    plan = PLANS[name]
    launchers = plan.get("launchers", [])
    assert launchers, f"{name}.yml names no launcher"
    missing = [f for f in launchers if f not in PYTEST_FUNCTIONS]
    assert not missing, f"{name}.yml: launchers {missing} are no pytest function in verif/tests/"
    cocotb = known_testcases()
    for tp in plan["testpoints"]:
        assert tp.get("desc") and tp.get("tests"), f"{name}.yml: testpoint {tp.get('name')} lacks desc or tests"
        for t in tp["tests"]:
            if t.startswith("pytest:"):
                assert t[7:] in PYTEST_FUNCTIONS, f"{name}.yml: {tp['name']}: no pytest function {t[7:]}"
            else:
                assert t in cocotb, f"{name}.yml: {tp['name']}: no cocotb test {t!r} in any testbench"
    for cg in plan.get("covergroups", []):
        assert cg["name"].split(".")[0] == name, f"{name}.yml: covergroup {cg['name']} is not one of {name}'s"
