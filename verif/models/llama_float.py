"""Float numpy twin of the Llama decoder (SmolLM2) on the GGUF's dequantised weights.

Used offline by the quantiser (calibration: the range of every activation point) and by the
accuracy report (each number format alone, by fake quantisation). Not the float truth: that
is transformers on the same GGUF (llama_model.hf_model); a ref test checks that the two agree.

Weights stay in the GGUF row order, so q/k pairs are adjacent, (2i, 2i+1) rotated by
theta^(-2i/hd) -- the order the integer model and the RTL use. transformers permutes q/k rows
into the rotate-half order; both give the same attention scores.

Activation points per layer (the names of the integer model's trace):
  resid_in, attn_norm, q, k, v (k after RoPE), attn_out, o, resid_mid, ffn_norm, gate, up,
  swiglu (the down-projection input), down, resid_out
"""
from __future__ import annotations

import numpy as np

POINTS = ("resid_in", "attn_norm", "q", "k", "v", "attn_out", "o", "resid_mid", "ffn_norm",
          "gate", "up", "swiglu", "down", "resid_out")
WEIGHTS = {"q": "attn_q", "k": "attn_k", "v": "attn_v", "o": "attn_output", "gate": "ffn_gate",
           "up": "ffn_up", "down": "ffn_down"}


def float_weights(g, n_layers: int | None = None) -> dict:
    """{layer i: {'q': W [N,K] float32, ..., 'attn_norm': g, 'ffn_norm': g}} + globals."""
    nl = g.cfg["n_layer_loaded"] if n_layers is None else n_layers
    out = {"embed": g.dense("token_embd.weight"), "output_norm": g.tensors["output_norm.weight"], "layers": []}
    for i in range(nl):
        p = f"blk.{i}."
        lw = {k: g.dense(p + v + ".weight") for k, v in WEIGHTS.items()}
        lw["attn_norm"] = g.tensors[p + "attn_norm.weight"]
        lw["ffn_norm"] = g.tensors[p + "ffn_norm.weight"]
        out["layers"].append(lw)
    return out


def rms_norm(x, w, eps):
    x = np.asarray(x, np.float64)
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w


def rope_angles(cfg, positions) -> tuple[np.ndarray, np.ndarray]:
    hd = cfg["head_dim"]
    inv = cfg["rope_theta"] ** (-np.arange(0, hd, 2, dtype=np.float64) / hd)
    ang = np.asarray(positions, np.float64)[:, None] * inv[None, :]
    return np.cos(ang), np.sin(ang)


def rope_pairs(x, cos, sin, hd):
    """x [T, n*hd]; rotate adjacent pairs. cos/sin [T, hd/2]."""
    T = x.shape[0]
    xr = x.reshape(T, -1, hd // 2, 2)
    a, b = xr[..., 0], xr[..., 1]
    c, s = cos[:, None, :], sin[:, None, :]
    return np.stack([a * c - b * s, a * s + b * c], -1).reshape(x.shape)


def silu(x):
    return x / (1.0 + np.exp(-x))


def forward(fw: dict, cfg: dict, tokens, record: list | None = None, fq=None, final: bool = True):
    """Causal forward of a token window (positions 0..T-1) in float64.

    record: a list that receives one dict per layer of the activation points.
    fq: optional fake-quantiser fq(layer, point, array) -> array applied at every point
    (and fq.rope(cos, sin), fq.silu(layer, gate) hooks when present).
    Returns (logits [T, V], final hidden [T, d] after the final RMSNorm, layer outputs list).
    """
    tokens = np.asarray(tokens)
    T = tokens.shape[0]
    hd, nh, nkv, eps = cfg["head_dim"], cfg["n_head"], cfg["n_kv_head"], cfg["rms_norm_eps"]
    grp = nh // nkv
    ident = (lambda i, p, a: a)
    q_ = fq or ident
    cos, sin = rope_angles(cfg, np.arange(T))
    if fq is not None and hasattr(fq, "rope"):
        cos, sin = fq.rope(cos, sin)
    x = q_(-1, "embed", fw["embed"][tokens].astype(np.float64))
    mask = np.triu(np.full((T, T), -np.inf), 1)
    outs = []
    for i, w in enumerate(fw["layers"]):
        a = {"resid_in": x}
        h = q_(i, "attn_norm", rms_norm(x, w["attn_norm"], eps))
        a["attn_norm"] = h
        q = h @ w["q"].T.astype(np.float64)
        k = h @ w["k"].T.astype(np.float64)
        v = q_(i, "v", h @ w["v"].T.astype(np.float64))
        q = q_(i, "q", q)
        k = q_(i, "k", k)
        q = rope_pairs(q, cos, sin, hd)
        k = rope_pairs(k, cos, sin, hd)
        a.update(q=q, k=k, v=v)
        qh = q.reshape(T, nh, hd)
        kh = k.reshape(T, nkv, hd)
        vh = v.reshape(T, nkv, hd)
        att = np.empty((T, nh, hd))
        for hh in range(nh):
            s = qh[:, hh] @ kh[:, hh // grp].T / np.sqrt(hd) + mask
            s = np.exp(s - s.max(-1, keepdims=True))
            att[:, hh] = (s / s.sum(-1, keepdims=True)) @ vh[:, hh // grp]
        att = q_(i, "attn_out", att.reshape(T, nh * hd))
        a["attn_out"] = att
        o = q_(i, "o", att @ w["o"].T.astype(np.float64))
        a["o"] = o
        x = q_(i, "resid_mid", x + o)
        a["resid_mid"] = x
        h2 = q_(i, "ffn_norm", rms_norm(x, w["ffn_norm"], eps))
        a["ffn_norm"] = h2
        gate = q_(i, "gate", h2 @ w["gate"].T.astype(np.float64))
        up = q_(i, "up", h2 @ w["up"].T.astype(np.float64))
        sg = fq.silu(i, gate) if (fq is not None and hasattr(fq, "silu")) else silu(gate)
        hh_ = q_(i, "swiglu", sg * up)
        a.update(gate=gate, up=up, swiglu=hh_)
        dn = q_(i, "down", hh_ @ w["down"].T.astype(np.float64))
        a["down"] = dn
        x = q_(i, "resid_out", x + dn)
        a["resid_out"] = x
        outs.append(x)
        if record is not None:
            record.append(a)
    if not final:
        return None, None, outs
    hfin = rms_norm(x, fw["output_norm"], eps)
    return hfin @ fw["embed"].T.astype(np.float64), hfin, outs


def pair_norm_max(x, hd) -> float:
    """max over tokens, heads and pairs of sqrt(x[2i]^2 + x[2i+1]^2) (RoPE-invariant)."""
    xr = np.asarray(x).reshape(x.shape[0], -1, 2)
    return float(np.sqrt((xr * xr).sum(-1)).max())


def calibrate(fw: dict, cfg: dict, windows) -> list[dict]:
    """max |x| per layer and point over the windows (q and k: the max pair norm; embed in
    layer 0's resid_in). The gate also gets its max positive/negative value."""
    stats = [dict() for _ in fw["layers"]]
    for toks in windows:
        rec: list = []
        forward(fw, cfg, toks, rec, final=False)
        for i, a in enumerate(rec):
            s = stats[i]
            for k, v in a.items():
                m = pair_norm_max(v, cfg["head_dim"]) if k in ("q", "k") else float(np.abs(v).max())
                s[k] = max(s.get(k, 0.0), m)
    return stats
