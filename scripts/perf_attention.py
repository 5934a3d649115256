#!/usr/bin/env python3
"""Measured cycles per token of the decode attention unit (rtl/attention.sv, rtl/attention_slices.sv), GPT-2-small and SmolLM2 shapes.

For each configuration (GPT-2: d=768, 12 heads; SmolLM2's GQA: d=576, 9 query heads on 3 KV heads,
int16; MaxSeq 1024; Macs = MACs per cycle of each of the q.K and p.V datapaths), builds the unit
and runs tb_attention's test_perf: a random cache restored through the save/restore port, then one token at each position in POSITIONS, nothing stalled.
`cycles` is counted in the simulation from the handshake of the token's last QKV beat to that of
its last output beat (the attention work; the QKV load itself, (d + 2*KvD)/Lanes beats, is reported as
load_cycles, and total_cycles = pos beat to last output). analytical_cycles = (pos+1)*d/M_a, the
analytical-model term (docs/architecture.md §2), with M_a = Macs. Writes sim_build/reports/perf_attention.json (a list of
{d, heads, pos, macs_per_cycle, cycles, analytical_cycles, ...}) and prints a table.

usage: .venv/bin/python scripts/perf_attention.py [--sim verilator|icarus] [--positions 0,63,255,1023]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT / "verif", ROOT / "verif" / "tests"):
    sys.path.insert(0, str(p))

from tbkit.runner import SIM_BUILD, run_block, sources  # noqa: E402

POSITIONS = [0, 63, 255, 1023]
# (Macs, SoftmaxUnits): one softmax row occupies a unit for ~3L cycles, so Macs = HeadDim (one
# score per cycle) needs ~4 units to keep q.K busy; Macs = HeadDim/4 needs 2.
# Query heads sharing a KV head cost the same q.K and p.V cycles as their own heads would (each
# reads its KV head's rows), so SmolLM2's GQA row checks the same formula at KvHeads < Heads.
GPT2 = dict(D=768, Heads=12)
SMOLLM2 = dict(D=576, Heads=9, KvHeads=3, ElemBits=16)
# Head slices (rtl/attention_slices.sv): 12 one-head slices (the projection's build), and 4 of 3.
CONFIGS = [dict(GPT2, Macs=16, SoftmaxUnits=2), dict(GPT2, Macs=64, SoftmaxUnits=4),
           dict(GPT2, Macs=64, SoftmaxUnits=1), dict(SMOLLM2, Macs=64, SoftmaxUnits=4),
           dict(GPT2, Macs=64, SoftmaxUnits=1, Slices=12), dict(GPT2, Macs=64, SoftmaxUnits=3, Slices=4)]
REPORT = SIM_BUILD / "reports" / "perf_attention.json"


def measure(sim: str, config: dict, positions: list[int]) -> list[dict]:
    params = dict(config, MaxSeq=1024, OutLanes=64)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "perf.json"
        top = "attention_slices" if config.get("Slices", 1) > 1 else "attention"
        run_block(top, sources(top), "tb_attention", sim, params, testcase="test_perf",
                  tb_config={"perf_json": str(out), "perf_pos": positions})
        return json.loads(out.read_text())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sim", default="verilator", choices=["verilator", "icarus"])
    ap.add_argument("--positions", default=",".join(map(str, POSITIONS)))
    args = ap.parse_args(argv)
    positions = [int(p) for p in args.positions.split(",")]
    rows = [r for config in CONFIGS for r in measure(args.sim, config, positions)]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"\n{'d':>4} {'heads':>5} {'kv':>3} {'sl':>3} {'pos':>5} {'macs':>4} {'sm':>3} {'cycles':>8} {'analytical':>10} {'ratio':>6} "
          f"{'load':>5} {'total':>8}")
    for r in rows:
        print(f"{r['d']:>4} {r['heads']:>5} {r['kv_heads']:>3} {r['slices']:>3} {r['pos']:>5} {r['macs_per_cycle']:>4} {r['softmax_units']:>3} "
              f"{r['cycles']:>8} {r['analytical_cycles']:>10} {r['cycles'] / r['analytical_cycles']:>6.2f} "
              f"{r['load_cycles']:>5} {r['total_cycles']:>8}")
    print(f"written {REPORT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
