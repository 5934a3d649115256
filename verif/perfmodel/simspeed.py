"""Simulation speed: simulated cycles per wall-clock second, and the regression's wall time.

Cycles come from the perf benchmarks (perf_linear.json rows: one GEMV, cycles counted in the
simulation); the wall time of the same run comes from sim_build/reports/runs.jsonl, where
verif/tbkit/runner.py records every simulation with the real time of each cocotb test. The rate
is per test: the cycles of the measured vector over the test's whole real time (which includes
reset and the SV memory's $readmemh of the weights, written by Python), so it is a lower bound
on the simulator's raw speed and the speed an engineer actually sees.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "sim_build" / "reports"

# testbench top -> (perf testcase, the parameter names that identify a benchmark row)
BENCHES = {
    "tb_linear": ("test_perf", {"Lanes": "lanes", "K": "K", "N": "N"}),
}


def read_runs(path: Path = REPORTS / "runs.jsonl", start_line: int = 0) -> list[dict]:
    if not path.is_file():
        return []
    lines = path.read_text().splitlines()[start_line:]
    return [json.loads(line) for line in lines if line.strip()]


def perf_speeds(rows: list[dict], runs: list[dict], top: str = "tb_linear", benchmark: str = "perf_linear") -> list[dict]:
    """Match each benchmark row (with its `cycles`) with the newest run of the same parameters.

    rows may carry `sim` (default verilator). Returns {benchmark, sim, config, cycles, seconds,
    cycles_per_s} for every row with a matching run."""
    testcase, keys = BENCHES[top]
    out = []
    for r in rows:
        sim = r.get("sim", "verilator")
        want = {p: int(r[k]) for p, k in keys.items()}
        for run in reversed(runs):
            params = run.get("parameters", {})
            if run.get("top") != top or run.get("sim") != sim or any(params.get(p) != v for p, v in want.items()):
                continue
            t = [x for x in run.get("tests", []) if x["name"] == testcase and x["passed"]]
            if t and t[0]["real_time_s"] > 0:
                out.append({"benchmark": benchmark, "sim": sim, "config": {k: int(r[k]) for k in keys.values()},
                            "cycles": int(r["cycles"]), "seconds": t[0]["real_time_s"],
                            "cycles_per_s": int(r["cycles"]) / t[0]["real_time_s"]})
                break
    return out


def summarise(speeds: list[dict]) -> dict:
    """Per simulator: the rate of its longest measured run (the least dominated by fixed costs)."""
    best = {}
    for s in speeds:
        if s["sim"] not in best or s["cycles"] > best[s["sim"]]["cycles"]:
            best[s["sim"]] = s
    return {sim: {"cycles_per_s": round(s["cycles_per_s"]), "cycles": s["cycles"], "seconds": s["seconds"],
                  "config": s["config"]} for sim, s in best.items()}


def regression_wall_time(junit: Path = REPORTS / "junit.xml") -> dict | None:
    """Wall time and test count of the last regression (pytest's JUnit XML), per simulator test time."""
    if not junit.is_file():
        return None
    root = ET.parse(junit).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    wall = sum(float(s.get("time", 0)) for s in suites)
    per_sim: dict[str, float] = {}
    n = failed = 0
    for case in root.iter("testcase"):
        n += 1
        name = case.get("name", "")
        sim = "verilator" if "verilator" in name else "icarus" if "icarus" in name else "python"
        per_sim[sim] = per_sim.get(sim, 0.0) + float(case.get("time", 0))
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
    return {"wall_s": round(wall, 1), "tests": n, "failed": failed,
            "test_time_s_by_sim": {k: round(v, 1) for k, v in sorted(per_sim.items())},
            "timestamp": suites[0].get("timestamp") if suites else None,
            "note": "pytest -n auto on 2 cores: test times add up to more than the wall time"}
