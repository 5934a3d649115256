"""Integer ops of the Llama (SmolLM2) layer against float and against independent integer code.

No GGUF, no torch: random inputs with fixed seeds. Each test compares with a float formula or
a plain Python-int re-computation written here, never with the op itself.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from models import llama_ops as lops, ops
from models.llama_quant import quantize_multiplier, sigmoid_table, wide_multiplier


def _deq_mult(m, s):
    return m * 2.0 ** -(31 + s)


@pytest.mark.parametrize("out_bits", [16, 24])
def test_requantize_wide_matches_float_ratio(out_bits):
    rng = np.random.default_rng(1)
    for real in (3.1e-9, 2.7e-5, 0.013, 0.77):
        pre, m, s = wide_multiplier(real, out_bits, "t")
        r_prime = _deq_mult(m, s)
        assert 2.0 ** -(32 - out_bits) <= r_prime < 2.0 ** -(31 - out_bits) or pre == 0
        lim = 2 ** (out_bits - 1)
        acc = rng.integers(-int(lim / real * 0.9), int(lim / real * 0.9), 2000)
        y = lops.requantize_wide(acc, pre, m, s, out_bits)
        ref = np.clip(np.round(acc * real), -lim, lim - 1)
        assert np.abs(y - ref).max() <= 1
        big = np.array([int(lim / real * 4), -int(lim / real * 4)])  # saturates, whatever the int32 clamp
        assert list(lops.requantize_wide(big, pre, m, s, out_bits)) == [lim - 1, -lim]


def test_shift_round_negative_is_exact_left_shift():
    x = np.array([5, -7, 1 << 40])
    assert list(lops.shift_round(x, -3)) == [40, -56, 1 << 43]
    assert list(lops.shift_round(np.array([5, -5, 6, -6]), 1)) == [3, -3, 3, -3]  # ties away from 0


def test_q4_accumulate_is_the_grouped_integer_sum():
    rng = np.random.default_rng(2)
    N, K = 5, 96
    codes = rng.integers(0, 16, (N, K)).astype(np.uint8)
    D = rng.integers(-(1 << 18), 1 << 18, (N, K // 32)).astype(np.int32)
    C = rng.integers(-(1 << 18), 1 << 18, (N, K // 32)).astype(np.int32)
    x = rng.integers(-32768, 32768, (3, K))
    got = lops.q4_accumulate(x, codes, D, C)
    for t in range(3):
        for n in range(N):  # the RTL's grouped form, in Python ints
            acc = 0
            for g in range(K // 32):
                xs = [int(v) for v in x[t, g * 32:(g + 1) * 32]]
                qs = [int(v) - 8 for v in codes[n, g * 32:(g + 1) * 32]]
                acc += int(D[n, g]) * sum(a * b for a, b in zip(qs, xs)) + int(C[n, g]) * sum(xs)
            assert int(got[t, n]) == acc
    with pytest.raises(ops.NumericsError, match="q4_linear.x"):
        lops.q4_accumulate(np.full(K, 40000), codes, D, C)


def test_q4_accumulate_falls_back_to_int64_beyond_2_53():
    N, K = 2, 4096
    codes = np.full((N, K), 0, np.uint8)  # q - 8 = -8
    D = np.full((N, K // 32), (1 << 24) - 1, np.int32)
    C = np.zeros((N, K // 32), np.int32)
    x = np.full(K, -32768)
    got = lops.q4_accumulate(x, codes, D, C)
    assert int(got[0]) == K * 8 * ((1 << 24) - 1) * 32768 and int(got[0]) > (1 << 53)


def test_rmsnorm_matches_float():
    rng = np.random.default_rng(3)
    d = 576
    s_x = 2.0 ** -10
    eps = 1e-5
    gamma = rng.normal(1.0, 0.5, d)
    for scale in (50.0, 3000.0):
        x = np.clip(np.round(rng.normal(0, scale, d)), -(1 << 23), (1 << 23) - 1).astype(np.int64)
        x[507] = (1 << 23) - 1  # an outlier channel, as in SmolLM2's residual
        xr = x * s_x
        yf = xr / math.sqrt((xr * xr).mean() + eps) * gamma
        s_y = np.abs(yf).max() / 32767
        ratio = math.sqrt(d) * np.abs(gamma) * 2.0 ** -30 / s_y
        ms = [quantize_multiplier(float(r), "g") for r in ratio]
        eps_v = max(1, round(eps * d / s_x ** 2))
        y = lops.rmsnorm(x, 24, eps_v, [m for m, _ in ms], [s for _, s in ms], (gamma < 0).astype(int))
        assert np.abs(y * s_y - yf).max() <= 1.01 * s_y
    z = lops.rmsnorm(np.zeros(d, np.int64), 24, 1, [1 << 30] * d, [0] * d, [0] * d)
    assert not z.any()  # V = eps_v: a zero vector stays 0, never divides by 0


def test_rope_matches_float_rotation():
    rng = np.random.default_rng(4)
    hd, heads, P = 64, 3, 300
    ang = np.arange(P)[:, None] * 1e5 ** (-np.arange(0, hd, 2) / hd)[None, :]
    cos_t = np.round(np.cos(ang) * 16384).astype(np.int16)
    sin_t = np.round(np.sin(ang) * 16384).astype(np.int16)
    x = rng.integers(-23000, 23000, (5, heads * hd))
    pos = np.array([0, 1, 17, 150, 299])
    y = lops.rope(x, pos, cos_t, sin_t, hd)
    xr = x.reshape(5, heads, hd // 2, 2).astype(np.float64)
    c, s = np.cos(ang[pos])[:, None, :], np.sin(ang[pos])[:, None, :]
    ref = np.stack([xr[..., 0] * c - xr[..., 1] * s, xr[..., 0] * s + xr[..., 1] * c], -1).reshape(x.shape)
    assert np.abs(y - ref).max() <= 3  # int16 Q1.14 tables: < 2^-14 relative, plus rounding
    assert np.array_equal(lops.rope(x[2], 17, cos_t, sin_t, hd), y[2])
    with pytest.raises(ops.NumericsError, match="rope: position"):
        lops.rope(x[0], P, cos_t, sin_t, hd)


def test_swiglu_matches_float_and_shift_is_per_token():
    rng = np.random.default_rng(5)
    s_g, s_u = 12.0 / 32767, 30.0 / 32767
    table = sigmoid_table(s_g)
    g = rng.integers(-32768, 32768, (3, 1536))
    u = rng.integers(-32768, 32768, (3, 1536))
    u[1] //= 1000  # a token with small values: a smaller shift
    y, e = lops.swiglu(g, u, table)
    gf, uf = g * s_g, u * s_u
    ref = gf / (1 + np.exp(-gf)) * uf
    unit = s_g * s_u * 2.0 ** -16 * 2.0 ** e[:, None]
    assert e[1] < e[0] and e[1] < e[2]
    assert np.all(np.abs(y).max(1) >= 1 << 13)  # the shift keeps the token's max in the top bits
    err = np.abs(y * unit - ref).max(1) / np.abs(ref).max(1)
    assert np.all(err < 2e-3), err
    sig = lops.sigmoid_lookup(np.arange(-32768, 32768, 7), table) / 65536.0
    xs = np.arange(-32768, 32768, 7) * s_g
    assert np.abs(sig - 1 / (1 + np.exp(-xs))).max() < 5e-4


def test_softmax_rows_equals_softmax_row():
    rng = np.random.default_rng(6)
    u = rng.integers(-9000, 9000, (20, 37))
    L = rng.integers(1, 38, 20)
    valid = np.arange(37)[None, :] < L[:, None]
    p = lops.softmax_rows(u, valid)
    for r in range(20):
        assert np.array_equal(p[r, :L[r]], ops.softmax_row(u[r, :L[r]]))
        assert not p[r, L[r]:].any()


def test_gqa_attention_matches_float():
    rng = np.random.default_rng(7)
    H, KvH, hd, T = 9, 3, 64, 12
    s_q = s_k = 4.0 / 32767
    s_v, s_o = 2.0 / 32767, 2.0 / 32767
    q = rng.integers(-32767, 32767, (T, H * hd))
    ck = np.zeros((32, KvH * hd), np.int64)
    cv = np.zeros((32, KvH * hd), np.int64)
    ck[:T] = rng.integers(-32767, 32767, (T, KvH * hd))
    cv[:T] = rng.integers(-32767, 32767, (T, KvH * hd))
    sp, sm, ss = wide_multiplier(s_q * s_k * math.log2(math.e) * 256 / math.sqrt(hd), 24, "s")
    op, om, osh = wide_multiplier(s_v * 2.0 ** -16 / s_o, 16, "o")
    pos = np.arange(T)
    y = lops.gqa_attention(q, ck, cv, pos, H, KvH, sp, sm, ss, op, om, osh)
    qf = (q * s_q).reshape(T, H, hd)
    kf = (ck[:T] * s_k).reshape(T, KvH, hd)
    vf = (cv[:T] * s_v).reshape(T, KvH, hd)
    for h in range(H):
        kvh = h // (H // KvH)
        sc = qf[:, h] @ kf[:, kvh].T / math.sqrt(hd) + np.triu(np.full((T, T), -np.inf), 1)
        pr = np.exp(sc - sc.max(1, keepdims=True))
        pr /= pr.sum(1, keepdims=True)
        ref = pr @ vf[:, kvh] / s_o
        assert np.abs(y.reshape(T, H, hd)[:, h] - ref).max() < 40, h  # Q0.16 probabilities, int16 out
    # one token alone (decode) equals its row of the batch
    assert np.array_equal(lops.gqa_attention(q[5], ck, cv, 5, H, KvH, sp, sm, ss, op, om, osh), y[5])
    with pytest.raises(ops.NumericsError, match="outside the KV cache"):
        lops.gqa_attention(q[0], ck, cv, 32, H, KvH, sp, sm, ss, op, om, osh)


def test_resid_add():
    a = np.array([(1 << 23) - 1, -5, 6, -(1 << 23)])
    b = np.array([10, 1, -1, -10])
    assert list(lops.resid_add(a, b, 0)) == [(1 << 23) - 1, -4, 5, -(1 << 23)]
    assert list(lops.resid_add(a, b, 2)) == [(1 << 21) + 10, 0, 1, -(1 << 21) - 10]
    with pytest.raises(ops.NumericsError):
        lops.resid_add(a, b, -1)
