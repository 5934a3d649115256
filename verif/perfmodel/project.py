"""Projections: GPT-2 small/medium decode tokens/s on a U280-like budget, at an ASSUMED clock.

A projection, not a measurement: the cycle model (validated against the RTL's measured cycles,
see validate.py) extrapolated to full-size shapes and a device budget. Every number here states
its clock (250 MHz assumed, the seed paper's clock on the U280; nothing here has been placed and
routed).

Compared with:
  - the HBM roofline: decode reads every weight once per token, so tokens/s <= HBM bandwidth /
    weight bytes per token (U280: about 460 GB/s over 32 pseudo-channels);
  - the published spatial GPT-2 on the same board (Chen et al., TRETS 2024: HLS, W4A8, 250 MHz),
    quoted only for what its paper states: decode 1.9x an NVIDIA A100, prefill 2.2x DFX. It gives
    no tokens/s that could be found in its text (an "about 200 tokens/s" once quoted here came
    from a secondary source and is dropped).
"""

from __future__ import annotations

from dataclasses import replace

from .layer import LayerConfig, balance_lanes, layer_timing, roofline_tokens_per_s, weight_bytes_per_layer

GPT2 = {
    "gpt2-small": dict(d=768, heads=12, d_ffn=3072, layers=12, vocab=50257, n_ctx=1024),
    "gpt2-medium": dict(d=1024, heads=16, d_ffn=4096, layers=24, vocab=50257, n_ctx=1024),
}

U280 = dict(
    clock_hz=250e6,  # ASSUMED
    hbm_gbps=460.0,  # 32 pseudo-channels
    pseudo_channels=32,
    dsp=9024,
    mac_budget=4096,  # int8 MACs/cycle for the five units: < half the DSP48E2s at one MAC each
)

PUBLISHED = {"label": "Chen et al. TRETS 2024, spatial GPT-2 (HLS) on U280, W4A8, 250 MHz",
             "claims": "decode 1.9x an NVIDIA A100, prefill 2.2x DFX (as the paper states; no tokens/s given)"}

SCENARIOS = {
    # each Linear's weight port is one HBM pseudo-channel (docs/architecture.md §2)
    "1 pseudo-channel per weight port": lambda b: b["hbm_gbps"] / b["pseudo_channels"],
    # the 32 pseudo-channels split over the four weight ports (8 each)
    "HBM split over the 4 weight ports": lambda b: b["hbm_gbps"] / 4,
}


def model_config(name: str, pos: int = 0, weight_bits: int = 8, **kw) -> LayerConfig:
    m = GPT2[name]
    return LayerConfig(d=m["d"], heads=m["heads"], d_ffn=m["d_ffn"], layers=m["layers"], pos=pos,
                       weight_bits=weight_bits, **kw)


def context_tokens_per_s(cfg: LayerConfig, n_ctx: int, step: int = 32) -> dict:
    """Decoding positions 0..n_ctx-1: mean tokens/s (total tokens / total time), first and last position."""
    positions = list(range(0, n_ctx, step))
    cycles = [layer_timing(replace(cfg, pos=p)).cycles for p in positions]
    mean_cycles = sum(cycles) / len(cycles)
    per_token = lambda c: cfg.clock_hz / (c * cfg.layers)  # noqa: E731
    return {"mean": per_token(mean_cycles), "pos0": per_token(cycles[0]), "last": per_token(cycles[-1]),
            "mean_cycles_per_layer": mean_cycles}


def roofline(name: str, weight_bits: int, hbm_gbps: float = U280["hbm_gbps"]) -> dict:
    cfg = model_config(name, weight_bits=weight_bits)
    layers = weight_bytes_per_layer(cfg) * cfg.layers
    head = GPT2[name]["vocab"] * cfg.d * weight_bits / 8
    return {"weight_bytes_layers": layers, "weight_bytes_lm_head": head,
            "tokens_per_s_layers": roofline_tokens_per_s(layers, hbm_gbps),
            "tokens_per_s_with_lm_head": roofline_tokens_per_s(layers + head, hbm_gbps)}


def project(budget: dict = U280, balance_pos: int = 511) -> dict:
    """Projections for GPT-2 small and medium, W8A8 (the RTL's precision), both bandwidth scenarios,
    lanes balanced for the MAC budget at position balance_pos; plus the input-major FFN variant."""
    out = {"assumptions": {**budget, "clock_note": f"ASSUMED {budget['clock_hz'] / 1e6:.0f} MHz, not placed and routed",
                           "weights": "W8A8 (int8 weights and activations, the RTL's numerics)",
                           "lanes": f"powers of two, balanced by perfmodel.layer.balance_lanes at pos={balance_pos}",
                           "lm_head": "not part of the decoder-layer hardware; the roofline is given with and without it"},
           "published": PUBLISHED, "models": {}}
    for name, m in GPT2.items():
        entry = {"roofline_W8": roofline(name, 8), "roofline_W4": roofline(name, 4), "scenarios": {}}
        for scen, port in SCENARIOS.items():
            port_gbps = port(budget)
            base = model_config(name, pos=balance_pos, clock_hz=budget["clock_hz"], port_gbps=port_gbps)
            lanes, t = balance_lanes(base, budget["mac_budget"])
            cfg = base.with_lanes(**lanes)
            res = {"port_gbps": port_gbps, "lanes": lanes, "macs_per_cycle": sum(lanes.values()),
                   "cycles_per_layer_at_balance_pos": t.cycles, "bound": t.bound,
                   "critical_path_shares": {k: round(v) for k, v in t.shares.items()},
                   "tokens_per_s": context_tokens_per_s(cfg, m["n_ctx"]),
                   "hbm_gbps_used_mean": weight_bytes_per_layer(cfg) * cfg.layers
                   * context_tokens_per_s(cfg, m["n_ctx"])["mean"] / 1e9}
            im = replace(cfg, ffn_order="input_major")
            res["tokens_per_s_if_input_major_fc2"] = context_tokens_per_s(im, m["n_ctx"])
            entry["scenarios"][scen] = res
        out["models"][name] = entry
    return out


def table(p: dict) -> str:
    a = p["assumptions"]
    lines = [f"PROJECTION at an assumed {a['clock_hz'] / 1e6:.0f} MHz, W8A8, MAC budget {a['mac_budget']}/cycle, "
             f"HBM {a['hbm_gbps']:.0f} GB/s (U280-like); tokens/s over a {GPT2['gpt2-small']['n_ctx']}-token context",
             f"{'model':<12} {'scenario':<35} {'lanes qkv/o/fc1/fc2/attn':<26} {'bound':<9} {'mean':>7} "
             f"{'pos0':>7} {'pos1023':>7} {'in-maj':>7} {'roof W8':>8}"]
    for name, e in p["models"].items():
        for scen, r in e["scenarios"].items():
            ln = "/".join(str(r["lanes"][u]) for u in ("qkv", "o", "fc1", "fc2", "attn"))
            t = r["tokens_per_s"]
            lines.append(f"{name:<12} {scen:<35} {ln:<26} {r['bound']:<9} {t['mean']:>7.0f} {t['pos0']:>7.0f} "
                         f"{t['last']:>7.0f} {r['tokens_per_s_if_input_major_fc2']['mean']:>7.0f} "
                         f"{e['roofline_W8']['tokens_per_s_layers']:>8.0f}")
    lines.append(f"published: {p['published']['label']}: {p['published']['claims']}")
    return "\n".join(lines)
