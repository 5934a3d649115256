"""pyuvm testbench for requant (through verif/sv/tb_requant.sv): every element is one operation.

Inputs, joined element by element: s_axis = acc (int32), s_axis_p = {shift[4:0], mult[31:0]}.
Output element: {sat_lo, sat_hi, sat (24-bit two's complement), rescale (32-bit)}.
The model is ops.rescale / ops.requantize (ops.srdhm + ops.rdbpot for the negative multipliers
ops.rescale refuses: the RTL implements the full int32 SRDHM, including -2^31 * -2^31).
Stimulus mixes uniform random values with the edges: acc = +-2^31 bounds, mult 0 / 1 / 2^30 /
2^31-1 / -2^31, shift 0 / 1 / 30 / 31, and exact ties of SRDHM and of RDBPOT, of both signs.
"""

import numpy as np

from models import ops
from tbkit.coverage import Covergroup
from tbkit.env import MODE_POINT, BlockSpec, Port, standard_tests, tb_config

cfg = tb_config()
P = cfg.get("parameters", {})
OUT_BITS = P.get("OutBits", 8)
MAX_LEN = 48
M32 = (1 << 32) - 1
I32_MIN, I32_MAX = ops.INT32_MIN, ops.INT32_MAX


def unpack_p(vec):
    v = np.asarray(vec, dtype=np.int64)
    mult = ((v & M32) ^ (1 << 31)) - (1 << 31)
    return mult, (v >> 32) & 31


def reference(acc, mult, shift):
    """(rescale, saturated, hi, lo) per element, from the golden model."""
    acc, mult, shift = (np.asarray(a, dtype=np.int64) for a in (acc, mult, shift))
    pos = mult >= 0
    r = np.zeros_like(acc)
    sat = np.zeros_like(acc)
    if pos.any():
        r[pos] = ops.rescale(acc[pos], mult[pos], shift[pos])
        sat[pos] = ops.requantize(acc[pos], mult[pos], shift[pos], OUT_BITS)
    if (~pos).any():  # outside ops.rescale's contract: the primitives directly
        r[~pos] = ops.rdbpot(ops.srdhm(acc[~pos], mult[~pos]), shift[~pos])
        sat[~pos] = ops.saturate(r[~pos], OUT_BITS)
    hi = r > (1 << (OUT_BITS - 1)) - 1
    lo = r < -(1 << (OUT_BITS - 1))
    return r, sat, hi, lo


def model(txn):
    mult, shift = unpack_p(txn["s_axis_p"])
    r, sat, hi, lo = reference(txn["s_axis"], mult, shift)
    out = (r & M32) | ((sat & 0xFFFFFF) << 32) | (hi.astype(np.int64) << 56) | (lo.astype(np.int64) << 57)
    return {"m_axis": [out]}


EDGE_ACC = [I32_MIN, I32_MIN + 1, -(1 << 30), -3, -2, -1, 0, 1, 2, 3, 1 << 30, I32_MAX - 1, I32_MAX]
EDGE_MULT = [0, 1, 2, 1 << 29, 1 << 30, (1 << 30) + 1, I32_MAX - 1, I32_MAX]
EDGE_SHIFT = [0, 1, 2, 15, 30, 31]


def tie(rng):
    """An exact tie: SRDHM(acc, 2^30) = acc/2, a tie for odd acc; for even acc the quotient
    q*2^s + 2^(s-1) is an RDBPOT tie. Both signs."""
    if rng.random() < 0.5:
        return int(rng.integers(I32_MIN // 2, I32_MAX // 2)) * 2 + 1, 1 << 30, int(rng.integers(0, 32))
    s = int(rng.integers(1, 32))
    q = int(rng.integers(0, max(1, (1 << 29) >> s)))
    half = (q << s) + (1 << (s - 1))
    return (2 * half if rng.random() < 0.5 else -2 * half), 1 << 30, s


def one(rng):
    k = rng.random()
    acc = (int(rng.integers(I32_MIN, I32_MAX + 1)) if k < 0.5 else int(rng.choice(EDGE_ACC)) if k < 0.7
           else int(rng.integers(-(1 << 16), 1 << 16)))
    k = rng.random()
    mult = (int(rng.integers(1 << 30, I32_MAX + 1)) if k < 0.6 else int(rng.choice(EDGE_MULT)) if k < 0.85
            else int(rng.integers(0, 1 << 30)) if k < 0.95 else int(rng.choice([I32_MIN, -1, int(rng.integers(I32_MIN, 0))])))
    shift = int(rng.integers(0, 32)) if rng.random() < 0.6 else int(rng.choice(EDGE_SHIFT))
    return acc, mult, shift


def stimulus(rng, index):
    n = 1 if index == 0 else MAX_LEN if index == 1 else int(rng.integers(1, MAX_LEN + 1))
    items = [tie(rng) if rng.random() < 0.25 else one(rng) for _ in range(n)]
    if index == 2:  # the single saturating SRDHM case
        items[0] = (I32_MIN, I32_MIN, int(rng.integers(0, 32)))
    acc, mult, shift = (np.asarray(x, dtype=np.int64) for x in zip(*items))
    return {"s_axis": acc, "s_axis_p": (mult & M32) | (shift << 32)}


def analyse(txn):
    acc = np.asarray(txn["inputs"]["s_axis"], dtype=np.int64)
    mult, shift = unpack_p(txn["inputs"]["s_axis_p"])
    return acc, mult, shift, reference(acc, mult, shift)


def sat_bin(txn):
    *_, (_, _, hi, lo) = analyse(txn)
    return "both" if hi.any() and lo.any() else "hi" if hi.any() else "lo" if lo.any() else "none"


def tie_bin(txn):
    acc, mult, shift, _ = analyse(txn)
    srdhm_tie = any((int(a) * int(m)) % (1 << 31) == (1 << 30) for a, m in zip(acc, mult))
    s = ops.srdhm(acc, mult)
    rdb_tie = any(e > 0 and (int(x) & ((1 << int(e)) - 1)) == 1 << (int(e) - 1) for x, e in zip(s, shift))
    return "both" if srdhm_tie and rdb_tie else "srdhm" if srdhm_tie else "rdbpot" if rdb_tie else "none"


EDGES = {
    "acc=-2^31": lambda acc, mult, shift: acc == I32_MIN,
    "acc=2^31-1": lambda acc, mult, shift: acc == I32_MAX,
    "mult=0": lambda acc, mult, shift: mult == 0,
    "mult=2^30": lambda acc, mult, shift: mult == 1 << 30,
    "mult=2^31-1": lambda acc, mult, shift: mult == I32_MAX,
    "mult<0": lambda acc, mult, shift: mult < 0,
    "srdhm_saturates": lambda acc, mult, shift: (acc == I32_MIN) & (mult == I32_MIN),
    "shift=0": lambda acc, mult, shift: shift == 0,
    "shift=31": lambda acc, mult, shift: shift == 31,
}


def edge_point(fn):
    return lambda txn: bool(fn(*analyse(txn)[:3]).any())


def covergroup():
    points = {
        "saturation": (sat_bin, ["none", "hi", "lo", "both"]),
        "ties": (tie_bin, ["none", "srdhm", "rdbpot", "both"]),
        "mode": MODE_POINT,
    }
    points |= {f"edge[{name}]": (edge_point(fn), [True]) for name, fn in EDGES.items()}
    return Covergroup("requant", points)


SPEC = BlockSpec(
    name="requant",
    inputs={"s_axis": Port(32, signed=True), "s_axis_p": Port(37)},
    outputs={"m_axis": Port(58)},
    model=model,
    stimulus=stimulus,
    transactions=40,
    covergroup=covergroup,
)

standard_tests(__name__, SPEC)
