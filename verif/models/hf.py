"""The float truth: Hugging Face transformers GPT-2 (CPU torch) built from a committed checkpoint.

Needs the [ref] extra (torch, transformers); imported lazily so the integer model never needs it.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def hf_model(model_dir: Path):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.set_num_threads(1)
    cfg = GPT2Config.from_dict(json.loads((model_dir / "config.json").read_text()))
    m = GPT2LMHeadModel(cfg)
    with np.load(model_dir / "model_fp32.npz") as z:
        sd = {k: torch.from_numpy(z[k]) for k in z.files}
    missing, unexpected = m.load_state_dict(sd, strict=False)
    if unexpected or any("attn.bias" not in k and "masked_bias" not in k for k in missing):
        raise RuntimeError(f"checkpoint mismatch: missing={missing} unexpected={unexpected}")
    return m.eval()


def greedy(model, prompt: list[int], n_new: int) -> list[int]:
    """transformers' own greedy continuation (no sampling) of `prompt`: the n_new next tokens."""
    import torch

    ids = torch.tensor([prompt])
    with torch.no_grad():
        out = model.generate(ids, max_new_tokens=n_new, do_sample=False, pad_token_id=0,
                             attention_mask=torch.ones_like(ids))
    return [int(t) for t in out[0, len(prompt):]]
