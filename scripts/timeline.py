#!/usr/bin/env python3
"""A timeline of one token through the decoder layer, drawn from the measured handshakes.

One row per unit of rtl/decoder_layer.sv, in dataflow order, plus the weight bus. On each row, the
cycles in which the unit's input stream, weight stream (the Linear units) and output stream moved
(tvalid && tready at the clock edge, read from the FST waves of a tb_decoder_layer run). The
weight-streaming bound of the token (the layer's bus words: one word per cycle) is marked from the
token's first x beat, so the gap between that line and the last x' beat is what the schedule still
costs; the cycles a row sits idle show where.

usage: .venv/bin/python scripts/timeline.py <dump.fst> [--out timeline.png] [--bound-words N]
                                           [--token K] [--json timeline.json]
  --token K  which token of the run (0-based; default: the last complete one)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "verif"))

from tbkit import cli  # noqa: E402
from tbkit.waves import sample_per_cycle, top_scope  # noqa: E402

# (row label, instance, {stream kind: port prefix}) in dataflow order
UNITS = [
    ("LN1", "u_ln1", {"in": "s_axis", "out": "m_axis"}),
    ("QKV", "u_qkv", {"in": "s_axis", "weight": "s_axis_w", "out": "m_axis"}),
    ("attention", "u_attn", {"in": "s_axis", "out": "m_axis"}),
    ("O", "u_o", {"in": "s_axis", "weight": "s_axis_w", "out": "m_axis"}),
    ("add1", "u_add1", {"in": "s_axis_b", "out": "m_axis"}),
    ("LN2", "u_ln2", {"in": "s_axis", "out": "m_axis"}),
    ("FC1", "u_fc1", {"in": "s_axis", "weight": "s_axis_w", "out": "m_axis"}),
    ("GELU", "u_gelu", {"in": "s_axis", "out": "m_axis"}),
    ("FC2", "u_fc2", {"in": "s_axis", "weight": "s_axis_w", "out": "m_axis"}),
    ("add2", "u_add2", {"in": "s_axis_b", "out": "m_axis"}),
    ("weight bus", "u_weight_router", {"weight": "s_axis"}),
]
COLORS = {"in": "tab:blue", "weight": "tab:orange", "out": "tab:green"}


def runs(flags: list[int]) -> list[tuple[int, int]]:
    """(start, length) of every run of 1s."""
    out, start = [], None
    for i, f in enumerate(flags + [0]):
        if f and start is None:
            start = i
        elif not f and start is not None:
            out.append((start, i - start))
            start = None
    return out


def token_windows(x_in: list[int], x_last_out: list[int]) -> list[tuple[int, int]]:
    """(first x beat, last x' beat) cycles of every complete token: a token starts at the first x
    handshake after the previous token's last x' beat."""
    out, start = [], None
    for c, (i, o) in enumerate(zip(x_in, x_last_out)):
        if i and start is None:
            start = c
        if o and start is not None:
            out.append((start, c))
            start = None
    return out


def measure(fst: Path, token: int | None = None) -> dict:
    """Per row and stream kind, the cycles (relative to the token's first x beat) of its handshakes."""
    top = top_scope(fst)
    layer = f"{top}.u_layer"

    def hs(prefix: str) -> list[str]:
        return [f"{prefix}_tvalid", f"{prefix}_tready"]

    names = hs(f"{layer}.s_axis") + hs(f"{layer}.m_axis") + [f"{layer}.m_axis_tlast"]
    for _, inst, streams in UNITS:
        for prefix in streams.values():
            names += hs(f"{layer}.{inst}.{prefix}")
    s = sample_per_cycle(fst, list(dict.fromkeys(names)), f"{layer}.clk")
    fire = lambda p: [v & r for v, r in zip(s[f"{p}_tvalid"], s[f"{p}_tready"])]  # noqa: E731
    x_in = fire(f"{layer}.s_axis")
    x_last = [f & last for f, last in zip(fire(f"{layer}.m_axis"), s[f"{layer}.m_axis_tlast"])]
    windows = token_windows(x_in, x_last)
    if not windows:
        raise cli.UserError(f"{fst}: no complete token (first x beat to last x' beat) in these waves")
    k = len(windows) - 1 if token is None else token
    if not 0 <= k < len(windows):
        raise cli.UserError(f"--token {token}: the waves hold {len(windows)} complete tokens; accepted: 0..{len(windows) - 1}")
    t0, t1 = windows[k]
    rows = []
    for label, inst, streams in UNITS:
        row = {"unit": label, "instance": inst}
        for kind, prefix in streams.items():
            flags = fire(f"{layer}.{inst}.{prefix}")[t0:t1 + 1]
            row[kind] = runs(flags)
            row[f"{kind}_beats"] = sum(flags)
        rows.append(row)
    return {"token": k, "tokens_in_waves": len(windows), "first_in_cycle": t0, "cycles": t1 - t0 + 1, "rows": rows}


def draw(t: dict, path: Path, bound_cycles: float | None = None, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = t["rows"]
    fig, ax = plt.subplots(figsize=(13, 0.45 * len(rows) + 1.6))
    for i, row in enumerate(rows):
        y = len(rows) - 1 - i
        for kind, color in COLORS.items():
            if kind in row:
                lane = {"in": 0.28, "weight": 0.0, "out": -0.28}[kind]
                ax.broken_barh(row[kind], (y + lane - 0.12, 0.24), facecolors=color, linewidth=0)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r["unit"] for r in reversed(rows)])
    ax.set_xlim(0, t["cycles"] * 1.02)
    ax.axvline(t["cycles"] - 1, color="k", lw=1.0)
    ax.text(t["cycles"] - 1, len(rows) - 0.4, f" last x' beat: {t['cycles']:,} cycles", fontsize=8, va="bottom")
    if bound_cycles:
        ax.axvline(bound_cycles, color="tab:red", lw=1.0, ls="--")
        ax.text(bound_cycles, -0.9, f"weight-streaming bound {bound_cycles:,.0f} ", color="tab:red", fontsize=8,
                ha="right")
        ratio = f", {t['cycles'] / bound_cycles:.3f} x the bound"
    else:
        ratio = ""
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in COLORS.values()]
    ax.legend(handles, ["input stream moves", "weight stream moves", "output stream moves"], loc="upper right",
              fontsize=8, ncol=3, bbox_to_anchor=(1.0, -0.08))
    ax.set_xlabel("cycles from the token's first x beat (measured handshakes, RTL simulation)")
    ax.set_title(f"{title}one token through the decoder layer: {t['cycles']:,} cycles{ratio}", fontsize=10)
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    return cli.main(lambda: _main(argv))


def _main(argv=None) -> int:
    ap = cli.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("fst", type=Path)
    ap.add_argument("--out", type=Path, default=ROOT / "sim_build" / "reports" / "timeline.png")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--bound-words", type=cli.int_type("--bound-words", 1), default=None,
                    help="the layer's weight-bus words (one per cycle at most): the bound line")
    ap.add_argument("--token", type=cli.int_type("--token", 0), default=None)
    args = ap.parse_args(argv)
    if not args.fst.is_file():
        raise cli.UserError(f"{args.fst}: no such waves file; accepted: the dump.fst of a tb_decoder_layer run "
                            "(make waves TEST=... or WAVES=1)")
    t = measure(args.fst, args.token)
    draw(t, args.out, args.bound_words)
    if args.json:
        cli.write_atomic(args.json, json.dumps(t) + "\n")
    print(f"timeline: token {t['token']} of {t['tokens_in_waves']}, {t['cycles']} cycles -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
