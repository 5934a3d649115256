"""Unit tests of the integer ops against independent references.

* requantize / rescale against a straightforward Python big-int implementation written
  from the rounding definitions (not from the numpy code).
* LayerNorm, softmax, GELU, add, linear and attention against float computations of the
  real-valued operation, with the tolerance stated in each test.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from models import ops
from models.quantize import QuantizationError, gelu_table, quant_add, quant_layernorm, quantize_multiplier

RNG_SEED = 20240611


@pytest.fixture
def rng():
    return np.random.default_rng(RNG_SEED)


# ---------------------------------------------------------------------------------------
# big-int reference of the requantisation contract
# ---------------------------------------------------------------------------------------
def ref_srdhm(a: int, b: int) -> int:
    if a == b == -(1 << 31):
        return (1 << 31) - 1
    return (a * b + (1 << 30)) >> 31  # floor: round to nearest, ties toward +inf


def ref_rdbpot(x: int, e: int) -> int:
    if e == 0:
        return x
    mag = (abs(x) + (1 << (e - 1))) >> e  # ties away from zero
    return mag if x >= 0 else -mag


def ref_requantize(acc: int, m: int, s: int, bits: int = 8) -> int:
    y = ref_rdbpot(ref_srdhm(acc, m), s)
    return max(-(1 << (bits - 1)), min((1 << (bits - 1)) - 1, y))


EDGE_ACC = [0, 1, -1, 2, -2, (1 << 31) - 1, -(1 << 31), (1 << 30), -(1 << 30), 12345, -12345,
            (1 << 20) + 1, -(1 << 20) - 1]
EDGE_MULT = [0, 1, 1 << 30, (1 << 30) + 1, (1 << 31) - 1, 1518500250]
EDGE_SHIFT = [0, 1, 2, 7, 15, 30, 31]


def test_srdhm_and_rdbpot_against_bigint(rng):
    a = np.concatenate([EDGE_ACC, rng.integers(-(1 << 31), 1 << 31, 3000)])
    b = np.concatenate([EDGE_MULT * 3, rng.integers(0, 1 << 31, a.size - 3 * len(EDGE_MULT))])[: a.size]
    got = ops.srdhm(a, b)
    assert got.tolist() == [ref_srdhm(int(x), int(y)) for x, y in zip(a, b)]
    assert int(ops.srdhm(-(1 << 31), -(1 << 31))) == (1 << 31) - 1
    for e in range(0, 32):
        xs = np.concatenate([EDGE_ACC, rng.integers(-(1 << 31), 1 << 31, 200),
                             [(1 << e) // 2, -((1 << e) // 2), 3 * (1 << e) // 2, -(3 * (1 << e) // 2)]])
        assert ops.rdbpot(xs, e).tolist() == [ref_rdbpot(int(x), e) for x in xs], f"exponent {e}"


def test_srdhm_tie_rounding():
    # a*b = +/- 0.5 * 2^31 and +/- 1.5 * 2^31: ties go toward +infinity
    assert int(ops.srdhm(1 << 15, 1 << 15)) == 1
    assert int(ops.srdhm(-(1 << 15), 1 << 15)) == 0
    assert int(ops.srdhm(-3 * (1 << 15), 1 << 15)) == -1
    # RDBPOT ties go away from zero
    assert ops.rdbpot([2, -2, 6, -6, 5, -5], 2).tolist() == [1, -1, 2, -2, 1, -1]


@pytest.mark.parametrize("bits", [8, 16])
def test_requantize_against_bigint(rng, bits):
    acc = np.concatenate([EDGE_ACC, rng.integers(-(1 << 31), 1 << 31, 2000),
                          rng.integers(-(1 << 16), 1 << 16, 2000)])
    for m in EDGE_MULT:
        for s in EDGE_SHIFT:
            got = ops.requantize(acc, m, s, bits)
            ref = [ref_requantize(int(x), m, s, bits) for x in acc]
            assert got.tolist() == ref, f"mult={m} shift={s}"
    # per-channel broadcasting
    m = rng.integers(1 << 30, 1 << 31, acc.size)
    s = rng.integers(0, 32, acc.size)
    got = ops.requantize(acc, m, s, bits)
    assert got.tolist() == [ref_requantize(int(x), int(mm), int(ss), bits) for x, mm, ss in zip(acc, m, s)]


def test_requantize_saturates():
    m = (1 << 31) - 1  # ratio ~ 1
    assert ops.requantize([1000, -1000, 127, -128, 128, -129], m, 0).tolist() == [127, -128, 127, -128, 127, -128]
    assert ops.requantize([40000, -40000], m, 0, 16).tolist() == [32767, -32768]


def test_requantize_rejects_out_of_contract():
    with pytest.raises(ops.NumericsError, match="rescale.acc"):
        ops.requantize(1 << 31, 1 << 30, 0)
    with pytest.raises(ops.NumericsError, match="rescale.shift"):
        ops.requantize(1, 1 << 30, 32)
    with pytest.raises(ops.NumericsError, match="rescale.multiplier"):
        ops.requantize(1, -5, 0)


@pytest.mark.parametrize("real", [0.999999, 0.5, 0.5000001, 0.1234567, 1e-3, 3.3e-7, 2.0 ** -31, 2.0 ** -32,
                                  1e-11, 1e-15, 0.0])
def test_quantize_multiplier(real):
    m, s = quantize_multiplier(real, "x")
    assert 0 <= s <= 31 and 0 <= m < (1 << 31)
    if real >= 2.0 ** -32:
        assert (1 << 30) <= m
    approx = m * 2.0 ** -(31 + s)
    assert abs(approx - real) <= max(real * 2.0 ** -30, 2.0 ** -63)


@pytest.mark.parametrize("real", [1.0, 1.5, float("inf"), float("nan"), -0.1])
def test_quantize_multiplier_rejects(real):
    with pytest.raises(QuantizationError, match="ratio"):
        quantize_multiplier(real, "thing.mult")


def test_requantize_tracks_real_ratio(rng):
    # |requantize(acc) - acc*ratio| <= 0.5 + tiny (two roundings; ratio error 2^-30)
    for real in (0.7, 0.01, 3e-4, 1.7e-6):
        m, s = quantize_multiplier(real, "r")
        acc = rng.integers(-(1 << 31), 1 << 31, 2000)
        y = ops.rescale(acc, m, s)
        assert np.max(np.abs(y - acc * real)) <= 1.0 + np.abs(acc).max() * real * 2.0 ** -29


# ---------------------------------------------------------------------------------------
# linear
# ---------------------------------------------------------------------------------------
def test_linear_matches_float_and_bigint(rng):
    K, N = 96, 40
    x = rng.integers(-128, 128, K)
    w = rng.integers(-128, 128, (K, N))
    b = rng.integers(-50000, 50000, N)
    reals = rng.uniform(1e-5, 2e-4, N)
    mm = [quantize_multiplier(r, "l") for r in reals]
    m = np.array([a for a, _ in mm]); s = np.array([c for _, c in mm])
    y = ops.linear(x, w, b, m, s)
    acc = [sum(int(x[k]) * int(w[k, n]) for k in range(K)) + int(b[n]) for n in range(N)]
    assert y.tolist() == [ref_requantize(a, int(m[n]), int(s[n])) for n, a in enumerate(acc)]
    yf = np.clip(np.round(np.array(acc) * reals), -128, 127)
    assert np.max(np.abs(y - yf)) <= 1


def test_linear_saturates_and_checks_shapes():
    x = np.full(8, 127); w = np.full((8, 2), 127); w[:, 1] = -128
    m, s = quantize_multiplier(0.5, "l")
    assert ops.linear(x, w, [0, 0], [m, m], [s, s]).tolist() == [127, -128]
    with pytest.raises(ops.NumericsError, match="do not match"):
        ops.linear(np.zeros(8), np.zeros((2, 8)), [0] * 8, [m] * 8, [s] * 8)
    with pytest.raises(ops.NumericsError, match="linear.x"):
        ops.linear(np.full(8, 128), w, [0, 0], [m, m], [s, s])


# ---------------------------------------------------------------------------------------
# residual add
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("a_bits", [8, 16])
def test_residual_add_matches_float(rng, a_bits):
    s_a, s_b = 0.0123 * (2 ** (8 - a_bits)) * 3, 0.0071
    s_y = s_a * 1.3
    p = quant_add(s_a, a_bits, s_b, 8, s_y, "add")
    lim = 1 << (a_bits - 1)
    a = np.concatenate([rng.integers(-lim, lim, 3000), [lim - 1, -lim, 0]])
    b = np.concatenate([rng.integers(-128, 128, 3000), [127, -128, 0]])
    y = ops.residual_add(a, b, a_bits, 8, p["add.a_mult"], p["add.a_shift"], p["add.b_mult"], p["add.b_shift"],
                         p["add.out_mult"], p["add.out_shift"], a_bits)
    yf = np.clip(np.round((a * s_a + b * s_b) / s_y), -lim, lim - 1)
    assert np.max(np.abs(y - yf)) <= 1
    assert np.mean(y == yf) > 0.99


def test_residual_add_saturates():
    p = quant_add(1.0, 8, 1.0, 8, 1.0, "add")
    args = [p[f"add.{k}"] for k in ("a_mult", "a_shift", "b_mult", "b_shift", "out_mult", "out_shift")]
    assert ops.residual_add([127, -128, 3], [127, -128, -5], 8, 8, *args, 8).tolist() == [127, -128, -2]


# ---------------------------------------------------------------------------------------
# isqrt and LayerNorm
# ---------------------------------------------------------------------------------------
def test_isqrt_bitwise(rng):
    vals = [0, 1, 2, 3, 4, 15, 16, 17, (1 << 60), (1 << 62) - 1, (1 << 61) + 12345]
    vals += [int(r) * int(r) + o for r in rng.integers(1, 1 << 31, 50) for o in (-1, 0, 1)]
    vals += [int(v) for v in rng.integers(0, 1 << 62, 300, dtype=np.int64)]
    for v in vals:
        assert ops.isqrt_bitwise(v) == math.isqrt(v), v
    with pytest.raises(ops.NumericsError):
        ops.isqrt_bitwise(1 << 62)


def _ln_case(x, s_x, gamma, beta, s_y, in_bits, eps=1e-5):
    d = x.size
    p = quant_layernorm(gamma, beta, eps, d, s_x, s_y, "ln")
    y = ops.layernorm(x, in_bits, int(p["ln.eps_v"]), p["ln.g_mult"], p["ln.g_shift"], p["ln.g_neg"],
                      p["ln.beta_q"], 8)
    xr = x.astype(np.float64) * s_x
    yr = (xr - xr.mean()) / np.sqrt(xr.var() + eps) * gamma + beta
    return y, np.clip(np.round(yr / s_y), -128, 127)


@pytest.mark.parametrize("in_bits,d", [(8, 128), (16, 128), (16, 768), (8, 1)])
def test_layernorm_matches_float(rng, in_bits, d):
    lim = 1 << (in_bits - 1)
    for trial in range(20):
        spread = lim if trial % 2 else max(2, lim >> 6)
        x = rng.integers(-spread, spread, d).clip(-lim, lim - 1)
        gamma = rng.normal(1.0, 0.5, d)
        gamma[::7] *= -1
        beta = rng.normal(0, 0.3, d)
        s_y = 4.0 / 127
        y, yf = _ln_case(x, 0.01, gamma, beta, s_y, in_bits)
        assert np.max(np.abs(y - yf)) <= 1, trial


def test_layernorm_zero_variance_gives_beta(rng):
    d = 128
    gamma = rng.normal(1, 0.5, d)
    beta = rng.normal(0, 0.5, d)
    for v in (0, 5, -32768, 32767):
        y, yf = _ln_case(np.full(d, v), 0.001, gamma, beta, 2.0 / 127, 16)
        assert np.max(np.abs(y - np.round(beta / (2.0 / 127)))) <= 1
        assert np.max(np.abs(y - yf)) <= 1


def test_layernorm_outlier_and_full_range(rng):
    d = 768
    x = np.zeros(d, dtype=np.int64)
    x[5] = 32767  # one outlier: normalised value ~ sqrt(d)
    gamma = np.ones(d)
    beta = np.zeros(d)
    y, yf = _ln_case(x, 0.01, gamma, beta, 30.0 / 127, 16)
    assert np.max(np.abs(y - yf)) <= 1
    x = np.where(np.arange(d) % 2, 32767, -32768)
    y, yf = _ln_case(x, 0.01, gamma, beta, 1.0 / 127, 16)
    assert np.array_equal(np.abs(y), np.full(d, 127)) and np.max(np.abs(y - yf)) <= 1


def test_layernorm_saturates_output(rng):
    x = rng.integers(-1000, 1000, 64)
    y, yf = _ln_case(x, 0.01, np.full(64, 10.0), np.zeros(64), 0.05, 16)
    assert y.max() == 127 and y.min() == -128 and np.max(np.abs(y - yf)) <= 1
    # an output scale below |gamma|/256 would need a multiplier >= 1: the quantiser refuses it
    with pytest.raises(QuantizationError, match="ln.g_mult"):
        _ln_case(x, 0.01, np.full(64, 10.0), np.zeros(64), 1.0 / 127, 16)


# ---------------------------------------------------------------------------------------
# GELU
# ---------------------------------------------------------------------------------------
def _gelu_float(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


@pytest.mark.parametrize("s_in,s_out", [(0.05, 0.04), (0.1, 0.1), (0.01, 0.005)])
def test_gelu_lut_exhaustive(s_in, s_out):
    table = gelu_table(s_in, s_out)
    x = np.arange(-128, 128)
    y = ops.gelu_lut(x, table)
    ref = np.clip(np.round(_gelu_float(x * s_in) / s_out), -128, 127)
    assert np.array_equal(y, ref)


def test_gelu_extremes_and_index_order():
    table = gelu_table(0.1, 0.1)
    assert table[0] == 0  # x = 0 sits at index 0 (two's-complement byte)
    assert int(ops.gelu_lut(-128, table)) == 0  # gelu(-12.8) ~ -5e-36
    assert int(ops.gelu_lut(127, table)) == 127  # gelu(12.7) = 12.7
    assert int(ops.gelu_lut(-1, table)) == int(table[255])
    t2 = gelu_table(0.1, 0.05)  # output range too small: saturates at 127
    assert int(ops.gelu_lut(127, t2)) == 127 and int(ops.gelu_lut(100, t2)) == 127
    with pytest.raises(ops.NumericsError):
        ops.gelu_lut(0, table[:255])


# ---------------------------------------------------------------------------------------
# softmax
# ---------------------------------------------------------------------------------------
def _softmax_float(u):
    z = (np.asarray(u, np.float64) / 256.0) * math.log(2)
    e = np.exp(z - z.max())
    return e / e.sum()


def test_exp2_table_against_float():
    f = np.arange(256)
    assert np.array_equal(ops.EXP2_TABLE, np.round(2 ** 15 * 2.0 ** (-f / 256)))


@pytest.mark.parametrize("L", [1, 2, 3, 7, 128, 1000])
def test_softmax_all_equal(L):
    p = ops.softmax_row(np.full(L, -12345))
    expect = min(65535, round(65536 / L))
    assert np.all(np.abs(p - expect) <= 1)


def test_softmax_one_dominant():
    u = np.full(128, 0); u[17] = 16 * 256 + 1  # 2^-16 relative: others vanish
    p = ops.softmax_row(u)
    assert p[17] == 65535 and p.sum() == 65535
    u = np.full(128, -(1 << 30)); u[3] = 1 << 30  # extreme int32 spread
    p = ops.softmax_row(u)
    assert p[3] == 65535 and np.count_nonzero(p) == 1


def test_softmax_matches_float(rng):
    for L in (1, 5, 64, 128, 513):
        for scale in (50, 400, 3000):
            u = rng.normal(0, scale, L).astype(np.int64)
            p = ops.softmax_row(u) / 65536.0
            assert np.max(np.abs(p - _softmax_float(u))) <= 4 / 65536, (L, scale)


def test_softmax_rejects_bad_rows():
    with pytest.raises(ops.NumericsError):
        ops.softmax_row(np.zeros(0))
    with pytest.raises(ops.NumericsError):
        ops.softmax_row(np.zeros((2, 2)))


# ---------------------------------------------------------------------------------------
# decode attention
# ---------------------------------------------------------------------------------------
def _attn_params(s_q, s_k, s_v, s_o, hd):
    sm, ss = quantize_multiplier(s_q * s_k * math.log2(math.e) / math.sqrt(hd), "s")
    om, os_ = quantize_multiplier(s_v * 2.0 ** -16 / s_o, "o")
    return sm, ss, om, os_


def _attn_float(q, K, V, n_head, s_q, s_k, s_v, s_o):
    d = q.size
    hd = d // n_head
    out = np.zeros(d)
    for h in range(n_head):
        c = slice(h * hd, (h + 1) * hd)
        sc = (K[:, c] * s_k) @ (q[c] * s_q) / math.sqrt(hd)
        e = np.exp(sc - sc.max())
        out[c] = (e / e.sum()) @ (V[:, c] * s_v)
    return np.clip(np.round(out / s_o), -128, 127)


@pytest.mark.parametrize("n_head,d,max_seq", [(4, 128, 16), (2, 64, 8), (1, 128, 4)])
def test_attention_decode_matches_float(rng, n_head, d, max_seq):
    s_q, s_k, s_v, s_o = 0.03, 0.025, 0.02, 0.012
    prm = _attn_params(s_q, s_k, s_v, s_o, d // n_head)
    ck = np.zeros((max_seq, d), np.int8); cv = np.zeros((max_seq, d), np.int8)
    for pos in range(max_seq):
        q, k, v = (rng.integers(-128, 128, d) for _ in range(3))
        y = ops.attention_decode(q, k, v, ck, cv, pos, n_head, *prm)
        assert np.array_equal(ck[pos], k) and np.array_equal(cv[pos], v)
        yf = _attn_float(q, ck[: pos + 1].astype(float), cv[: pos + 1].astype(float), n_head, s_q, s_k, s_v, s_o)
        assert np.max(np.abs(y - yf)) <= 1, pos
        if pos == 0:  # a single key: output is v rescaled
            assert np.max(np.abs(y - np.clip(np.round(v * s_v / s_o), -128, 127))) <= 1


def test_attention_rows_beyond_pos_are_ignored(rng):
    d, H, S = 64, 2, 8
    prm = _attn_params(0.03, 0.03, 0.02, 0.02, d // H)
    ck = rng.integers(-128, 128, (S, d)).astype(np.int8); cv = rng.integers(-128, 128, (S, d)).astype(np.int8)
    ck2, cv2 = ck.copy(), cv.copy()
    ck2[4:] = 0; cv2[4:] = 0
    q, k, v = (rng.integers(-128, 128, d) for _ in range(3))
    assert np.array_equal(ops.attention_decode(q, k, v, ck, cv, 3, H, *prm),
                          ops.attention_decode(q, k, v, ck2, cv2, 3, H, *prm))


def test_attention_pos_out_of_range():
    d = 32
    ck = np.zeros((4, d), np.int8); cv = np.zeros((4, d), np.int8)
    prm = _attn_params(0.03, 0.03, 0.02, 0.02, 16)
    z = np.zeros(d, np.int64)
    ops.attention_decode(z, z, z, ck, cv, 3, 2, *prm)  # last position is fine
    for pos in (4, 5, -1):
        with pytest.raises(ops.NumericsError, match="outside the KV cache"):
            ops.attention_decode(z, z, z, ck, cv, pos, 2, *prm)
    with pytest.raises(ops.NumericsError, match="not divisible"):
        ops.attention_decode(z, z, z, ck, cv, 0, 3, *prm)
