"""Regression-wide pytest hooks: soak repeats and deterministic sharding.

Soak (`--soak N`, what `make soak SEEDS=N` passes): every non-slow simulation test of a block
launcher (verif/tests/test_<block>.py with a verif/tests/tb_<block>.py beside it; the
`*reject*` tests, which check that illegal parameters stop the build, are left out) is repeated N
times, ids `[soak0-...]` .. `[soak<N-1>-...]`, each with its own fresh seed. The seeds come from
`--soak-base` (a random number the caller draws once, so every xdist worker agrees) hashed with
the test's node id and its repeat index; the test sees it as SEED, so the runner uses it and
records it in runs.jsonl, and it is attached to the JUnit case as the property `seed`.

Sharding (`--shard i/N` or SHARD=i/N, 1 <= i <= N): after every other selection (-m, -k), the
selected items are sorted and item k goes to shard k % N + 1. Every machine that
collects the same commit computes the same split, the N shards are disjoint and together hold
every item exactly once, and their sizes differ by at most one (a hash would leave them uneven
for a few hundred items). The order is by the node id without its soak repeat, so a test's
repeats sit next to each other and land on different shards. With --soak, only the repeats run
(the other tests are deselected).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tbkit import cli

TESTS = Path(__file__).resolve().parent / "tests"


def pytest_addoption(parser):
    group = parser.getgroup("spatial-llm-rtl")
    group.addoption("--soak", type=int, default=0, metavar="N",
                    help="repeat every non-slow block simulation test N times with fresh seeds")
    group.addoption("--soak-base", type=int, default=None, metavar="B",
                    help="the number the soak seeds are drawn from (default: random, shared by xdist workers)")
    group.addoption("--shard", default=None, metavar="i/N",
                    help="run only shard i of N (1-based; default: the SHARD environment variable)")


def _shard_of(config) -> tuple[int, int] | None:
    try:
        return cli.shard(config.getoption("--shard") or os.environ.get("SHARD"))
    except cli.UserError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_configure(config):
    _shard_of(config)  # a bad SHARD stops pytest before collection, with the accepted form
    try:
        cli.env_int("SIM_TIMEOUT", None, 0)  # and so does a bad per-simulation time limit
    except cli.UserError as exc:
        raise pytest.UsageError(str(exc)) from None
    if config.getoption("--soak") < 0:
        raise pytest.UsageError(f"--soak={config.getoption('--soak')} is out of range; accepted: a whole number >= 0")
    if config.getoption("--soak") and config.getoption("--soak-base") is None:
        # xdist workers inherit the controller's options: draw the base once, in the controller.
        if not hasattr(config, "workerinput"):
            config.option.soak_base = int.from_bytes(os.urandom(4), "little")


def is_block_launcher(path) -> bool:
    path = Path(str(path))
    return (path.parent == TESTS and path.name.startswith("test_")
            and (TESTS / ("tb_" + path.name.removeprefix("test_"))).is_file())


def pytest_generate_tests(metafunc):
    n = metafunc.config.getoption("--soak")
    if not n or "soak_seed" not in metafunc.fixturenames:
        return
    if (not is_block_launcher(metafunc.definition.path) or metafunc.definition.get_closest_marker("slow")
            or "reject" in metafunc.definition.name):
        return
    metafunc.parametrize("soak_seed", range(n), ids=[f"soak{i}" for i in range(n)], indirect=True)


def soak_seed_of(base: int, node: str, index: int) -> int:
    """The seed of repeat `index` of `node` (its id without the soak part), from the soak base."""
    digest = hashlib.sha256(f"{base}:{node}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "little") % (2**31 - 1) + 1


def base_node(node: str) -> str:
    """'test_x.py::test_f[soak3-icarus-A1]' -> 'test_x.py::test_f[icarus-A1]' (what reruns it)."""
    from tbkit.report import soak_base_node

    return soak_base_node(node)


@pytest.fixture(autouse=True)
def soak_seed(request, monkeypatch, record_property):
    """In a soak, this repeat's seed as SEED (the runner reads it); otherwise nothing."""
    index = getattr(request, "param", None)
    if index is None:
        yield None
        return
    node = base_node(request.node.nodeid)
    seed = soak_seed_of(request.config.getoption("--soak-base"), node, index)
    monkeypatch.setenv("SEED", str(seed))
    record_property("seed", seed)
    record_property("rerun", f"SEED={seed} .venv/bin/python -m pytest '{node}'")
    yield seed


def _is_repeat(item) -> bool:
    return "soak_seed" in getattr(getattr(item, "callspec", None), "params", {})


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    deselected = []
    if config.getoption("--soak"):  # a soak runs the repeats only
        deselected = [it for it in items if not _is_repeat(it)]
        items[:] = [it for it in items if _is_repeat(it)]
    shard = _shard_of(config)
    if shard:
        i, n = shard
        # Sorted by the test without its repeat index, then the id: a test's repeats are neighbours.
        ordered = sorted(items, key=lambda it: (base_node(it.nodeid), it.nodeid))
        keep = {id(it) for k, it in enumerate(ordered) if k % n == i - 1}
        deselected += [it for it in items if id(it) not in keep]
        items[:] = [it for it in items if id(it) in keep]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
