"""Predicted against measured cycles: one row per configuration actually simulated.

Sources of measured cycles (each optional; a missing file adds no rows):
  - sim_build/reports/perf_linear.json   scripts/perf_linear.py: [{K, N, lanes, cycles, ...}]
    (perf.py adds the tiny-config shapes with the same measurement, `extra` rows of the same form)
  - sim_build/reports/perf_attention.json scripts/perf_attention.py: [{d, heads, pos, macs_per_cycle,
    softmax_units, cycles, ...}] -- mapped by `attention_row`; rows it cannot map are reported as such
  - sim_build/<softmax|layernorm>/*/*/run-*/sim.log  the blocks' test_timing lines ("softmax timing
    L=..: ... row period [..]"): the row/vector period the header states
  - sim_build/reports/run.json           `make run`: {"cycles_per_token_layer": c, "layer_config": {...}}
  - sim_build/reports/perf_layer.json    a layer benchmark: [{"config": {...}, "cycles": c}]
    The layer config keys are LayerConfig's (d, heads, d_ffn, pos, lanes{qkv,o,fc1,fc2,attn,ln}, ...).

A row is {source, unit, config, predicted_cycles, measured_cycles, error}, error = predicted /
measured - 1. `check(rows, tol)` lists the rows outside the tolerance (5% by default).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from . import units
from .layer import LayerConfig, layer_config_from_rtl, layer_cycles

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "sim_build" / "reports"
TOLERANCE = 0.05  # issue 13: every row within 5%; make perf fails beyond it


def row(source: str, unit: str, config: dict, predicted: float, measured: float, **extra) -> dict:
    return dict(source=source, unit=unit, config=config, predicted_cycles=float(predicted),
                measured_cycles=float(measured), error=float(predicted) / float(measured) - 1.0, **extra)


def linear_rows(measured: list[dict], source: str = "perf_linear") -> list[dict]:
    out = []
    for m in measured:
        k, n, lanes, cols = int(m["K"]), int(m["N"]), int(m["lanes"]), int(m.get("cols", 1))
        cfg = {"K": k, "N": n, "lanes": lanes, **({"cols": cols} if cols > 1 else {})}
        if "sim" in m:
            cfg["sim"] = m["sim"]
        out.append(row(source, "linear", cfg, units.linear_cycles(k, n, lanes, cols=cols), m["cycles"]))
    return out


def _first(d: dict, *keys):
    for k in keys:
        if k in d:
            return d[k]
    return None


def attention_row(m: dict) -> dict | None:
    """Map one perf_attention.json entry ({d, heads, pos, macs_per_cycle, softmax_units, cycles}:
    last QKV beat -> last output beat); None when its keys are not understood."""
    d, heads = _first(m, "d", "D"), _first(m, "heads", "Heads")
    pos = _first(m, "pos", "position")
    macs = _first(m, "macs_per_cycle", "macs", "Macs", "lanes")
    units_ = _first(m, "softmax_units", "SoftmaxUnits")
    cycles = _first(m, "cycles", "measured_cycles")
    if None in (d, heads, pos, macs, cycles):
        return None
    d, heads, pos, macs, units_ = int(d), int(heads), int(pos), int(macs), int(units_ or 1)
    slices = int(m.get("slices", 1))
    cfg = {"d": d, "heads": heads, "pos": pos, "macs": macs, "softmax_units": units_}
    if slices == 1:
        pred = units.attention_cycles(d, heads, pos + 1, macs, units_)["cycles"]
    else:  # rtl/attention_slices.sv: from the measured QKV stream (its first beat relative to its last)
        qkv = units.Stream(m["qkv_first"], 0, m["qkv_beats"])
        pred = units.attention_slices(qkv, heads, d // heads, pos + 1, macs, units_, m["out_lanes"], slices,
                                      int(m.get("kv_heads", heads))).last
        cfg["slices"] = slices
    return row("perf_attention", "attention", cfg, pred, cycles)


TIMING_RE = {
    "softmax": re.compile(r"softmax timing L=(\d+): .*row period \[([\d, ]+)\]"),
    "layernorm": re.compile(r"layernorm timing d=(\d+): .*period \[([\d, ]+)\]"),
}


def _tag_params(tag: str) -> dict:
    return {k: int(v) for k, v in re.findall(r"([A-Z][A-Za-z]*?)(\d+)(?=_|$)", tag)}


def timing_log_rows(sim_build: Path = ROOT / "sim_build") -> list[dict]:
    """Softmax row and LayerNorm vector periods from the blocks' own test_timing logs (newest per build)."""
    out = []
    for block, rx in TIMING_RE.items():
        for build in sorted((sim_build / block).glob("*/*")):
            logs = sorted(build.glob("run-*/sim.log"), key=lambda p: p.stat().st_mtime)
            hit = None
            for log in reversed(logs):
                m = rx.search(log.read_text(errors="replace"))
                if m:
                    hit = m
                    break
            if hit is None:
                continue
            sim, params = build.parent.name, _tag_params(build.name)
            size, period = int(hit.group(1)), int(hit.group(2).split(",")[0])
            if block == "softmax":
                cfg = {"L": size, "sim": sim}
                pred = units.softmax_occupancy(size)
            else:
                lanes = params.get("Lanes", 1)
                cfg = {"d": size, "lanes": lanes, "sim": sim}
                pred = units.layernorm_occupancy(size // lanes, params.get("RqStages", units.LN_RQ_STAGES))
            if not any(r["unit"] == block and r["config"] == cfg for r in out):  # -waves/-cov builds
                out.append(row("test_timing log", block, cfg, pred, period))
    return out


def layer_config(d: dict) -> LayerConfig:
    base = LayerConfig()
    kw = {k: d[k] for k in ("d", "heads", "d_ffn", "layers", "pos", "weight_bits", "ffn_order", "softmax_units",
                            "attn_slices", "bus_bytes", "prefetch_words") if k in d}
    lanes = dict(base.lanes, **d.get("lanes", {}))
    return LayerConfig(**kw, lanes=lanes, cols=dict(d.get("cols", {})))


def layer_rows(reports: Path = REPORTS) -> list[dict]:
    out = []
    run = reports / "run.json"
    if run.is_file():
        r = json.loads(run.read_text())
        c = r.get("cycles_per_token_layer")
        cfg_d = r.get("layer_config") or r.get("perf_config")
        if c is not None and cfg_d is not None:
            cs = c if isinstance(c, list) else [c]
            for i, ci in enumerate(cs):  # a list: one entry per decoded position
                d = dict(cfg_d, pos=cfg_d.get("pos", 0) + i) if isinstance(c, list) else cfg_d
                cfg = layer_config(d)
                out.append(row("run.json", "layer", {**d, "describe": cfg.describe()}, layer_cycles(cfg), ci))
    bench = reports / "perf_layer.json"
    if bench.is_file():
        for m in json.loads(bench.read_text()):
            cfg = layer_config(m["config"])
            out.append(row("perf_layer", "layer", {**m["config"], "describe": cfg.describe()}, layer_cycles(cfg),
                           m["cycles"]))
    return out


TOKEN_RE = re.compile(r"token (\d+): layer (\d+) pos (\d+): (\d+) cycles")


def layer_log_measurements(params: dict, log_text: str, sim: str) -> list[dict]:
    """The cycles per token tb_decoder_layer's test_layer_switch logs ("token i: layer l pos p: n
    cycles": first x beat -> last x' beat, no stalls), as [{parameters, sim, pos, layer, cycles}]."""
    return [{"parameters": params, "sim": sim, "pos": int(p), "layer": int(lay), "cycles": int(c)}
            for _, lay, p, c in TOKEN_RE.findall(log_text)]


def layer_measurement_rows(measured: list[dict]) -> list[dict]:
    out = []
    for m in measured:
        cfg = layer_config_from_rtl(m["parameters"], m["pos"])
        conf = {"describe": cfg.describe() + f" {m['sim']}", "pos": m["pos"], "layer": m["layer"],
                "sim": m["sim"], "parameters": m["parameters"]}
        out.append(row("tb_decoder_layer", "layer", conf, layer_cycles(cfg), m["cycles"]))
    return out


def collect(reports: Path = REPORTS, extra_linear: list[dict] | None = None,
            layer_measured: list[dict] | None = None) -> tuple[list[dict], list[str]]:
    """Every validation row available now, and notes on what is missing or could not be mapped."""
    rows, notes = [], []
    p = reports / "perf_linear.json"
    if p.is_file():
        rows += linear_rows(json.loads(p.read_text()))
    else:
        notes.append("no perf_linear.json (run scripts/perf_linear.py)")
    if extra_linear:
        rows += linear_rows(extra_linear, "perf.py tiny shapes")
    p = reports / "perf_attention.json"
    if p.is_file():
        data = json.loads(p.read_text())
        data = data if isinstance(data, list) else data.get("rows", [data])
        for m in data:
            r = attention_row(m)
            if r is None:
                notes.append(f"perf_attention.json row not understood by perfmodel.validate.attention_row: {m}")
            else:
                rows.append(r)
    else:
        notes.append("no perf_attention.json yet (attention.sv / scripts/perf_attention.py pending)")
    rows += timing_log_rows(reports.parent)
    lr = layer_rows(reports) + layer_measurement_rows(layer_measured or [])
    if not lr:
        notes.append("no layer measurement yet (run.json cycles_per_token_layer / perf_layer.json): "
                     "the decoder-layer top is pending")
    rows += lr
    return rows, notes


def check(rows: list[dict], tol: float = TOLERANCE) -> list[dict]:
    """The rows whose prediction is off by more than tol."""
    return [r for r in rows if abs(r["error"]) > tol]


def table(rows: list[dict]) -> str:
    lines = [f"{'unit':<10} {'configuration':<44} {'predicted':>10} {'measured':>10} {'error':>8}"]
    for r in rows:
        cfg = r["config"].get("describe") or " ".join(f"{k}={v}" for k, v in r["config"].items())
        lines.append(f"{r['unit']:<10} {cfg[:44]:<44} {r['predicted_cycles']:>10.0f} {r['measured_cycles']:>10.0f} "
                     f"{100 * r['error']:>7.2f}%")
    return "\n".join(lines)
