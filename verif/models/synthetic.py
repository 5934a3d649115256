"""Random GPT-2 models in HF key layout, for tests and the RTL harness (no training, no download)."""
from __future__ import annotations

import numpy as np


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


def random_int_gpt2(path, n_layer=1, d=32, n_head=2, d_ffn=64, n_pos=16, seed=0, calib_windows=4, calib_len=16):
    """Quantise a random GPT-2 (calibrated on random byte sequences) to an integer parameter file
    at `path` and return quantize.load_params(path): (cfg, params)."""
    from models import quantize

    sd, cfg = random_gpt2(n_layer, d, n_head, d_ffn, n_pos, seed=seed)
    rng = np.random.default_rng(seed + 1)
    calib = [rng.integers(0, cfg["vocab_size"], min(calib_len, n_pos)) for _ in range(calib_windows)]
    quantize.save_params(path, quantize.quantize_model(sd, cfg, calib))
    return quantize.load_params(path)
