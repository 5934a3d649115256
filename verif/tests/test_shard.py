"""Sharding, soak and merge (verif/conftest.py, scripts/sllm.py soak|merge, tbkit.report): the
SHARD=i/N shards partition the collected set, soak repeats get ids and distinct seeds, the soak
report names every failing seed with its command, and merged shards make one report. Fast: the
checks read pytest --collect-only output and synthetic reports; nothing simulates."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tbkit import report
from tbkit.runner import ROOT

FILES = ["verif/tests/test_gelu.py", "verif/tests/test_attention.py", "verif/tests/test_words.py"]


def collect(*args: str, shard: str | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "pytest", "-p", "no:xdist", "--collect-only", "-q", "-m", "not slow", *args, *FILES]
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("SHARD", "SEED")}
    if shard:
        env["SHARD"] = shard
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return [line for line in out.stdout.splitlines() if "::" in line]


@pytest.mark.parametrize("n", [1, 3, 5])
def test_shards_partition_the_set(n):
    everything = collect("--soak", "2")
    shards = [collect("--soak", "2", shard=f"{i}/{n}") for i in range(1, n + 1)]
    ids = [t for s in shards for t in s]
    assert len(ids) == len(set(ids)), "a test is in more than one shard"
    assert sorted(ids) == sorted(everything), "the shards together are not the whole set"
    sizes = [len(s) for s in shards]
    assert max(sizes) - min(sizes) <= 1, f"unbalanced shards {sizes}"
    assert collect("--soak", "2", shard=f"1/{n}") == shards[0], "sharding is not deterministic"


def test_soak_repeats_block_tests_only():
    plain, soaked = collect(), collect("--soak", "3")
    repeated = [t for t in soaked if report.SOAK_ID.search(t)]
    assert repeated == soaked, "a soak runs the repeats only"
    assert repeated and all(report.soak_base_node(t) in plain for t in repeated)
    assert not any("test_words" in t for t in repeated), "a non-simulation test was soaked"
    assert not any("reject" in t for t in repeated), "a deterministic rejection test was soaked"
    per_base = {}
    for t in repeated:
        per_base.setdefault(report.soak_base_node(t), []).append(t)
    assert all(len(v) == 3 for v in per_base.values())


def test_soak_seeds_distinct():
    sys.path.insert(0, str(ROOT / "verif"))
    import conftest

    node = "verif/tests/test_gelu.py::test_gelu[icarus-Lanes1]"
    seeds = {conftest.soak_seed_of(7, node, i) for i in range(100)}
    assert len(seeds) == 100 and all(1 <= s < 2**31 for s in seeds)
    assert conftest.soak_seed_of(7, node, 0) != conftest.soak_seed_of(8, node, 0)


def _run(node, sim, seed, passed=True, test_dir="/nowhere"):
    return {"node": node, "top": "gelu", "sim": sim, "parameters": {"Lanes": 1}, "seed": seed, "test_dir": test_dir,
            "crash": "", "tests": [{"name": "test_smoke", "passed": passed, "message": "" if passed else
                                    "scoreboard: m_axis vector 3 differs", "sim_time_ns": 1, "real_time_s": 0.5}]}


def test_soak_report_names_failing_seeds(tmp_path):
    runs = [_run("verif/tests/test_gelu.py::test_gelu[soak0-icarus-Lanes1]", "icarus", 11),
            _run("verif/tests/test_gelu.py::test_gelu[soak1-icarus-Lanes1]", "icarus", 12, passed=False),
            _run("verif/tests/test_gelu.py::test_gelu[soak0-verilator-Lanes1]", "verilator", 13),
            _run("verif/tests/test_gelu.py::test_gelu[icarus-Lanes1]", "icarus", 14)]  # not a soak run
    soak = report.soak_summary(runs, tmp_path / "none.xml", seeds=2)
    rows = {(r["block"], r["sim"]): r for r in soak["per_block"]}
    assert rows[("gelu", "icarus")]["runs"] == 2 and rows[("gelu", "icarus")]["failed"] == 1
    assert rows[("gelu", "verilator")]["failed"] == 0
    fail = rows[("gelu", "icarus")]["failures"][0]
    assert fail["seed"] == 12 and fail["node"] == "verif/tests/test_gelu.py::test_gelu[icarus-Lanes1]"
    assert fail["rerun"] == "SEED=12 .venv/bin/python -m pytest 'verif/tests/test_gelu.py::test_gelu[icarus-Lanes1]'"
    assert "TESTCASE=test_smoke SEED=12" in fail["waves"]
    assert "seed 12" in report.soak_section(soak)


def test_merge_shards(tmp_path, monkeypatch, capsys):
    """Two shards' sim_build folders -> one junit.xml (every case once), runs.jsonl, soak.json."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import sllm

    shards = []
    for i, (name, seed, ok) in enumerate([("test_gelu[soak0-icarus-Lanes1]", 21, True),
                                          ("test_gelu[soak1-icarus-Lanes1]", 22, False)]):
        d = tmp_path / f"shard{i}" / "reports"
        d.mkdir(parents=True)
        fail = "" if ok else '<failure message="scoreboard">x</failure>'
        (d / "junit.xml").write_text(f'<testsuites><testsuite name="pytest"><testcase classname="verif.tests.test_gelu" '
                                     f'name="{name}" time="1">{fail}</testcase></testsuite></testsuites>')
        (d / "runs.jsonl").write_text(json.dumps(_run(f"verif/tests/test_gelu.py::{name}", "icarus", seed, ok)) + "\n")
        (d / "soak.json").write_text(json.dumps({"seeds_per_test": 2}))
        shards.append(str(d.parent))
    out = tmp_path / "merged"
    out.mkdir()
    monkeypatch.setattr(sllm, "REPORTS", out)
    monkeypatch.setattr(sllm, "JUNIT", out / "junit.xml")
    monkeypatch.setattr(sllm, "SOAK", out / "soak.json")
    monkeypatch.setattr(sllm, "RUNS_LOG", out / "runs.jsonl")
    monkeypatch.setattr(report, "testpoint_status", lambda *a, **k: {})
    assert sllm.merge(shards) == 1  # one shard had a failure
    assert (out / "junit.xml").read_text().count("<testcase") == 2
    assert len((out / "runs.jsonl").read_text().splitlines()) == 2
    soak = json.loads((out / "soak.json").read_text())
    assert soak["runs"] == 2 and soak["failed"] == 1 and soak["seeds_per_test"] == 2
    assert soak["per_block"][0]["failures"][0]["seed"] == 22
    assert "Soak: 2 fresh seeds per test" in (out / "regression.html").read_text()
    assert "merge: 2 shards, 2 pytest tests" in capsys.readouterr().out
