"""Integer operators of the decode layer: the bit-exact specification the RTL must match.

Every function here is integer-only (numpy int64 carries the values; Python ints carry the
few per-vector scalars wider than 64 bits would need -- none do today). No float is used
anywhere in this module. Widths quoted in the docstrings are the widths the RTL needs; the
numpy model computes in int64 and checks the documented ranges where a violation would
mean a wrong model rather than a saturating datapath.

Conventions
-----------
* Symmetric quantisation, zero point 0 everywhere: real = scale * integer.
* "RDBPOT(x, e)" = gemmlowp RoundingDivideByPOT: x / 2^e rounded to nearest, ties away from 0.
* "SRDHM(a, b)"  = gemmlowp SaturatingRoundingDoublingHighMul: floor((a*b + 2^30) / 2^31), i.e.
  a*b / 2^31 rounded to nearest with ties toward +infinity, saturating the single overflow
  case a = b = -2^31.
* rescale(acc, m, s) = RDBPOT(SRDHM(acc, m), s)           -> int32, no saturation
* requantize(acc, m, s, bits) = clamp(rescale(...), -2^(bits-1), 2^(bits-1)-1)

See docs/numerics.md for the summary and the parameter file format.
"""
from __future__ import annotations

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1

# ---- fixed format constants (part of the contract; the RTL hard-codes them) -------------
LN_NORM_FRAC = 16        # LayerNorm normalised value z: signed, 16 fraction bits
LN_AFFINE_FRAC = 8       # LayerNorm gamma*z + beta: 8 extra fraction bits before final rounding
LN_VNORM_BITS = 62       # LayerNorm variance is normalised into [2^60, 2^62) before isqrt
SM_LOG2_FRAC = 8         # softmax logits: base-2 fixed point, 8 fraction bits
SM_EXP_BITS = 15         # exp2 table / e_j: unsigned Q1.15 (1.0 = 2^15)
SM_PROB_BITS = 16        # probabilities: unsigned Q0.16, saturated to 2^16-1
SM_RECIP_SHIFT = 47      # softmax reciprocal R = floor(2^47 / Z)
ATT_SCORE_LSHIFT = 8     # q.k accumulator is shifted left by 8 before the score rescale
ATT_MAX_HEAD_DIM = 128   # keeps |q.k| < 2^21, so acc << 8 fits int32


class NumericsError(ValueError):
    """An input violates an operator's documented range (a model or harness bug)."""


def _as_i64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def _check_range(name: str, x: np.ndarray, lo: int, hi: int) -> None:
    if x.size and (x.min() < lo or x.max() > hi):
        raise NumericsError(f"{name}: values must be in [{lo}, {hi}], got [{x.min()}, {x.max()}]")


def saturate(x, bits: int) -> np.ndarray:
    """Clamp to the signed range of `bits` bits: [-2^(bits-1), 2^(bits-1)-1]."""
    return np.clip(_as_i64(x), -(1 << (bits - 1)), (1 << (bits - 1)) - 1)


# =========================================================================================
# Requantisation (the single definition every op uses)
# =========================================================================================
def srdhm(a, b) -> np.ndarray:
    """gemmlowp SaturatingRoundingDoublingHighMul(a, b), a and b int32.

    ab = a*b as a signed 64-bit product (|ab| <= 2^62).
    nudge = +2^30 if ab >= 0 else 1 - 2^30.
    result = (ab + nudge) / 2^31 truncated toward zero (C division), an int32.
    If a == b == -2^31 the result saturates to 2^31-1.
    Net effect: floor((a*b + 2^30) / 2^31), i.e. round to nearest, ties toward +infinity
    (gemmlowp's nudge/truncation pair is identical to this for all inputs).
    """
    a = _as_i64(a)
    b = _as_i64(b)
    _check_range("srdhm.a", a, INT32_MIN, INT32_MAX)
    _check_range("srdhm.b", b, INT32_MIN, INT32_MAX)
    ab = a * b
    x = ab + np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    q = np.where(x >= 0, x >> 31, -((-x) >> 31))
    return np.where((a == INT32_MIN) & (b == INT32_MIN), INT32_MAX, q)


def rdbpot(x, exponent) -> np.ndarray:
    """gemmlowp RoundingDivideByPOT(x, exponent): x / 2^exponent, round half away from zero.

    mask = 2^e - 1; remainder = x & mask; threshold = (mask >> 1) + (1 if x < 0 else 0);
    result = (x >> e) + (1 if remainder > threshold else 0)   (>> is arithmetic).
    Works for any signed width of x (int32 in requantize, up to 60 bits in LayerNorm);
    exponent in [0, 62].
    """
    x = _as_i64(x)
    e = _as_i64(exponent)
    _check_range("rdbpot.exponent", e, 0, 62)
    mask = (np.int64(1) << e) - 1
    rem = x & mask
    thr = (mask >> 1) + (x < 0)
    return (x >> e) + (rem > thr)


def rescale(acc, multiplier, shift) -> np.ndarray:
    """RDBPOT(SRDHM(acc, multiplier), shift), without saturation.

    acc: int32. multiplier: int32, normally in [2^30, 2^31-1]; the quantiser emits a smaller
    (possibly 0) multiplier with shift = 31 only for ratios below 2^-32 (a zero weight
    column or a ~zero LayerNorm gamma), so the RTL must accept any multiplier in [0, 2^31-1].
    shift: right shift in [0, 31]. Represents acc * multiplier * 2^-(31+shift).
    Result fits int32. Broadcasts (per-channel multiplier/shift arrays).
    """
    acc = _as_i64(acc)
    _check_range("rescale.acc", acc, INT32_MIN, INT32_MAX)
    m = _as_i64(multiplier)
    s = _as_i64(shift)
    _check_range("rescale.multiplier", m, 0, INT32_MAX)
    _check_range("rescale.shift", s, 0, 31)
    return rdbpot(srdhm(acc, m), s)


def requantize(acc, multiplier, shift, out_bits: int = 8) -> np.ndarray:
    """Requantise an int32 accumulator: saturate(rescale(acc, multiplier, shift), out_bits).

    The gemmlowp/TFLite scheme: SRDHM then RDBPOT then clamp to
    [-2^(out_bits-1), 2^(out_bits-1)-1] (int8 by default; int16 for the residual stream).
    """
    return saturate(rescale(acc, multiplier, shift), out_bits)


# =========================================================================================
# Linear
# =========================================================================================
def linear(x, w, bias, multiplier, shift, out_bits: int = 8) -> np.ndarray:
    """y[n] = requantize(sum_k x[k]*w[k,n] + bias[n], multiplier[n], shift[n]).

    x int8 [K]; w int8 [K, N] stored (in, out) like HF Conv1D; bias int32 [N] (scale
    s_x*s_w[n]); multiplier int32 [N], shift [N] per output channel. Products are 16-bit,
    the accumulator is int32 (the sum must not overflow: K*2^14 + |bias| < 2^31, checked).
    Output int8 [N] (or out_bits).
    """
    x = _as_i64(x)
    w = _as_i64(w)
    _check_range("linear.x", x, -128, 127)
    _check_range("linear.w", w, -128, 127)
    if x.ndim != 1 or w.ndim != 2 or w.shape[0] != x.shape[0]:
        raise NumericsError(f"linear: x {x.shape} and w {w.shape} do not match (w is (in, out))")
    acc = x @ w + _as_i64(bias)
    _check_range("linear.acc", acc, INT32_MIN, INT32_MAX)
    return requantize(acc, multiplier, shift, out_bits)


# =========================================================================================
# Residual add
# =========================================================================================
def add_lshift(bits: int) -> int:
    """Left shift applied to an add input of `bits` bits: 30 - bits (|x << L| <= 2^29)."""
    return 30 - bits


def residual_add(a, b, a_bits: int, b_bits: int, a_mult, a_shift, b_mult, b_shift,
                 out_mult, out_shift, out_bits: int) -> np.ndarray:
    """y = requantize(rescale(a << La, a_mult, a_shift) + rescale(b << Lb, b_mult, b_shift),
                      out_mult, out_shift, out_bits),  La = 30 - a_bits, Lb = 30 - b_bits.

    TFLite-style add of two inputs with different scales. Each input is shifted left into a
    30-bit signed value (|a << La| <= 2^29), rescaled into a common unit u (the quantiser
    picks u so that each ratio is <= 1/2, so each term is <= 2^28 and the int32 sum is
    <= 2^29), then requantised to out_bits (int16 residual stream or int8).
    """
    a = _as_i64(a)
    b = _as_i64(b)
    _check_range("add.a", a, -(1 << (a_bits - 1)), (1 << (a_bits - 1)) - 1)
    _check_range("add.b", b, -(1 << (b_bits - 1)), (1 << (b_bits - 1)) - 1)
    ta = rescale(a << add_lshift(a_bits), a_mult, a_shift)
    tb = rescale(b << add_lshift(b_bits), b_mult, b_shift)
    return requantize(ta + tb, out_mult, out_shift, out_bits)


# =========================================================================================
# Integer square root (bitwise, iterative)
# =========================================================================================
def isqrt_bitwise(v: int, bits: int = LN_VNORM_BITS) -> int:
    """floor(sqrt(v)) for an unsigned v < 2^bits (bits even), by the digit-by-digit method.

    One result bit per iteration, bits/2 iterations (31 for the LayerNorm's 62-bit input):
        rem = v; root = 0; bit = 2^(bits-2)
        repeat: if rem >= root + bit: rem -= root + bit; root = (root >> 1) + bit
                else: root >>= 1
                bit >>= 2
    Only compares, subtracts and shifts.
    """
    v = int(v)
    if v < 0 or v >= (1 << bits):
        raise NumericsError(f"isqrt_bitwise: v must be in [0, 2^{bits}), got {v}")
    rem, root, bit = v, 0, 1 << (bits - 2)
    while bit:
        if rem >= root + bit:
            rem -= root + bit
            root = (root >> 1) + bit
        else:
            root >>= 1
        bit >>= 2
    return root


# =========================================================================================
# LayerNorm
# =========================================================================================
def layernorm(x, in_bits: int, eps_v: int, g_mult, g_shift, g_neg, beta_q,
              out_bits: int = 8) -> np.ndarray:
    """Integer LayerNorm over d elements (d <= 4096, input int8 or int16).

    1. S1 = sum x (signed, in_bits+12 bits);  S2 = sum x^2 (unsigned, 2*in_bits+12 bits).
    2. V = d*S2 - S1^2 + eps_v  (unsigned, < 2^62; d*S2 - S1^2 = d^2 * var exactly;
       eps_v = max(1, round(eps * d^2 / s_x^2)) is an offline constant, so V >= 1).
    3. Normalise: k = (62 - bitlen(V)) // 2, Vn = V << 2k  in [2^60, 2^62).
    4. r = isqrt_bitwise(Vn)  in [2^30, 2^31)   (31 iterations).
    5. inv = floor(2^61 / r)  in (2^30, 2^31]   (the one division per vector, 62/31 bits).
    6. c_i = d*x_i - S1  (signed, in_bits+13 bits);  p_i = c_i * inv  (signed, <= 60 bits).
    7. z_i = RDBPOT(p_i, 61 - k - 16)   normalised value, signed, 16 fraction bits,
       |z| <= sqrt(d)*2^16 (23 bits). (shift = 45 - k is in [15, 45].)
    8. t_i = rescale(z_i, g_mult[i], g_shift[i]); t_i = -t_i where g_neg[i]
       (per-channel |gamma_i| * 2^-16 * 2^8 / s_y, i.e. 8 extra fraction bits).
    9. y_i = saturate(RDBPOT(t_i + beta_q[i], 8), out_bits); beta_q = round(beta*2^8/s_y)
       (int32; the sum t_i + beta_q[i] is 33 bits).
    A constant input vector gives z = 0 and y = beta exactly as quantised.
    """
    x = _as_i64(x)
    _check_range("layernorm.x", x, -(1 << (in_bits - 1)), (1 << (in_bits - 1)) - 1)
    d = x.shape[0]
    if d > 4096:
        raise NumericsError(f"layernorm: d={d} > 4096 not supported")
    s1 = int(x.sum())
    s2 = int((x * x).sum())
    v = d * s2 - s1 * s1 + int(eps_v)
    if v < 1 or v >= (1 << LN_VNORM_BITS):
        raise NumericsError(f"layernorm: V={v} outside [1, 2^62) (eps_v={eps_v})")
    k = (LN_VNORM_BITS - v.bit_length()) // 2
    vn = v << (2 * k)
    r = isqrt_bitwise(vn)
    inv = (1 << 61) // r
    c = d * x - s1
    z = rdbpot(c * inv, 61 - k - LN_NORM_FRAC)
    t = rescale(z, g_mult, g_shift)
    t = np.where(_as_i64(g_neg) != 0, -t, t)
    return saturate(rdbpot(t + _as_i64(beta_q), LN_AFFINE_FRAC), out_bits)


# =========================================================================================
# GELU
# =========================================================================================
def gelu_lut(x, table) -> np.ndarray:
    """y = table[x & 0xFF]: 256-entry int8 table indexed by the input's two's-complement byte.

    Entry u (0..255) holds the output for input x = u if u < 128 else u - 256, i.e.
    table[u] = saturate8(round(gelu_new(x * s_in) / s_out)) built offline (tanh-form GELU).
    Exact for int8 input.
    """
    x = _as_i64(x)
    _check_range("gelu.x", x, -128, 127)
    t = _as_i64(table)
    if t.shape != (256,):
        raise NumericsError(f"gelu table must have shape (256,), got {t.shape}")
    return t[x & 0xFF]


# =========================================================================================
# Softmax
# =========================================================================================
def exp2_table() -> np.ndarray:
    """The softmax exp2 table: E[f] = round(2^15 * 2^(-f/256)), f = 0..255, unsigned 16 bit.

    E[0] = 32768 (1.0 in Q1.15). It is a constant of the contract (the RTL stores it as a
    ROM); a test checks it against float. Computed here with integers only, to keep this
    module float-free: c = 2^62 * 2^(-1/256) is found by bisection on c^256 = 2^61 (Q.62),
    then E[f] = round(c^f / 2^47) with c^f accumulated in Q.62.
    """
    one = 1 << 62

    def pow256(c: int) -> int:  # (c / 2^62)^256 in Q.62
        p = c
        for _ in range(8):
            p = (p * p) >> 62
        return p

    lo, hi = one // 2, one  # find c with c^256 = 2^61 (i.e. (c/2^62)^256 = 1/2)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if pow256(mid) >= one // 2:
            hi = mid
        else:
            lo = mid
    c = hi
    out = np.empty(256, dtype=np.int64)
    acc = one
    for f in range(256):
        out[f] = (acc + (1 << 46)) >> 47  # Q.62 -> Q.15, round half up
        acc = (acc * c) >> 62
    return out


EXP2_TABLE = exp2_table()


def softmax_row(u, table=None) -> np.ndarray:
    """Integer softmax of base-2 fixed-point logits u (int32, 8 fraction bits), L <= 65535.

    1. m = max u;  delta_j = m - u_j >= 0 (int32).
    2. n_j = delta_j >> 8, f_j = delta_j & 255;
       e_j = RoundShift(E[f_j], n_j) with E the exp2 table (unsigned Q1.15, 2^15 = 1.0),
       RoundShift(v, n) = (v + 2^(n-1)) >> n for n >= 1, v for n = 0, and 0 for n >= 16.
       e_j is unsigned 16 bit (<= 32768); e = 32768 at the max.
    3. Z = sum e_j  (unsigned, 15 + ceil(log2 L) bits, Z >= 32768).
    4. R = floor(2^47 / Z)  (the one division per row; R in [2^16, 2^32] for L <= 2^16).
    5. p_j = min(65535, (e_j * R + 2^30) >> 31)   -> unsigned Q0.16 probabilities
       (e_j * R is <= 47 bits).
    """
    u = _as_i64(u)
    if u.ndim != 1 or u.shape[0] < 1 or u.shape[0] > 65535:
        raise NumericsError(f"softmax_row: need a 1-D row of 1..65535 scores, got {u.shape}")
    _check_range("softmax.u", u, INT32_MIN, INT32_MAX)
    E = EXP2_TABLE if table is None else _as_i64(table)
    delta = u.max() - u
    n = delta >> SM_LOG2_FRAC
    f = delta & ((1 << SM_LOG2_FRAC) - 1)
    ef = E[f]
    ns = np.minimum(n, 16)
    e = np.where(ns == 0, ef, (ef + (np.int64(1) << np.maximum(ns - 1, 0))) >> ns)
    e = np.where(n >= 16, 0, e)
    z = int(e.sum())
    r = (1 << SM_RECIP_SHIFT) // z
    sh = SM_RECIP_SHIFT - SM_PROB_BITS
    p = (e * r + (1 << (sh - 1))) >> sh
    return np.minimum(p, (1 << SM_PROB_BITS) - 1)


# =========================================================================================
# Decode attention (one new token, all heads, KV cache)
# =========================================================================================
def attention_decode(q, k, v, cache_k, cache_v, pos: int, n_head: int,
                     score_mult, score_shift, out_mult, out_shift) -> np.ndarray:
    """Multi-head attention of ONE new token at position `pos` against an int8 KV cache.

    q, k, v: int8 [d] of the new token; cache_k, cache_v: int8 [MaxSeq, d] (modified in
    place: row pos <- k, v). Raises NumericsError if pos >= MaxSeq or pos < 0.
    For each head h (columns h*hd .. h*hd+hd-1, hd = d / n_head <= 128):
      acc_j = sum_c q_h[c] * K[j, h, c]      int32 (|acc| < 2^21), j = 0..pos
      u_j   = rescale(acc_j << 8, score_mult, score_shift)
              base-2 logit, 8 fraction bits: real ratio s_q*s_k*log2(e)/sqrt(hd) (< 1)
      p     = softmax_row(u)                 unsigned Q0.16
      o[c]  = sum_j p_j * V[j, h, c]         int32 (|o| < 2^24)
      y[c]  = requantize(o[c], out_mult, out_shift)   int8, ratio s_v*2^-16/s_attn
    Returns int8 [d].
    """
    q = _as_i64(q)
    d = q.shape[0]
    max_seq = cache_k.shape[0]
    if not (0 <= pos < max_seq):
        raise NumericsError(f"attention_decode: pos={pos} outside the KV cache [0, {max_seq})")
    if d % n_head:
        raise NumericsError(f"attention_decode: d={d} not divisible by n_head={n_head}")
    hd = d // n_head
    if hd > ATT_MAX_HEAD_DIM:
        raise NumericsError(f"attention_decode: head_dim={hd} > {ATT_MAX_HEAD_DIM}")
    for name, a in (("q", q), ("k", k), ("v", v)):
        _check_range(f"attention.{name}", _as_i64(a), -128, 127)
    if cache_k.shape != (max_seq, d) or cache_v.shape != (max_seq, d):
        raise NumericsError(f"attention_decode: caches must be ({max_seq}, {d})")
    cache_k[pos] = k
    cache_v[pos] = v
    K = _as_i64(cache_k[: pos + 1]).reshape(pos + 1, n_head, hd)
    V = _as_i64(cache_v[: pos + 1]).reshape(pos + 1, n_head, hd)
    qh = q.reshape(n_head, hd)
    out = np.empty((n_head, hd), dtype=np.int64)
    for h in range(n_head):
        acc = K[:, h, :] @ qh[h]
        u = rescale(acc << ATT_SCORE_LSHIFT, score_mult, score_shift)
        p = softmax_row(u)
        o = p @ V[:, h, :]
        out[h] = requantize(o, out_mult, out_shift, 8)
    return out.reshape(d)
