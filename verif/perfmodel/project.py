"""Projections: GPT-2 small/medium decode tokens/s on a U280-like budget, at an ASSUMED clock.

A projection, not a measurement: the cycle model (validated against the RTL's measured cycles,
see validate.py) extrapolated to full-size shapes and a device budget, with the architecture the
RTL has (rtl/decoder_layer.sv: the Linear units share one weight bus, each behind a prefetch
FIFO). Every number states its clock (250 MHz assumed, the seed paper's clock on the U280;
nothing here has been placed and routed).

The build projected, per model (`build()`; each rule is stated in the report):
  - the weight bus is the whole HBM: 460 GB/s at 250 MHz = 1840 bytes per cycle (matrices padded
    to whole words, under 0.1%);
  - each Linear's width (lanes x cols MACs = weight bytes per step, rtl/linear.sv): at least twice
    the bus (as in the measured builds: a unit catches up after the gaps it spent waiting): lanes
    the smallest divisor of K that reaches it, or else lanes = K and cols the smallest divisor of N
    that does (several output columns per step, `linear_width`);
  - attention: one slice per head (rtl/attention_slices.sv: the heads run side by side, each on
    its own attention.sv with its own cache columns), Macs = the head size (the most attention.sv
    allows), one softmax unit per slice (a slice scores one row at a time);
  - LayerNorms and adds at 32 elements per beat; prefetch FIFOs of 2048 bus words;
  - the resource check: while the DSP estimate exceeds the device, the build takes one step: a
    Linear to its next narrower legal width (below the bus if need be: it then sets the pace, not
    the memory), or attention to the next smaller number of slices (a divisor of the heads). Two
    greedy searches pick the step (the fewest tokens/s lost per DSP saved; the most tokens/s kept)
    and the faster fitting build is projected; if nothing is left, the build does not fit.
The KV cache stays on chip when it fits beside the prefetch FIFOs in the device's BRAM + URAM;
otherwise its traffic (K and V of every cached position, int8, per token and layer) is counted
on the bus, after attention (conservative: nothing else streams meanwhile), and in the roofline.

Compared with:
  - the HBM roofline: decode reads every weight (and an off-chip KV cache) once per token, so
    tokens/s <= HBM bandwidth / bytes per token;
  - the published spatial GPT-2 on the same board (Chen et al., TRETS 2024: HLS, W4A8, 250 MHz),
    quoted only for what its paper states: decode 1.9x an NVIDIA A100, prefill 2.2x DFX. It gives
    no tokens/s that could be found in its text (an "about 200 tokens/s" once quoted here came
    from a secondary source and is dropped).
Resources: yosys estimates (scripts/synth.py) of the units at small parameters, scaled with
stated rules (`resources()`: a Linear from four synthesized widths, per lane of an unpaired column,
per lane of a pair of columns (which share their multipliers, rtl/dot_int_pair.sv), per output
column and per unit, `linear_cost`; the other units linearly in their lanes); memories counted from
their bytes.
"""

from __future__ import annotations

import math
from dataclasses import replace

from .layer import LINEARS, LayerConfig, layer_timing, linear_shapes, roofline_tokens_per_s, weight_bytes_per_layer

GPT2 = {
    "gpt2-small": dict(d=768, heads=12, d_ffn=3072, layers=12, vocab=50257, n_ctx=1024),
    "gpt2-medium": dict(d=1024, heads=16, d_ffn=4096, layers=24, vocab=50257, n_ctx=1024),
}

U280 = dict(
    clock_hz=250e6,  # ASSUMED
    hbm_gbps=460.0,  # 32 pseudo-channels
    pseudo_channels=32,
    dsp=9024,
    bram36=2016,  # 36 Kb each
    uram=960,  # 288 Kb each
)
BRAM36_BYTES = 36 * 1024 // 8
URAM_BYTES = 288 * 1024 // 8

PUBLISHED = {"label": "Chen et al. TRETS 2024, spatial GPT-2 (HLS) on U280, W4A8, 250 MHz",
             "claims": "decode 1.9x an NVIDIA A100, prefill 2.2x DFX (as the paper states; no tokens/s given)"}

LN_LANES = 32
PREFETCH_WORDS = 2048
TARGET_FRACTION = 0.8  # issue 13: >= 80% of the HBM roofline


def model_config(name: str, pos: int = 0, weight_bits: int = 8, **kw) -> LayerConfig:
    m = GPT2[name]
    return LayerConfig(d=m["d"], heads=m["heads"], d_ffn=m["d_ffn"], layers=m["layers"], pos=pos,
                       weight_bits=weight_bits, **kw)


def bus_bytes(budget: dict = U280) -> int:
    return int(budget["hbm_gbps"] * 1e9 / budget["clock_hz"])


def linear_widths(k: int, n: int, least: int) -> list[tuple[int, int]]:
    """The legal (lanes, cols) of a K x N Linear with lanes x cols >= least, narrowest first: lanes a
    divisor of K with one column, or lanes = K and cols a divisor of N (cols > 1 only once the
    whole input vector is one beat, which keeps linear.sv's x buffer one beat wide per step)."""
    one = [(v, 1) for v in range(least, k + 1) if k % v == 0]
    wide = [(k, c) for c in range(2, n + 1) if n % c == 0 and k * c >= least]
    return one + wide


def linear_width(k: int, n: int, bus: int) -> tuple[int, int]:
    """Build rule: the narrowest legal width at least twice the bus, else the widest (K x N)."""
    return next(iter(linear_widths(k, n, 2 * bus)), (k, n))


def build(name: str, weight_bits: int = 8, budget: dict = U280) -> LayerConfig:
    """The configuration projected for a model (module docstring), before the resource check."""
    base = model_config(name, weight_bits=weight_bits, clock_hz=budget["clock_hz"])
    bus = bus_bytes(budget)
    widths = {u: linear_width(k, n, bus) for u, (k, n) in linear_shapes(base).items()}
    lanes = {u: w[0] for u, w in widths.items()}
    lanes.update(attn=base.d_head, ln=LN_LANES)
    cols = {u: w[1] for u, w in widths.items() if w[1] > 1}
    return replace(base, lanes=lanes, cols=cols, attn_slices=base.heads, softmax_units=1, bus_bytes=bus,
                   prefetch_words=PREFETCH_WORDS)


def fit(cfg: LayerConfig, synth: dict | None, n_ctx: int, budget: dict = U280) -> LayerConfig:
    """The resource check (module docstring): while the DSPs do not fit, take one step, a Linear
    to its next narrower legal width or attention to the next smaller number of slices; the step
    is chosen greedily, once by the fewest tokens/s lost per DSP saved and once by the most tokens/s
    kept, and the faster of the two fitting builds is the one projected."""
    shapes = linear_shapes(cfg)
    off = not kv_on_chip(cfg, n_ctx, budget)

    def steps(cfg: LayerConfig) -> list[LayerConfig]:
        out = []
        for u in shapes:
            width = cfg.lane(u) * cfg.col(u)
            smaller = [w for w in linear_widths(*shapes[u], 1) if w[0] * w[1] < width]
            if smaller:
                lanes, cols = max(smaller, key=lambda w: w[0] * w[1])
                out.append(replace(cfg.with_lanes(**{u: lanes}), cols={**cfg.cols, u: cols}))
        fewer = [n for n in range(cfg.attn_slices - 1, 0, -1) if cfg.heads % n == 0]
        if fewer:
            out.append(replace(cfg, attn_slices=fewer[0]))
        return out

    def dsp(c: LayerConfig) -> int:
        return resources(c, synth, n_ctx, budget)["total"]["DSP"]

    def tps(c: LayerConfig) -> float:
        return context_tokens_per_s(c, n_ctx, off, step=64)["mean"]

    def search(cfg: LayerConfig, per_dsp: bool) -> LayerConfig:
        while not resources(cfg, synth, n_ctx, budget).get("fits_dsp", True):
            here_dsp, here_tps = dsp(cfg), tps(cfg)
            options = [c for c in steps(cfg) if dsp(c) < here_dsp]
            if not options:
                return cfg  # nothing left to narrow: reported as not fitting
            cfg = (min(options, key=lambda c: (here_tps - tps(c)) / (here_dsp - dsp(c))) if per_dsp
                   else max(options, key=tps))
        return cfg

    # two greedy searches (the fewest tokens/s lost per DSP saved; the most tokens/s kept), the
    # faster fitting build wins
    found = [search(cfg, per_dsp) for per_dsp in (True, False)]
    fitting = [c for c in found if resources(c, synth, n_ctx, budget).get("fits_dsp", True)] or found
    return max(fitting, key=tps)


def projected(name: str, weight_bits: int, synth: dict | None, budget: dict = U280) -> LayerConfig:
    """The configuration the projection reports: build(), then the resource check."""
    return fit(build(name, weight_bits, budget), synth, GPT2[name]["n_ctx"], budget)


def kv_bytes(cfg: LayerConfig, pos: int) -> int:
    """K and V of every cached position (int8), read once per token and layer, plus the new row."""
    return 2 * cfg.d * (pos + 1)


def on_chip_bytes(cfg: LayerConfig, n_ctx: int) -> dict:
    prefetch = len(LINEARS) * cfg.prefetch_words * cfg.bus_bytes
    kv = cfg.layers * kv_bytes(cfg, n_ctx - 1)
    return {"prefetch_fifos": prefetch, "kv_cache": kv, "fc2_input_fifo": cfg.d_ffn}


def kv_on_chip(cfg: LayerConfig, n_ctx: int, budget: dict = U280) -> bool:
    b = on_chip_bytes(cfg, n_ctx)
    return sum(b.values()) <= budget["bram36"] * BRAM36_BYTES + budget["uram"] * URAM_BYTES


def layer_cycles_at(cfg: LayerConfig, pos: int, kv_off_chip: bool) -> float:
    c = layer_timing(replace(cfg, pos=pos)).cycles
    return c + (kv_bytes(cfg, pos) / cfg.bus_bytes if kv_off_chip else 0)


def context_tokens_per_s(cfg: LayerConfig, n_ctx: int, kv_off_chip: bool, step: int = 32) -> dict:
    """Decoding positions 0..n_ctx-1: mean tokens/s (total tokens / total time), first and last position."""
    positions = list(range(0, n_ctx, step))
    cycles = [layer_cycles_at(cfg, p, kv_off_chip) for p in positions]
    mean_cycles = sum(cycles) / len(cycles)
    per_token = lambda c: cfg.clock_hz / (c * cfg.layers)  # noqa: E731
    return {"mean": per_token(mean_cycles), "pos0": per_token(cycles[0]), "last": per_token(cycles[-1]),
            "mean_cycles_per_layer": mean_cycles, "by_pos": {p: per_token(c) for p, c in zip(positions, cycles)}}


def roofline(name: str, weight_bits: int, hbm_gbps: float = U280["hbm_gbps"], kv_off_chip: bool = False) -> dict:
    """Tokens/s if the HBM streamed nothing but the bytes a token needs: the layers' weights, and
    the KV cache (mean over the context) when it is off chip."""
    cfg = model_config(name, weight_bits=weight_bits)
    layers = weight_bytes_per_layer(cfg) * cfg.layers
    n_ctx = GPT2[name]["n_ctx"]
    kv = cfg.layers * sum(kv_bytes(cfg, p) for p in range(n_ctx)) / n_ctx if kv_off_chip else 0
    head = GPT2[name]["vocab"] * cfg.d * weight_bits / 8
    return {"weight_bytes_layers": layers, "kv_bytes_mean": kv, "weight_bytes_lm_head": head,
            "tokens_per_s_layers": roofline_tokens_per_s(layers + kv, hbm_gbps),
            "tokens_per_s_with_lm_head": roofline_tokens_per_s(layers + kv + head, hbm_gbps)}


LINEAR_SYNTH = {"linear": (8, 1), "linear_lanes32": (32, 1), "linear_cols2": (8, 2),
                "linear_cols4": (8, 4)}  # synth.py blocks: (Lanes, Cols)


def linear_cost(blocks: dict) -> dict | None:
    """A Linear's cost per lane of an unpaired column (a product and its adder-tree share), per
    lane of a pair of columns (rtl/dot_int_pair.sv: columns 2q, 2q+1 share one multiplier per
    lane, then two adder trees), per output column (an accumulator and a requant each) and per
    unit (counters, x buffer, FIFO), solved from the four synthesized widths of LINEAR_SYNTH;
    None where any is missing. Per resource: {"single": s, "pair": p, "col": c, "unit": u},
    cost(lanes, cols) = u + s*lanes*(cols % 2) + p*lanes*(cols // 2) + c*cols."""
    if any(b not in blocks for b in LINEAR_SYNTH):
        return None
    out = {}
    for k in ("LUT", "FF", "DSP"):
        a, b, c, d = (blocks[name][k] for name in LINEAR_SYNTH)  # (8,1), (32,1), (8,2), (8,4)
        single = (b - a) / 24                # (32,1) - (8,1) = 24 single
        col = d - 2 * c + a - 8 * single     # (8,4) - 2*(8,2) + (8,1) = col + 8 single
        pair = (d - c - 2 * col) / 8         # (8,4) - (8,2) = 8 pair + 2 col
        out[k] = {"single": single, "pair": pair, "col": col, "unit": a - 8 * single - col}
    return out


def resources(cfg: LayerConfig, synth: dict | None, n_ctx: int, budget: dict = U280) -> dict:
    """DSP/LUT/FF of the projected units from the yosys estimates of scripts/synth.py (small
    parameters), scaled with the stated rules; memories from their bytes. None where synth is missing."""
    mem = on_chip_bytes(cfg, n_ctx)
    if not kv_on_chip(cfg, n_ctx, budget):
        mem["kv_cache"] = 0  # off chip
    out = {"rule": "Linear: cost per lane of an unpaired column and of a column pair, per output column and per "
                   "unit, solved from four synthesized widths (linear_cost); LayerNorm: per-lane cost x projected "
                   "lanes; attention, per slice: the synthesized unit x Macs/16, + one synthesized softmax per "
                   "softmax unit beyond its 2 (- one below); memories: bytes / URAM (36 KB) blocks",
           "memory_bytes": mem,
           "uram_blocks": math.ceil(sum(mem.values()) / URAM_BYTES), "uram_available": budget["uram"],
           "dsp_available": budget["dsp"]}
    blocks = (synth or {}).get("blocks", {})
    scaled = {}
    lin = linear_cost(blocks)
    if lin:
        out["linear_cost"] = {k: {p: round(v, 3) for p, v in c.items()} for k, c in lin.items()}
        for unit in LINEARS:
            lanes, cols = cfg.lane(unit), cfg.col(unit)
            scaled[unit] = {k: round(c["unit"] + c["single"] * lanes * (cols % 2) + c["pair"] * lanes * (cols // 2)
                                     + c["col"] * cols) for k, c in lin.items()}
    ln = blocks.get("layernorm")
    if ln:
        factor = 2 * cfg.lane("ln") / ln["parameters"]["Lanes"]  # two LayerNorms
        scaled["ln"] = {k: round(ln[k] * factor) for k in ("LUT", "FF", "DSP")}
    att, sm = blocks.get("attention"), blocks.get("softmax")
    if att and sm:
        # the synthesized attention: module defaults, Macs 16, 2 softmax units; its datapaths scale
        # with Macs, and each softmax unit more (or fewer) costs one synthesized softmax; per slice
        factor = cfg.lane("attn") / 16
        scaled["attn"] = {k: round(cfg.attn_slices * (att[k] * factor + sm[k] * (cfg.softmax_units - 2)))
                          for k in ("LUT", "FF", "DSP")}
    if scaled:
        out["units"] = scaled
        out["total"] = {k: sum(u[k] for u in scaled.values()) for k in ("LUT", "FF", "DSP")}
        out["fits_dsp"] = out["total"]["DSP"] <= budget["dsp"]
    else:
        out["units"] = None
        out["note"] = "no synth.json: run make perf (scripts/synth.py) for the logic estimates"
    out["fits_memory"] = out["uram_blocks"] <= budget["uram"]
    return out


def project(budget: dict = U280, synth: dict | None = None) -> dict:
    """GPT-2 small and medium, W8 (the RTL's precision) and W4, on the shared-bus build."""
    out = {"assumptions": {**budget, "clock_note": f"ASSUMED {budget['clock_hz'] / 1e6:.0f} MHz, not placed and routed",
                           "bus_bytes_per_cycle": bus_bytes(budget),
                           "build": "perfmodel.project.build: lanes x cols >= 2x the bus (cols > 1 only at lanes = K), "
                                    "attention one slice per head, Macs = head "
                                    f"size, one softmax unit per slice, LN/add {LN_LANES} per beat, {PREFETCH_WORDS}-word "
                                    "prefetch FIFOs",
                           "weights": "W8A8 is the RTL's numerics; W4 scales the weight bytes only",
                           "lm_head": "not part of the decoder-layer hardware; the roofline is given with and without it"},
           "published": PUBLISHED, "target_fraction": TARGET_FRACTION, "models": {}}
    for name, m in GPT2.items():
        entry = {}
        for wb in (8, 4):
            cfg = projected(name, wb, synth, budget)
            off = not kv_on_chip(cfg, m["n_ctx"], budget)
            tps = context_tokens_per_s(cfg, m["n_ctx"], off)
            roof = roofline(name, wb, budget["hbm_gbps"], off)
            entry[f"W{wb}"] = {
                "lanes": dict(cfg.lanes), "cols": {u: cfg.col(u) for u in LINEARS}, "attn_slices": cfg.attn_slices,
                "softmax_units": cfg.softmax_units, "kv_cache": "off chip" if off else "on chip",
                "tokens_per_s": tps["mean"], "tokens_per_s_pos0": tps["pos0"], "tokens_per_s_last": tps["last"],
                "mean_cycles_per_layer": tps["mean_cycles_per_layer"], "tokens_per_s_by_pos": tps["by_pos"],
                "roofline_tokens_per_s": roof["tokens_per_s_layers"], "roofline": roof,
                "roofline_fraction": tps["mean"] / roof["tokens_per_s_layers"],
                "critical_path_at_last_pos": {k: round(v) for k, v in
                                              layer_timing(replace(cfg, pos=m["n_ctx"] - 1)).contributions.items()},
                "resources": resources(cfg, synth, m["n_ctx"], budget),
            }
        out["models"][name] = entry
    return out


def table(p: dict) -> str:
    a = p["assumptions"]
    lines = [f"PROJECTION at an assumed {a['clock_hz'] / 1e6:.0f} MHz, HBM {a['hbm_gbps']:.0f} GB/s = "
             f"{a['bus_bytes_per_cycle']} B/cycle on the shared weight bus (U280-like); tokens/s over a "
             f"{GPT2['gpt2-small']['n_ctx']}-token context; target >= {100 * p['target_fraction']:.0f}% of the roofline",
             f"{'model':<12} {'W':>2} {'lanes(xcols) qkv/o/fc1/fc2/attn slices':<40} {'KV':<9} {'mean':>7} {'pos0':>7} {'last':>7} "
             f"{'roofline':>9} {'fraction':>8} {'DSP est/avail':>14} {'URAM':>9}"]
    for name, e in p["models"].items():
        for w, r in e.items():
            cols = r.get("cols", {})
            ln = "/".join(str(r["lanes"][u]) + (f"x{cols[u]}" if cols.get(u, 1) > 1 else "")
                          for u in ("qkv", "o", "fc1", "fc2", "attn")) + f" {r.get('attn_slices', 1)}sl"
            res = r["resources"]
            dsp = (res.get("total") or {}).get("DSP")
            dsp_s = f"{dsp}/{res['dsp_available']}" if dsp is not None else "-"
            uram_s = f"{res['uram_blocks']}/{res['uram_available']}"
            lines.append(f"{name:<12} {w[1:]:>2} {ln:<40} {r['kv_cache']:<9} {r['tokens_per_s']:>7.0f} "
                         f"{r['tokens_per_s_pos0']:>7.0f} {r['tokens_per_s_last']:>7.0f} "
                         f"{r['roofline_tokens_per_s']:>9.0f} {100 * r['roofline_fraction']:>7.1f}% "
                         f"{dsp_s:>14} {uram_s:>9}")
    lines.append(f"published: {p['published']['label']}: {p['published']['claims']}")
    return "\n".join(lines)
