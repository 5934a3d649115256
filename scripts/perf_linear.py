#!/usr/bin/env python3
"""Measured GEMV cycles of the Linear unit (the first part of `make perf`).

For each shape, builds tb_linear on Verilator and runs its test_perf: one input vector, weights
streamed from the harness memory every cycle, no backpressure. Cycles are counted in the
simulation, from the cycle the first x beat is accepted to the cycle the last y beat (tlast) is
accepted, inclusive. Writes sim_build/reports/perf_linear.json (a list of {K, N, lanes, cycles,
ideal_cycles = K*N/lanes, out_bits}) and prints a table.

usage: .venv/bin/python scripts/perf_linear.py [--sim verilator|icarus]
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

# (Lanes, K, N, OutBits): GPT-2 small FC1, FC2 (int16 out), QKV, O (int16 out), and smaller units.
SHAPES = [(64, 768, 3072, 8), (64, 3072, 768, 16), (64, 768, 2304, 8), (64, 768, 768, 16), (16, 768, 768, 8),
          (8, 64, 24, 8), (1, 48, 5, 8)]
REPORT = SIM_BUILD / "reports" / "perf_linear.json"


def measure(sim: str, lanes: int, k: int, n: int, out_bits: int, cols: int = 1) -> dict:
    params = dict(Lanes=lanes, K=k, N=n, OutBits=out_bits, **({"Cols": cols} if cols > 1 else {}))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "perf.json"
        run_block("tb_linear", sources("tb_linear"), "tb_linear", sim, params, testcase="test_perf",
                  tb_config={"perf_json": str(out)})
        return dict(json.loads(out.read_text()), out_bits=out_bits)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sim", default="verilator", choices=["verilator", "icarus"])
    args = ap.parse_args(argv)
    rows = [measure(args.sim, *shape) for shape in SHAPES]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"\n{'K':>6} {'N':>6} {'lanes':>5} {'cycles':>9} {'ideal':>9} {'ratio':>7} {'overhead':>8}")
    for r in rows:
        print(f"{r['K']:>6} {r['N']:>6} {r['lanes']:>5} {r['cycles']:>9} {r['ideal_cycles']:>9} "
              f"{r['cycles'] / r['ideal_cycles']:>7.4f} {r['cycles'] - r['ideal_cycles']:>8}")
    print(f"written {REPORT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
