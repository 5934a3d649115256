"""pyuvm testbench for rtl/isqrt.sv (through verif/sv/tb_isqrt.sv): one square root per beat.

s_axis = value (Bits), m_axis = root (Bits/2). The model is math.isqrt (and ops.isqrt_bitwise,
the digit-by-digit algorithm the RTL implements, must agree with it). Stimulus mixes uniform
values, values of random bit length, and the edges: 0, 1, 2, 3, perfect squares n^2 and their
neighbours n^2 - 1 and n^2 + 1, 2^(Bits-1), and all ones (2^62 - 1 at the LayerNorm's width).
"""

import math

import numpy as np

from models import ops
from tbkit.coverage import Covergroup
from tbkit.env import MODE_POINT, BlockSpec, Port, standard_tests, tb_config

cfg = tb_config()
BITS = cfg.get("parameters", {}).get("Bits", 62)
VMAX = (1 << BITS) - 1
RMAX = (1 << (BITS // 2)) - 1
MAX_OPS = 12


def model(txn):
    roots = []
    for v in (int(x) for x in txn["s_axis"]):
        r = math.isqrt(v)
        assert ops.isqrt_bitwise(v, BITS) == r, f"ops.isqrt_bitwise({v}, {BITS}) != math.isqrt"
        roots.append(r)
    return {"m_axis": [np.array(roots, dtype=np.int64)]}


def one(rng):
    k = rng.random()
    if k < 0.25:
        return int(rng.integers(0, VMAX, endpoint=True))
    if k < 0.5:
        b = int(rng.integers(1, BITS + 1))
        return int(rng.integers(1 << (b - 1), 1 << b))
    if k < 0.8:
        n = int(rng.integers(0, RMAX, endpoint=True)) >> int(rng.integers(0, BITS // 2))
        return min(max(n * n + int(rng.choice([-1, 0, 0, 1])), 0), VMAX)
    return int(rng.choice([0, 1, 2, 3, 4, 1 << (BITS - 1), VMAX - 1, VMAX, RMAX * RMAX]))


def stimulus(rng, index):
    count = 1 if index == 0 else MAX_OPS if index == 1 else int(rng.integers(1, MAX_OPS + 1))
    values = [one(rng) for _ in range(count)]
    if index == 2:  # the extremes together
        values[:3] = [VMAX, 0, RMAX * RMAX][:len(values)]
    return {"s_axis": np.array(values, dtype=np.int64)}


def any_of(pred):
    return lambda txn: any(pred(int(v)) for v in txn["inputs"]["s_axis"])


EDGES = {
    "value=0": lambda v: v == 0,
    "value=1": lambda v: v == 1,
    "value=max": lambda v: v == VMAX,
    "root=max": lambda v: math.isqrt(v) == RMAX,
    "perfect square > 1": lambda v: v > 1 and math.isqrt(v) ** 2 == v,
    "square - 1": lambda v: v > 0 and math.isqrt(v + 1) ** 2 == v + 1,
    "square + 1": lambda v: v > 1 and math.isqrt(v - 1) ** 2 == v - 1,
}


def root_bin(txn):
    """The largest root of the vector: all ones, its top half of bits in use, or only the bottom half."""
    r = max(math.isqrt(int(v)) for v in txn["inputs"]["s_axis"])
    return "max" if r == RMAX else "upper half" if r.bit_length() > BITS // 4 else "lower half"


def covergroup():
    points = {f"edge[{name}]": (any_of(fn), [True]) for name, fn in EDGES.items()}
    points["largest_root"] = (root_bin, ["lower half", "upper half", "max"])
    points["mode"] = MODE_POINT
    return Covergroup("isqrt", points)


SPEC = BlockSpec(
    name="isqrt",
    inputs={"s_axis": Port(BITS)},
    outputs={"m_axis": Port(BITS // 2)},
    model=model,
    stimulus=stimulus,
    transactions=30,
    covergroup=covergroup,
    max_cycles_per_txn=MAX_OPS * (BITS // 2 + 4) + 50,
)

standard_tests(__name__, SPEC)
