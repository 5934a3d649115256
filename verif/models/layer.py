"""The pre-LN GPT-2 decode layer composed from the integer ops (bit-exact golden).

    x -> LN1 -> QKV linear -> attention(KV cache) -> O linear -> add residual
      -> LN2 -> FC1 -> GELU -> FC2 -> add residual -> x'

`x` is the residual stream: signed `resid_bits` integers (int16 by default, see
docs/numerics.md), all other activations between units are int8.
Parameters are the per-layer entries of the parameter file with the "layer{i}." prefix
removed (see quantize.py / docs/numerics.md for the key names).
"""
from __future__ import annotations

import numpy as np

from . import ops


class KVCache:
    """int8 K and V caches of one layer, [max_seq, d] each (rows 0..pos valid)."""

    def __init__(self, max_seq: int, d: int):
        self.k = np.zeros((max_seq, d), dtype=np.int8)
        self.v = np.zeros((max_seq, d), dtype=np.int8)

    @property
    def max_seq(self) -> int:
        return self.k.shape[0]


def _linear(p: dict, name: str, x: np.ndarray, out_bits: int = 8) -> np.ndarray:
    return ops.linear(x, p[f"{name}.weight"], p[f"{name}.bias"], p[f"{name}.mult"], p[f"{name}.shift"], out_bits)


def _layernorm(p: dict, name: str, x: np.ndarray, in_bits: int) -> np.ndarray:
    return ops.layernorm(x, in_bits, int(p[f"{name}.eps_v"]), p[f"{name}.g_mult"], p[f"{name}.g_shift"],
                         p[f"{name}.g_neg"], p[f"{name}.beta_q"], 8)


def _add(p: dict, name: str, a: np.ndarray, b: np.ndarray, rb: int, bb: int) -> np.ndarray:
    return ops.residual_add(a, b, rb, bb, p[f"{name}.a_mult"], p[f"{name}.a_shift"], p[f"{name}.b_mult"],
                            p[f"{name}.b_shift"], p[f"{name}.out_mult"], p[f"{name}.out_shift"], rb)


def layer_decode(p: dict, cfg: dict, kv: KVCache, x, pos: int, trace: dict | None = None) -> np.ndarray:
    """One decode step of one layer: (layer params, kv cache, x [d] int, pos) -> x' [d] int.

    Appends this token's K and V (int8) to `kv` at row `pos`. If `trace` is a dict it is
    filled with every intermediate (int arrays), named like the float ACT_POINTS.
    """
    rb = cfg["resid_bits"]
    bb = cfg.get("branch_bits", 8)
    d = cfg["d_model"]
    x = np.asarray(x, dtype=np.int64)
    if x.shape != (d,):
        raise ops.NumericsError(f"layer_decode: x must have shape ({d},), got {x.shape}")
    t = {"resid_in": x}
    t["ln1_out"] = h = _layernorm(p, "ln1", x, rb)
    qkv = _linear(p, "qkv", h)
    t["q"], t["k"], t["v"] = q, k, v = qkv[:d], qkv[d:2 * d], qkv[2 * d:]
    t["attn_out"] = a = ops.attention_decode(q, k, v, kv.k, kv.v, pos, cfg["n_head"], p["attn.score_mult"],
                                             p["attn.score_shift"], p["attn.out_mult"], p["attn.out_shift"])
    t["o_out"] = o = _linear(p, "o", a, bb)
    t["resid_mid"] = x = _add(p, "add1", x, o, rb, bb)
    t["ln2_out"] = h = _layernorm(p, "ln2", x, rb)
    t["fc1_out"] = f = _linear(p, "fc1", h)
    t["gelu_out"] = g = ops.gelu_lut(f, p["gelu.table"])
    t["fc2_out"] = f2 = _linear(p, "fc2", g, bb)
    t["resid_out"] = x = _add(p, "add2", x, f2, rb, bb)
    if trace is not None:
        trace.update(t)
    return x
