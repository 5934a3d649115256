"""Shared fixtures of the golden-model tests."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

FIXTURE_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "tiny_gpt2"


def random_gpt2(n_layer=1, d=32, n_head=2, d_ffn=64, n_pos=16, vocab=256, seed=0):
    """A small random GPT-2 in HF key layout (with the 'transformer.' prefix) and its config."""
    rng = np.random.default_rng(seed)
    cfg = {"n_layer": n_layer, "n_embd": d, "n_head": n_head, "n_inner": d_ffn, "n_positions": n_pos,
           "vocab_size": vocab, "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new"}
    sd = {"transformer.wte.weight": rng.normal(0, 0.5, (vocab, d)),
          "transformer.wpe.weight": rng.normal(0, 0.1, (n_pos, d)),
          "transformer.ln_f.weight": rng.normal(1, 0.1, d), "transformer.ln_f.bias": rng.normal(0, 0.1, d)}
    shapes = {"ln_1.weight": (d,), "ln_1.bias": (d,), "attn.c_attn.weight": (d, 3 * d),
              "attn.c_attn.bias": (3 * d,), "attn.c_proj.weight": (d, d), "attn.c_proj.bias": (d,),
              "ln_2.weight": (d,), "ln_2.bias": (d,), "mlp.c_fc.weight": (d, d_ffn), "mlp.c_fc.bias": (d_ffn,),
              "mlp.c_proj.weight": (d_ffn, d), "mlp.c_proj.bias": (d,)}
    for i in range(n_layer):
        for k, s in shapes.items():
            base = 1.0 if k.endswith("ln_1.weight") or k.endswith("ln_2.weight") else 0.0
            std = 0.1 if "ln_" in k else (0.02 if k.endswith("bias") else 1.0 / np.sqrt(s[0]))
            sd[f"transformer.h.{i}.{k}"] = rng.normal(base, std, s)
    return {k: v.astype(np.float32) for k, v in sd.items()}, cfg


@pytest.fixture(scope="session")
def tiny_fixture():
    """(state_dict, config, int params path) of the committed trained tiny GPT-2."""
    from models import quantize

    p = FIXTURE_DIR / "int_params.npz"
    if not p.exists():
        pytest.fail(f"missing fixture {p}; see docs/numerics.md for the regeneration command")
    sd, cfg = quantize.load_hf_fixture(FIXTURE_DIR)
    return sd, cfg, p
