#!/usr/bin/env python3
"""Train the tiny byte-level GPT-2 fixture used by the integer golden model.

Deterministic (fixed seed, fixed step count, one CPU thread).  Text: Python's pydoc
topics (``pydoc_data.topics``), which ship with every CPython install.  The topics are
concatenated in sorted-key order, UTF-8 encoded; the last 10% of the bytes are held out
for evaluation (``models.corpus.load_corpus``; scripts/accuracy.py uses the same split).

Output (in --out, default verif/fixtures/tiny_gpt2/):
  config.json        GPT2Config (HF layout)
  model_fp32.npz     state_dict in HF GPT2LMHeadModel key names, float32
  train_log.json     losses, held-out loss, wall time, greedy sample

Usage:  nice .venv/bin/python scripts/train_tiny_gpt2.py [--steps N] [--out DIR]
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "verif"))

from models.corpus import load_corpus  # noqa: E402  (same split as calibration/accuracy)


def make_config():
    from transformers import GPT2Config

    return GPT2Config(
        vocab_size=256, n_positions=128, n_embd=128, n_layer=2, n_head=4, n_inner=512,
        activation_function="gelu_new", resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
        bos_token_id=0, eos_token_id=0, tie_word_embeddings=True,
    )


def greedy(model, prompt: bytes, n: int) -> bytes:
    import torch

    ids = list(prompt)
    with torch.no_grad():
        for _ in range(n):
            ctx = torch.tensor([ids[-model.config.n_positions:]])
            ids.append(int(model(ctx).logits[0, -1].argmax()))
    return bytes(ids)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=3500)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--out", type=Path, default=ROOT / "verif/fixtures/tiny_gpt2")
    args = ap.parse_args()

    import torch
    from transformers import GPT2LMHeadModel

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    train, held = load_corpus()
    cfg = make_config()
    model = GPT2LMHeadModel(cfg)
    model.train()
    T = cfg.n_positions
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.05)
    warm = max(1, args.steps // 20)

    def lr_at(s: int) -> float:
        if s < warm:
            return args.lr * (s + 1) / warm
        p = (s - warm) / max(1, args.steps - warm)
        return args.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * p)))

    def batch(data: np.ndarray, starts: np.ndarray):
        x = np.stack([data[s:s + T + 1] for s in starts]).astype(np.int64)
        return torch.from_numpy(x)

    t0 = time.time()
    log = []
    for step in range(args.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        xb = batch(train, rng.integers(0, len(train) - T - 1, size=args.batch))
        out = model(xb[:, :-1], labels=xb[:, :-1])  # HF shifts labels internally
        opt.zero_grad(set_to_none=True)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 50 == 0 or step == args.steps - 1:
            el = time.time() - t0
            print(f"step {step:5d} loss {out.loss.item():.4f} lr {lr_at(step):.2e} t {el:6.1f}s", flush=True)
            log.append({"step": step, "loss": float(out.loss.item()), "time_s": el})

    model.eval()
    with torch.no_grad():
        starts = np.arange(0, len(held) - T - 1, T)
        losses = []
        for i in range(0, len(starts), 64):
            xb = batch(held, starts[i:i + 64])
            losses.append(model(xb[:, :-1], labels=xb[:, :-1]).loss.item() * len(starts[i:i + 64]))
        held_loss = sum(losses) / len(starts)
    sample = greedy(model, b"The ", 200).decode("utf-8", errors="replace")
    print(f"held-out loss {held_loss:.4f} nats/byte ({held_loss / math.log(2):.3f} bits/byte)")
    print("greedy sample:\n" + sample)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "config.json").write_text(cfg.to_json_string())
    sd = {k: v.detach().cpu().numpy().astype(np.float32) for k, v in model.state_dict().items()
          if v.is_floating_point()}
    np.savez_compressed(args.out / "model_fp32.npz", **sd)
    (args.out / "train_log.json").write_text(json.dumps({
        "seed": args.seed, "steps": args.steps, "batch": args.batch, "lr": args.lr,
        "train_bytes": int(len(train)), "heldout_bytes": int(len(held)),
        "heldout_loss_nats_per_byte": held_loss, "wall_time_s": time.time() - t0,
        "torch": torch.__version__, "greedy_sample": sample, "log": log}, indent=1))
    print(f"wrote {args.out} in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
