#!/usr/bin/env python3
"""make run: the committed, trained tiny GPT-2 generating text with every decoder layer of every
token executed by the simulated RTL (verif/harness/run_decode.py), checked bit for bit against
the integer model and compared with float transformers' greedy output.

Writes sim_build/reports/run.json. Exit status: 0 when every layer output was bit-exact, 1 on a
mismatch, 2 when the request did not fit the context (everything that fitted is still decoded).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "verif"))

from harness.decoder_layer import SOURCES, TOP, rtl_parameters  # noqa: E402
from models.quantize import ParamError, load_params  # noqa: E402
from tbkit.runner import SIM_BUILD, SIMS, SimulationFailure, run_block  # noqa: E402

FIXTURE = ROOT / "verif" / "fixtures" / "tiny_gpt2"
REPORT = SIM_BUILD / "reports" / "run.json"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--prompt", default=os.environ.get("PROMPT") or "The standard library ",
                   help="text to continue (UTF-8 bytes are the tokens)")
    p.add_argument("--tokens", type=int, default=int(os.environ.get("TOKENS") or 24), help="new tokens to generate")
    p.add_argument("--sim", choices=SIMS, default=os.environ.get("SIM") or "verilator")
    p.add_argument("--lanes", type=int, default=16, help="MACs per cycle of every Linear unit and of attention")
    p.add_argument("--params", type=Path, default=FIXTURE / "int_params.npz", help="integer parameter file")
    p.add_argument("--model-dir", type=Path, default=FIXTURE, help="float checkpoint for the transformers reference")
    p.add_argument("--report", type=Path, default=REPORT, help="where to write the JSON report")
    return p.parse_args(argv)


def float_reference(model_dir: Path, prompt: list[int], n: int) -> tuple[list[int] | None, str]:
    try:
        from models.hf import greedy, hf_model
    except ImportError as exc:  # the [ref] extra is optional
        return None, f"float reference unavailable ({exc})"
    try:
        return greedy(hf_model(model_dir), prompt, n), "transformers GPT2LMHeadModel, fp32, greedy"
    except (ImportError, OSError, RuntimeError) as exc:
        return None, f"float reference unavailable ({exc})"


def predicted_cycles(cfg: dict, rtl: dict, positions: range) -> float | None:
    """The analytical model's cycles per token per layer at this parallelism, averaged over the
    positions decoded (attention grows with the position)."""
    try:
        from perfmodel.layer import LayerConfig, layer_cycles
    except ImportError:
        return None
    lanes = {"qkv": rtl["LanesQkv"], "o": rtl["LanesO"], "fc1": rtl["LanesFc1"], "fc2": rtl["LanesFc2"],
             "attn": rtl["AttnMacs"], "ln": 1}
    base = LayerConfig(d=cfg["d_model"], heads=cfg["n_head"], d_ffn=cfg["d_ffn"], layers=cfg["n_layer"], lanes=lanes)
    values = [layer_cycles(LayerConfig(**{**base.__dict__, "pos": p})) for p in positions]
    return sum(values) / len(values)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        cfg, _ = load_params(args.params)
    except (OSError, ParamError) as exc:
        print(f"error: cannot load the parameter file {args.params}: {exc}", file=sys.stderr)
        return 2
    prompt = list(args.prompt.encode("utf-8"))
    max_seq = cfg["max_seq"]
    if not prompt:
        print("error: the prompt is empty", file=sys.stderr)
        return 2
    if args.tokens < 1:
        print(f"error: --tokens must be >= 1, got {args.tokens}", file=sys.stderr)
        return 2
    if len(prompt) >= max_seq:
        print(f"error: the prompt is {len(prompt)} tokens; the context holds {max_seq}", file=sys.stderr)
        return 2
    fits = max_seq - len(prompt)  # the last token fed sits at position max_seq - 1
    n = min(args.tokens, fits)
    try:
        rtl = rtl_parameters(cfg, args.lanes)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    print(f"spatial-llm-rtl: {cfg['n_layer']}-layer GPT-2 (d={cfg['d_model']}, {cfg['n_head']} heads, "
          f"context {max_seq}) from {args.params.relative_to(ROOT) if args.params.is_relative_to(ROOT) else args.params}")
    print(f"every decoder layer of every token on {args.sim}; {n} new tokens; lanes {args.lanes}", flush=True)
    if n < args.tokens:
        print(f"note: only {n} of the {args.tokens} requested tokens fit the {max_seq}-token context", flush=True)

    ref_tokens, ref_note = float_reference(args.model_dir, prompt, n)
    result_file = args.report.with_suffix(".sim.json")
    result_file.parent.mkdir(parents=True, exist_ok=True)
    result_file.unlink(missing_ok=True)
    print(f"building the layer for {args.sim} (first build takes a minute) ...", flush=True)
    # The progress lines, not the simulator's start-up chatter or cocotbext's deprecation notes.
    os.environ.setdefault("COCOTB_LOG_LEVEL", "WARNING")
    os.environ.setdefault("GPI_LOG_LEVEL", "WARNING")
    os.environ.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    start = time.time()
    try:
        run_block(TOP, SOURCES, "harness.run_decode", args.sim, rtl, live=True,
                  tb_config=dict(params_file=str(args.params.resolve()), prompt=prompt, new_tokens=n,
                                 result=str(result_file)))
    except SimulationFailure as exc:
        print(f"error: the simulation failed:\n{exc}", file=sys.stderr)
        return 1
    res = json.loads(result_file.read_text())

    agree = None
    if ref_tokens is not None:
        agree = sum(a == b for a, b in zip(res["tokens"], ref_tokens)) / len(ref_tokens)
    predicted = predicted_cycles(cfg, rtl, range(len(prompt) + n))
    report = {
        "tokens": len(res["tokens"]),
        "bit_exact": res["bit_exact"],
        "mismatches": res["mismatches"],
        "cycles_per_token_layer": res["cycles_per_token_layer"],
        "predicted_cycles_per_token_layer": predicted,
        "sim": args.sim,
        "sim_cycles_per_second": res["sim_cycles_per_second"],
        "text": res["text"],
        "prompt": args.prompt,
        "float_text": bytes(ref_tokens).decode("utf-8", errors="replace") if ref_tokens is not None else None,
        "float_reference": ref_note,
        "float_agreement": agree,
        "generated_token_ids": res["tokens"],
        "float_token_ids": ref_tokens,
        "layer_steps": res["layer_steps"],
        "sim_cycles": res["sim_cycles"],
        "rtl_parameters": rtl,
        "requested_tokens": args.tokens,
        "refused": None if n == args.tokens else (
            f"token {n + 1} would sit at position {len(prompt) + n}, outside the {max_seq}-position KV cache"),
        "wall_s": time.time() - start,
    }
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=1))

    print("\n" + "=" * 72)
    print(f"prompt          : {args.prompt!r}")
    print(f"RTL text        : {report['text']!r}")
    if ref_tokens is not None:
        print(f"float text      : {report['float_text']!r}")
    print(f"tokens generated: {report['tokens']} ({report['layer_steps']} layer steps on the RTL)")
    print(f"bit-exact       : {'yes, every layer output of every token' if res['bit_exact'] else 'NO: ' + str(len(res['mismatches'])) + ' mismatching layer outputs'}")
    print(f"float agreement : {'n/a (' + ref_note + ')' if agree is None else f'{agree:.1%} of generated tokens equal transformers greedy'}")
    pred = f" (analytical model: {predicted:,.0f})" if predicted else ""
    print(f"cycles/token/layer: {report['cycles_per_token_layer']:,.0f}{pred}")
    print(f"simulation speed: {report['sim_cycles_per_second']:,.0f} cycles/s on {args.sim}")
    print(f"report          : {args.report}")
    if report["refused"]:
        print(f"error: context full: {report['refused']}; refused after {n} tokens", file=sys.stderr)
        return 2
    return 0 if res["bit_exact"] else 1


if __name__ == "__main__":
    sys.exit(main())
