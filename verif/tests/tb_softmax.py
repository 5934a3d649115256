"""pyuvm testbench for rtl/softmax.sv: one attention row of int32 base-2 logits -> uint16 Q0.16.

Rows of 1..MaxLen scores (1 first, MaxLen second, then random lengths) of several kinds: scores
as the attention produces them (x*log2(e)*2^8 for Gaussian x of a random spread), all equal,
the int32 extremes, one dominant score (p saturates at 65535), a spread wide enough that most
e_j underflow to 0 (n >= 16), and a spread below one unit (every n = 0).
"""

import numpy as np

from models import ops
from tbkit.coverage import Covergroup
from perfmodel import units
from tbkit.env import MODE_POINT, BlockSpec, BlockTest, Port, standard_tests, tb_config, vector_length
from tbkit.perf import HandshakeLog

cfg = tb_config()
P = cfg.get("parameters", {})
MAX_LEN = P.get("MaxLen", 1024)
I32 = (-(1 << 31), (1 << 31) - 1)

KINDS = ["attention", "all equal", "extremes", "dominant", "wide", "narrow"]


def model(txn):
    return {"m_axis": [ops.softmax_row(txn["s_axis"])]}


def stimulus(rng, index):
    n = vector_length(rng, index, MAX_LEN)
    kind = KINDS[int(rng.integers(len(KINDS)))] if index >= 2 else "attention"
    if kind == "attention":
        sigma = float(np.exp(rng.uniform(np.log(0.3), np.log(20.0))))
        u = np.round(rng.normal(0, sigma, n) * np.log2(np.e) * 256) + rng.integers(-(1 << 20), 1 << 20)
    elif kind == "all equal":
        u = np.full(n, rng.integers(*I32, endpoint=True))
    elif kind == "extremes":
        u = rng.choice(np.array(I32), n)
    elif kind == "dominant":
        u = rng.integers(-(1 << 12), 1 << 12, n)
        u[rng.integers(n)] = 1 << 16
    elif kind == "wide":
        u = rng.integers(-(1 << 24), 1 << 24, n)
    else:  # narrow: every delta < 256, so n = 0
        u = rng.integers(0, 256, n) + rng.integers(-(1 << 30), 1 << 30)
    return {"s_axis": np.clip(np.asarray(u, np.int64), *I32)}


def kind_bin(txn):
    u = txn["inputs"]["s_axis"]
    delta = u.max() - u
    if len(u) > 1 and (u == u[0]).all():
        return "all equal"
    if u.min() == I32[0] and u.max() == I32[1]:
        return "int32 min and max"
    if len(u) > 1 and (delta >> 8).max() >= 16:
        return "some e = 0"
    if len(u) > 1 and (delta >> 8).max() == 0:
        return "every n = 0"
    return "other"


def length_bin(txn):
    n = len(txn["inputs"]["s_axis"])
    return "1" if n == 1 else "MaxLen" if n == MAX_LEN else "other"


def covergroup():
    lengths = ["1", "MaxLen", "other"] if MAX_LEN > 1 else ["1"]
    points = {
        "length": (length_bin, lengths),
        "mode": MODE_POINT,
        # A row of one always gives p = 65535 (1.0 saturated).
        "saturated": (lambda t: bool((t["outputs"]["m_axis"][0] == 65535).any()), [True, False] if MAX_LEN > 1 else [True]),
    }
    if MAX_LEN > 1:
        points["kind"] = (kind_bin, ["all equal", "int32 min and max", "some e = 0", "every n = 0", "other"])
    return Covergroup("softmax", points)  # bins merge over every MaxLen built


class TimingTest(BlockTest):
    """Latency (tlast in -> first p), 1 beat/cycle out and the row period, as perfmodel.units.softmax
    and softmax_occupancy state (header of rtl/softmax.sv)."""

    async def body(self, rng):
        log = HandshakeLog(self.env.dut, ["s_axis", "m_axis"], self.env.dut.clk)
        txns = [self.spec.stimulus(rng, 1) for _ in range(3)]  # index 1: MaxLen-long rows
        await self.env.send(txns)
        await self.env.drain(len(txns))
        ins, outs = log.vectors("s_axis"), log.vectors("m_axis")
        n = MAX_LEN
        latency = [o.first - i.last for i, o in zip(ins, outs)]
        out_cycles = [o.last - o.first + 1 for o in outs]
        period = [b.first - a.first for a, b in zip(ins, ins[1:])]
        self.logger.info(f"softmax timing L={n}: latency {latency}, output cycles {out_cycles}, row period {period}")
        want = [units.softmax(units.Stream.of(i)) for i in ins]
        assert latency == [w.first - i.last for w, i in zip(want, ins)], (
            f"latency {latency} cycles, the model says {want[0].first - ins[0].last} for L = {n}")
        assert out_cycles == [w.cycles for w in want], f"{n} probabilities took {out_cycles} cycles, the model says 1 beat/cycle"
        occupancy = units.softmax_occupancy(n)
        assert period == [occupancy] * 2, f"row period {period} cycles, the model says {occupancy} for L = {n}"


SPEC = BlockSpec(
    name="softmax",
    inputs={"s_axis": Port(32, signed=True)},
    outputs={"m_axis": Port(16)},
    model=model,
    stimulus=stimulus,
    transactions=cfg.get("transactions", 12),
    covergroup=covergroup,
    max_cycles_per_txn=6 * MAX_LEN + 300,
    extra_tests={"test_timing": TimingTest},
)

standard_tests(__name__, SPEC)
