"""Integer operators of the Llama decode layer (SmolLM2): the bit-exact specification of the RTL.

Same conventions as ops.py (and built from its primitives: rdbpot, rescale, requantize,
isqrt_bitwise, softmax_row): symmetric quantisation, zero point 0, real = scale * integer.
No float is used to compute any value here. The one exception is a *carrier*: q4_linear
accumulates in float64 BLAS when, and only when, a bound computed from the operands proves
that every partial sum is an integer below 2^53, so the float64 result IS the exact integer
sum (integer additions below 2^53 are exact in any order). Otherwise it falls back to int64.

Formats (widths are what the RTL needs; see docs/numerics.md, "Llama / SmolLM2"):
  residual stream      int24, power-of-two scale 2^e per layer point (e never decreases)
  Linear inputs        int16, static per-tensor scale (RMSNorm outputs, attention output)
  down-proj input      int16 with a per-token power-of-two shift (SwiGLU output)
  q, k, v, KV cache    int16, static per-tensor scale (q/k: max pair norm -> RoPE never clips)
  RoPE tables          int16 Q1.14 cos/sin, pairs (2i, 2i+1) of each head (GGUF row order)
  sigmoid table        uint16 Q0.16 (saturated at 65535), 2^SIG_INDEX_BITS+1 entries, linear
                       interpolation between them, indexed by the int16 gate
  Q4_1 weights         the shipped uint4 codes q; per group of 32: D*(q-8) + C, D and C
                       integers in a power-of-two unit 2^e_n per output row
"""
from __future__ import annotations

import numpy as np

from .ops import (NumericsError, _as_i64, _check_range, isqrt_bitwise, rdbpot, requantize,
                  rescale, saturate, softmax_row, EXP2_TABLE, SM_LOG2_FRAC, SM_PROB_BITS,
                  SM_RECIP_SHIFT, LN_VNORM_BITS)

# ---- fixed format constants (part of the contract) --------------------------------------
Q4_GROUP = 32            # Q4_1 block: 32 weights, codes 0..15
Q4_CODE_OFFSET = 8       # signed code q - 8 in [-8, 7]
RESID_BITS = 24          # residual stream
ACT_BITS = 16            # Linear inputs, q/k/v, KV cache, gate/up outputs
RMS_NORM_FRAC = 30       # RMSNorm normalised value z = x / sqrt(sum x^2 + eps_v): 30 fraction bits
ROPE_FRAC = 14           # cos/sin tables: int16 Q1.14 (1.0 = 16384)
SIG_FRAC = 16            # sigmoid table: unsigned Q0.16, saturated at 65535
SIG_INDEX_BITS = 8       # sigmoid table index: top 8 bits of (gate + 2^15) -> 257 entries
SCORE_BITS = 24          # attention base-2 logits (8 fraction bits), saturated to int24
WIDE_T_BITS = 32         # requantize_wide: the rounded, pre-shifted accumulator is sat. to int32
F64_EXACT = 1 << 53      # float64 holds every integer below 2^53 exactly


# =========================================================================================
# wide requantisation
# =========================================================================================
def shift_round(acc, s) -> np.ndarray:
    """acc / 2^s: RDBPOT(acc, s) for s >= 0, the exact acc * 2^-s (a left shift) for s < 0."""
    acc = _as_i64(acc)
    s = _as_i64(s)
    if np.all(s >= 0):
        return rdbpot(acc, s)
    left = np.maximum(-s, 0)
    big = np.abs(acc) >= (np.int64(1) << np.maximum(62 - left, 0))
    if np.any(big & (left > 0)):
        raise NumericsError("shift_round: left shift overflows 63 bits")
    return np.where(s >= 0, rdbpot(acc, np.maximum(s, 0)), acc << left)


def requantize_wide(acc, pre, multiplier, shift, out_bits: int) -> np.ndarray:
    """Requantise a wide accumulator (up to 62 bits): y = requantize(sat32(acc / 2^pre), m, s).

    t = saturate(shift_round(acc, pre), 32); y = saturate(rescale(t, m, s), out_bits).
    The quantiser picks pre (per channel) so that the remaining ratio m*2^-(31+s) lies in
    [2^-(32-out_bits), 2^-(31-out_bits)): t then keeps >= 31-out_bits bits below the output
    LSB, and a t that saturates at int32 would have saturated the output anyway, so the
    int32 clamp never changes a result (only bounds the RTL's multiplier input).
    """
    t = saturate(shift_round(acc, pre), WIDE_T_BITS)
    return requantize(t, multiplier, shift, out_bits)


# =========================================================================================
# Q4_1 GEMV
# =========================================================================================
def q4_weight_int(codes, D, C) -> np.ndarray:
    """Integer weights W[n, k] = D[n, g]*(q[n, k] - 8) + C[n, g], g = k // 32 (int64 [N, K])."""
    codes = _as_i64(codes)
    N, K = codes.shape
    G = K // Q4_GROUP
    w = (codes.reshape(N, G, Q4_GROUP) - Q4_CODE_OFFSET) * _as_i64(D)[:, :, None] + _as_i64(C)[:, :, None]
    return w.reshape(N, K)


def q4_prepare(codes, D, C) -> tuple[np.ndarray, int]:
    """(W^T as float64 [K, N], max_n sum_k |W[n, k]|) of q4_weight_int: what q4_accumulate needs,
    computed once per matrix by a caller that decodes many tokens (a cache, not a format)."""
    w = q4_weight_int(codes, D, C)
    return np.ascontiguousarray(w.T.astype(np.float64)), int(np.abs(w).sum(1).max())


def q4_accumulate(x, codes, D, C, prepared=None) -> np.ndarray:
    """acc[.., n] = sum_g ( D[n,g] * sum_{k in g} (q[n,k]-8)*x[k]  +  C[n,g] * sum_{k in g} x[k] ).

    x: int16 [K] or [T, K]; codes: uint8 [N, K] in 0..15; D, C: int32 [N, K/32].
    The RTL computes exactly this grouped form: a uint4-(minus-8) x int16 product per weight
    (20 bits), a 25-bit group sum, one D multiply per group and output, the group sum of x
    (21 bits) once per token and group, one C multiply per group and output; the row
    accumulator needs bitlen(sum_g (8|D|+|C|)*32) + 16 bits (the quantiser records it as
    q4_acc_bits). Here the equal sum x @ W^T (W = q4_weight_int) is used, exact (see module
    docstring). prepared: q4_prepare's result for these codes (optional). Returns int64 [.., N].
    """
    x = _as_i64(x)
    _check_range("q4_linear.x", x, -(1 << 15), (1 << 15) - 1)
    codes = np.asarray(codes)
    N, K = codes.shape
    if x.shape[-1] != K or K % Q4_GROUP:
        raise NumericsError(f"q4_linear: x {x.shape} does not match codes {codes.shape}")
    wt, rowabs = prepared if prepared is not None else q4_prepare(codes, D, C)
    if rowabs * int(np.abs(x).max(initial=0)) < F64_EXACT:
        return (x.astype(np.float64) @ wt).astype(np.int64)
    return x @ q4_weight_int(codes, D, C).T


def q4_linear(x, codes, D, C, pre, multiplier, shift, out_bits: int, x_shift=0, prepared=None) -> np.ndarray:
    """Q4_1 Linear: y[n] = requantize_wide(acc[n], pre[n] - x_shift, mult[n], shift[n], out_bits).

    acc from q4_accumulate. pre/mult/shift are per output row and fold in the row's
    power-of-two unit 2^e_n, the input scale and the output scale. x_shift is the input's
    per-token power-of-two exponent (down-projection input), 0 elsewhere; [T] for a batch.
    """
    acc = q4_accumulate(x, codes, D, C, prepared)
    xs = _as_i64(x_shift)
    pre_t = _as_i64(pre) - (xs[..., None] if xs.ndim else xs)
    return requantize_wide(acc, pre_t, multiplier, shift, out_bits)


# =========================================================================================
# RMSNorm (shares the isqrt, the one 62/31 division and the rounding of ops.layernorm)
# =========================================================================================
def rmsnorm(x, in_bits: int, eps_v: int, g_mult, g_shift, g_neg, out_bits: int = ACT_BITS) -> np.ndarray:
    """Integer RMSNorm over d elements (d <= 4096, input up to int24).

    1. S2 = sum x^2 (unsigned, 2*in_bits-2+12 bits); V = S2 + eps_v  (< 2^62, V >= 1;
       eps_v = max(1, round(eps * d / s_x^2)) offline, so V = (d/s_x^2) * (ms(x) + eps)).
    2. k = (62 - bitlen(V)) // 2, Vn = V << 2k in [2^60, 2^62); r = isqrt_bitwise(Vn) in
       [2^30, 2^31); inv = floor(2^61 / r) in (2^30, 2^31]   -- exactly as in ops.layernorm.
    3. z_i = RDBPOT(x_i * inv, 31 - k): x_i / sqrt(V) with 30 fraction bits, |z| <= 2^30
       (the product is <= 55 bits; the shift is in [1, 31]).
    4. t_i = rescale(z_i, g_mult[i], g_shift[i]); t_i = -t_i where g_neg[i]
       (ratio sqrt(d) * |gamma_i| * 2^-30 / s_y: sqrt(d) is folded into the multiplier).
    5. y_i = saturate(t_i, out_bits).
    x may be [d] or [T, d] (rows are independent).
    """
    x = _as_i64(x)
    _check_range("rmsnorm.x", x, -(1 << (in_bits - 1)), (1 << (in_bits - 1)) - 1)
    if x.ndim == 2:
        return np.stack([rmsnorm(r, in_bits, eps_v, g_mult, g_shift, g_neg, out_bits) for r in x])
    d = x.shape[0]
    if d > 4096:
        raise NumericsError(f"rmsnorm: d={d} > 4096 not supported")
    v = int((x * x).sum()) + int(eps_v)
    if v < 1 or v >= (1 << LN_VNORM_BITS):
        raise NumericsError(f"rmsnorm: V={v} outside [1, 2^62) (eps_v={eps_v})")
    k = (LN_VNORM_BITS - v.bit_length()) // 2
    r = isqrt_bitwise(v << (2 * k))
    inv = (1 << 61) // r
    z = rdbpot(x * inv, 61 - k - RMS_NORM_FRAC)
    t = rescale(z, g_mult, g_shift)
    t = np.where(_as_i64(g_neg) != 0, -t, t)
    return saturate(t, out_bits)


# =========================================================================================
# RoPE
# =========================================================================================
def rope(x, pos, cos_t, sin_t, head_dim: int) -> np.ndarray:
    """Rotate each adjacent pair (x[2i], x[2i+1]) of every head by the angle pos * theta_i.

    x: int16 [n_heads*head_dim] (or [T, ...] with pos [T]); pairs are adjacent in the GGUF
    row order (the rows as shipped, not HF's rotate-half order). cos_t, sin_t: int16 Q1.14
    tables [MaxSeq, head_dim/2], cos_t[p, i] = round(2^14 cos(p * theta^(-2i/head_dim))).
      a' = RDBPOT(a*c - b*s, 14),  b' = RDBPOT(a*s + b*c, 14),  saturated to int16.
    Products are 31 bits, the sums 32 bits.
    """
    x = _as_i64(x)
    _check_range("rope.x", x, -(1 << 15), (1 << 15) - 1)
    pos = _as_i64(pos)
    if np.any(pos < 0) or np.any(pos >= cos_t.shape[0]):
        raise NumericsError(f"rope: position outside the table [0, {cos_t.shape[0]})")
    lead = x.shape[:-1]
    xr = x.reshape(*lead, -1, head_dim // 2, 2)
    c = _as_i64(cos_t)[pos]
    s = _as_i64(sin_t)[pos]
    if xr.ndim == 4:  # batch: [T, heads, hd/2, 2]; tables [T, hd/2]
        c, s = c[:, None, :], s[:, None, :]
    a, b = xr[..., 0], xr[..., 1]
    ya = saturate(rdbpot(a * c - b * s, ROPE_FRAC), 16)
    yb = saturate(rdbpot(a * s + b * c, ROPE_FRAC), 16)
    return np.stack([ya, yb], axis=-1).reshape(x.shape)


# =========================================================================================
# SwiGLU: silu(gate) * up with a per-token power-of-two output shift
# =========================================================================================
def sigmoid_lookup(g, table) -> np.ndarray:
    """sigma(g) in unsigned Q0.16 by linear interpolation in a 2^B + 1 entry table.

    u = g + 2^15 (0..65535), F = 16 - B, i = u >> F, f = u & (2^F - 1):
      sig = T[i] + RDBPOT((T[i+1] - T[i]) * f, F)
    T[j] = min(65535, round(2^16 * sigmoid(s_g * (j*2^F - 2^15)))) (offline). 17-bit signed
    difference times an F-bit fraction.
    """
    g = _as_i64(g)
    _check_range("swiglu.gate", g, -(1 << 15), (1 << 15) - 1)
    t = _as_i64(table)
    nb = int(t.shape[0] - 1).bit_length() - 1
    if t.ndim != 1 or t.shape[0] != (1 << nb) + 1:
        raise NumericsError(f"sigmoid table must have 2^B+1 entries, got {t.shape}")
    fb = 16 - nb
    u = g + (1 << 15)
    i = u >> fb
    f = u & ((1 << fb) - 1)
    return t[i] + rdbpot((t[i + 1] - t[i]) * f, fb)


def swiglu(g, u, table) -> tuple[np.ndarray, np.ndarray]:
    """h = silu(gate) * up = gate * sigma(gate) * up, then a per-token power-of-two shift.

    g, u: int16 [F] (or [T, F]), static scales s_g, s_u. p = g * sig * u is signed 47 bits
    (16 x 17 x 16). Per token: e = max(0, bitlen(max |p|) - 15); y = sat16(RDBPOT(p, e)).
    Returns (y int16, e) -- y's real scale is s_g * s_u * 2^-16 * 2^e; e goes with the
    token to the down projection (q4_linear's x_shift).
    """
    g = _as_i64(g)
    u = _as_i64(u)
    _check_range("swiglu.up", u, -(1 << 15), (1 << 15) - 1)
    p = g * sigmoid_lookup(g, table) * u
    m = np.abs(p).max(axis=-1)
    bl = np.array([int(v).bit_length() for v in np.ravel(m)], np.int64).reshape(m.shape)
    e = np.maximum(bl - (ACT_BITS - 1), 0)
    y = saturate(rdbpot(p, e[..., None] if p.ndim == 2 else e), ACT_BITS)
    return y, e


# =========================================================================================
# residual add
# =========================================================================================
def resid_add(a, b, a_shift: int, bits: int = RESID_BITS) -> np.ndarray:
    """y = sat_bits(RDBPOT(a, a_shift) + b).

    The residual a (scale 2^e_a) is brought to the output unit 2^e_y (a_shift = e_y - e_a
    >= 0, a rounding right shift); the branch b (o or down projection) is already requantised
    into 2^e_y units by its Linear. No multiplier.
    """
    a = _as_i64(a)
    b = _as_i64(b)
    _check_range("resid_add.a", a, -(1 << (bits - 1)), (1 << (bits - 1)) - 1)
    _check_range("resid_add.b", b, -(1 << (bits - 1)), (1 << (bits - 1)) - 1)
    if a_shift < 0:
        raise NumericsError(f"resid_add: a_shift={a_shift} < 0")
    return saturate(rdbpot(a, a_shift) + b, bits)


# =========================================================================================
# GQA decode attention
# =========================================================================================
def softmax_rows(u, valid) -> np.ndarray:
    """ops.softmax_row applied to every row of u [R, L] over the columns where valid [R, L]
    is True (the rest get probability 0). Bit-identical to softmax_row on each valid prefix."""
    u = _as_i64(u)
    _check_range("softmax.u", u, -(1 << 31), (1 << 31) - 1)
    big = np.int64(1) << 40
    m = np.where(valid, u, -big).max(axis=-1, keepdims=True)
    delta = np.where(valid, m - u, 0)
    n = delta >> SM_LOG2_FRAC
    f = delta & ((1 << SM_LOG2_FRAC) - 1)
    ef = EXP2_TABLE[f]
    ns = np.minimum(n, 16)
    e = np.where(ns == 0, ef, (ef + (np.int64(1) << np.maximum(ns - 1, 0))) >> ns)
    e = np.where((n >= 16) | ~valid, 0, e)
    z = e.sum(axis=-1, keepdims=True)
    r = (np.int64(1) << SM_RECIP_SHIFT) // z
    sh = SM_RECIP_SHIFT - SM_PROB_BITS
    p = (e * r + (1 << (sh - 1))) >> sh
    return np.minimum(p, (1 << SM_PROB_BITS) - 1)


def gqa_attention(q, cache_k, cache_v, pos, n_head: int, n_kv_head: int, score_pre, score_mult,
                  score_shift, out_pre, out_mult, out_shift, out_bits: int = ACT_BITS) -> np.ndarray:
    """Grouped-query decode attention of the token(s) at pos against an int16 KV cache.

    q: int16 [H*hd] after RoPE (or [T, H*hd] with pos [T]); cache_k/v: int16
    [MaxSeq, KvH*hd] already holding rows 0..pos (k after RoPE). Query head h reads KV head
    h // (H / KvH) (GPT-2 is the case KvH = H). Per head and token:
      acc_j = q_h . K[j, kvh]                      signed 37 bits (64 x 31-bit products)
      u_j   = requantize_wide(acc_j, score_pre, score_mult, score_shift, 24)
              base-2 logit with 8 fraction bits: ratio s_q*s_k*log2(e)*2^8/sqrt(hd)
      p     = softmax_row(u_0..u_pos)              unsigned Q0.16 (ops.softmax_row)
      o_c   = sum_j p_j * V[j, kvh, c]             signed 32 + ceil(log2(pos+1)) bits
      y_c   = requantize_wide(o_c, out_pre, out_mult, out_shift, 16)   ratio s_v*2^-16/s_attn
    Returns int16 [H*hd] (or [T, H*hd]).
    """
    q = _as_i64(q)
    single = q.ndim == 1
    if single:
        q = q[None]
    pos = np.atleast_1d(_as_i64(pos))
    T = q.shape[0]
    max_seq, kvd = cache_k.shape
    if np.any(pos < 0) or np.any(pos >= max_seq):
        raise NumericsError(f"gqa_attention: position outside the KV cache [0, {max_seq})")
    if n_head % n_kv_head:
        raise NumericsError(f"gqa_attention: n_head={n_head} not a multiple of n_kv_head={n_kv_head}")
    hd = kvd // n_kv_head
    if q.shape[1] != n_head * hd:
        raise NumericsError(f"gqa_attention: q has {q.shape[1]} columns, expected {n_head * hd}")
    L = int(pos.max()) + 1
    K = _as_i64(cache_k[:L]).reshape(L, n_kv_head, hd)
    V = _as_i64(cache_v[:L]).reshape(L, n_kv_head, hd)
    qh = q.reshape(T, n_head, hd)
    grp = n_head // n_kv_head
    valid = np.arange(L)[None, :] <= pos[:, None]  # [T, L]
    out = np.empty((T, n_head, hd), np.int64)
    for h in range(n_head):
        kvh = h // grp
        acc = qh[:, h, :] @ K[:, kvh, :].T  # [T, L]
        u = requantize_wide(acc, score_pre, score_mult, score_shift, SCORE_BITS)
        p = softmax_rows(u, valid)
        o = p @ V[:, kvh, :]
        out[:, h, :] = requantize_wide(o, out_pre, out_mult, out_shift, out_bits)
    out = out.reshape(T, n_head * hd)
    return out[0] if single else out


__all__ = ["shift_round", "requantize_wide", "q4_weight_int", "q4_prepare", "q4_accumulate", "q4_linear", "rmsnorm",
           "rope", "sigmoid_lookup", "swiglu", "resid_add", "softmax_rows", "gqa_attention",
           "softmax_row", "NumericsError"]
