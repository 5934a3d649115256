"""pyuvm testbench for rtl/divider.sv (through verif/sv/tb_divider.sv): one division per beat.

Beats carry two lanes of LaneBits = max(DividendWidth, DivisorWidth): in, lane 0 = dividend and
lane 1 = divisor; out, lane 0 = quotient and lane 1 = remainder. The model is Python's exact
integer // and %. Stimulus mixes uniform operands, operands of random bit length (so small
quotients, large quotients and every width in between occur), and the edges: dividend 0, 1 and
all ones, divisor 1, all ones, a power of two, equal to the dividend, and larger than it. Division
by 0 is outside the contract (callers never divide by 0) and is not sent.
"""

import numpy as np

from tbkit.coverage import Covergroup
from tbkit.env import MODE_POINT, BlockSpec, Port, standard_tests, tb_config

cfg = tb_config()
P = cfg.get("parameters", {})
NW, DW = P.get("DividendWidth", 62), P.get("DivisorWidth", 31)
LANE = max(NW, DW)
NMAX, DMAX = (1 << NW) - 1, (1 << DW) - 1
MAX_OPS = 12


def model(txn):
    v = [int(x) for x in txn["s_axis"]]
    out = []
    for n, d in zip(v[0::2], v[1::2]):
        out += [n // d, n % d]
    return {"m_axis": [np.array(out, dtype=np.int64)]}


def rand_bits(rng, bits):
    """A value of a random bit length in [1, bits] (log-uniform magnitudes)."""
    k = int(rng.integers(1, bits + 1))
    return int(rng.integers(1 << (k - 1), 1 << k)) if k < 63 else int(rng.integers(1 << 62, (1 << 63) - 1))


def operands(rng):
    k = rng.random()
    if k < 0.3:
        n, d = int(rng.integers(0, NMAX, endpoint=True)), int(rng.integers(1, DMAX, endpoint=True))
    elif k < 0.6:
        n, d = rand_bits(rng, NW), rand_bits(rng, DW)
    else:
        n = int(rng.choice([0, 1, NMAX, NMAX - 1, 1 << (NW - 1), rand_bits(rng, NW)]))
        d = int(rng.choice([1, 2, DMAX, 1 << int(rng.integers(0, DW)), min(max(n, 1), DMAX),
                            min(n + 1 + int(rng.integers(0, 4)), DMAX), rand_bits(rng, DW)]))
    return n, max(d, 1)


def stimulus(rng, index):
    count = 1 if index == 0 else MAX_OPS if index == 1 else int(rng.integers(1, MAX_OPS + 1))
    ops_ = [operands(rng) for _ in range(count)]
    if index == 2:  # the extremes together
        ops_[:3] = [(NMAX, 1), (NMAX, DMAX), (0, DMAX)][:len(ops_)]
    return {"s_axis": np.array([x for op in ops_ for x in op], dtype=np.int64)}


def pairs(txn):
    v = [int(x) for x in txn["inputs"]["s_axis"]]
    return list(zip(v[0::2], v[1::2]))


def any_of(pred):
    return lambda txn: any(pred(n, d) for n, d in pairs(txn))


def quotient_bin(txn):
    """The largest quotient of the vector: all ones, its top half of bits in use, or only the bottom half."""
    q = max(n // d for n, d in pairs(txn))
    return "max" if q == NMAX else "upper half" if q.bit_length() > NW // 2 else "lower half"


EDGES = {
    "dividend=0": lambda n, d: n == 0,
    "dividend=max": lambda n, d: n == NMAX,
    "divisor=1": lambda n, d: d == 1,
    "divisor=max": lambda n, d: d == DMAX,
    "divisor>dividend": lambda n, d: d > n,
    "divisor=dividend": lambda n, d: d == n,
    "exact (remainder 0, dividend > 0)": lambda n, d: n > 0 and n % d == 0,
    "remainder=divisor-1": lambda n, d: d > 1 and n % d == d - 1,
}


def covergroup():
    points = {f"edge[{name}]": (any_of(fn), [True]) for name, fn in EDGES.items()}
    points["largest_quotient"] = (quotient_bin, ["lower half", "upper half", "max"])
    points["mode"] = MODE_POINT
    return Covergroup("divider", points)


SPEC = BlockSpec(
    name="divider",
    inputs={"s_axis": Port(LANE)},
    outputs={"m_axis": Port(LANE)},
    model=model,
    stimulus=stimulus,
    transactions=30,
    covergroup=covergroup,
    max_cycles_per_txn=MAX_OPS * (NW + 4) + 50,
)

standard_tests(__name__, SPEC)
