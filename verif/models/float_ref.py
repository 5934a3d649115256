"""Float numpy twin of GPT-2 (pre-LN), in HF layout. Float truth without torch.

Used by the quantiser for calibration (it records every activation the integer model
quantises) and by tests, which check it against transformers' GPT2LMHeadModel to 1e-4.
Computes in float64.
"""
from __future__ import annotations

import math

import numpy as np

# Activation points recorded per layer (the integer model quantises each of them).
ACT_POINTS = ("resid_in", "ln1_out", "q", "k", "v", "attn_out", "o_out", "resid_mid",
              "ln2_out", "fc1_out", "gelu_out", "fc2_out", "resid_out")


def gelu_new(x):
    """GPT-2's GELU (tanh form)."""
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def layer_norm(x, g, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def layer_params(sd: dict, i: int) -> dict:
    """Float parameters of layer i from a (prefix-normalised) HF state dict."""
    p = f"h.{i}."
    return {k: np.asarray(sd[p + v], dtype=np.float64) for k, v in {
        "ln1_g": "ln_1.weight", "ln1_b": "ln_1.bias",
        "qkv_w": "attn.c_attn.weight", "qkv_b": "attn.c_attn.bias",
        "o_w": "attn.c_proj.weight", "o_b": "attn.c_proj.bias",
        "ln2_g": "ln_2.weight", "ln2_b": "ln_2.bias",
        "fc1_w": "mlp.c_fc.weight", "fc1_b": "mlp.c_fc.bias",
        "fc2_w": "mlp.c_proj.weight", "fc2_b": "mlp.c_proj.bias"}.items()}


def layer_forward(p: dict, x: np.ndarray, n_head: int, eps: float, acts: dict | None = None):
    """One pre-LN GPT-2 block on a causal sequence x [T, d] (float). Returns [T, d].

    If `acts` is a dict, the activations named in ACT_POINTS are stored in it.
    """
    T, d = x.shape
    hd = d // n_head
    a = {"resid_in": x}
    a["ln1_out"] = h = layer_norm(x, p["ln1_g"], p["ln1_b"], eps)
    qkv = h @ p["qkv_w"] + p["qkv_b"]
    q, k, v = qkv[:, :d], qkv[:, d:2 * d], qkv[:, 2 * d:]
    a["q"], a["k"], a["v"] = q, k, v
    qh = q.reshape(T, n_head, hd).transpose(1, 0, 2)
    kh = k.reshape(T, n_head, hd).transpose(1, 0, 2)
    vh = v.reshape(T, n_head, hd).transpose(1, 0, 2)
    s = qh @ kh.transpose(0, 2, 1) / math.sqrt(hd)
    s = np.where(np.tril(np.ones((T, T), dtype=bool)), s, -np.inf)
    s = np.exp(s - s.max(-1, keepdims=True))
    pr = s / s.sum(-1, keepdims=True)
    a["attn_out"] = att = (pr @ vh).transpose(1, 0, 2).reshape(T, d)
    a["o_out"] = o = att @ p["o_w"] + p["o_b"]
    a["resid_mid"] = x = x + o
    a["ln2_out"] = h = layer_norm(x, p["ln2_g"], p["ln2_b"], eps)
    a["fc1_out"] = f = h @ p["fc1_w"] + p["fc1_b"]
    a["gelu_out"] = g = gelu_new(f)
    a["fc2_out"] = f2 = g @ p["fc2_w"] + p["fc2_b"]
    a["resid_out"] = x = x + f2
    if acts is not None:
        acts.update(a)
    return x


def model_forward(sd: dict, cfg: dict, tokens, acts: list | None = None):
    """Whole model on one token sequence. Returns (logits [T, V], hidden_after_ln_f [T, d],
    per-layer residual outputs list). `acts`, if a list, receives one dict per layer."""
    tokens = np.asarray(tokens)
    T = tokens.shape[0]
    x = np.asarray(sd["wte.weight"], np.float64)[tokens] + np.asarray(sd["wpe.weight"], np.float64)[:T]
    outs = []
    for i in range(cfg["n_layer"]):
        a = {} if acts is not None else None
        x = layer_forward(layer_params(sd, i), x, cfg["n_head"], cfg["layer_norm_epsilon"], a)
        outs.append(x)
        if acts is not None:
            acts.append(a)
    h = layer_norm(x, sd["ln_f.weight"], sd["ln_f.bias"], cfg["layer_norm_epsilon"])
    lm = np.asarray(sd.get("lm_head.weight", sd["wte.weight"]), np.float64)
    return h @ lm.T, h, outs
