"""pyuvm testbench for rtl/swiglu.sv: silu(gate) * up with a per-token power-of-two shift.

Inputs s_axis_g and s_axis_u (int16, Lanes per beat) are joined; outputs m_axis (y, int16) and
m_axis_e (the vector's shift e, one beat). The model is llama_ops.swiglu with the table the test
loaded: SmolLM2's kind of table (llama_quant.sigmoid_table for a random gate scale) or a random
monotone-free uint16 table, which exposes any index/interpolation error a smooth table hides.
Vectors: 1 beat first, MaxDim second, then random lengths; kinds random, small, zero up (e = 0),
extremes (the largest e and int16 saturation), one spike (one large product sets e for all).
"""

import numpy as np
from cocotb.triggers import RisingEdge

from models import llama_ops, llama_quant
from perfmodel import units
from tbkit.coverage import Covergroup
from tbkit.env import MODE_POINT, BlockSpec, BlockTest, Port, standard_tests, tb_config, vector_length
from tbkit.perf import HandshakeLog

cfg = tb_config()
P = cfg.get("parameters", {})
LANES, MAX_DIM, INDEX_BITS = P.get("Lanes", 1), P.get("MaxDim", 1536), P.get("IndexBits", 8)
MAX_BEATS = MAX_DIM // LANES
LO, HI = -(1 << 15), (1 << 15) - 1


def make_table(rng):
    if rng.random() < 0.5 and INDEX_BITS == llama_quant.SIG_INDEX_BITS:
        s_g = float(np.exp(rng.uniform(np.log(1e-4), np.log(1e-3))))
        return "sigmoid", llama_quant.sigmoid_table(s_g).astype(np.int64)
    return "random", rng.integers(0, 1 << 16, (1 << INDEX_BITS) + 1)


async def configure(env, rng):
    kind, table = make_table(rng)
    env.state.update(kind=kind, table=table)
    env.logger.info(f"swiglu table: {kind}")
    dut = env.dut
    for a, v in enumerate(table):
        dut.tbl_we.value, dut.tbl_addr.value, dut.tbl_wdata.value = 1, a, int(v)
        await RisingEdge(dut.clk)
    dut.tbl_we.value = 0


def model(txn, st):
    y, e = llama_ops.swiglu(txn["s_axis_g"], txn["s_axis_u"], st["table"])
    return {"m_axis": [y], "m_axis_e": [np.array([int(e)])]}


KINDS = ["random", "small", "zero_up", "extremes", "spike"]


def stimulus(rng, index, _st):
    n = vector_length(rng, index, MAX_BEATS, LANES)
    # vectors 0, 1: random at 1 beat and MaxDim; 2: up = 0 (every p = 0, so e = 0) in every test
    kind = "random" if index < 2 else "zero_up" if index == 2 else KINDS[int(rng.integers(len(KINDS)))]
    if kind == "small":
        g, u = rng.integers(-40, 41, n), rng.integers(-40, 41, n)
    elif kind == "zero_up":  # e = 0 needs max |g * sig * up| < 2^15: with sig ~ 2^15..2^16, only up = 0
        g, u = rng.integers(LO, HI + 1, n), np.zeros(n, np.int64)
    elif kind == "extremes":
        g, u = rng.choice([LO, HI], n), rng.choice([LO, HI], n)
    elif kind == "spike":
        g, u = rng.integers(-300, 301, n), rng.integers(-300, 301, n)
        j = int(rng.integers(n))
        g[j], u[j] = rng.choice([LO, HI]), rng.choice([LO, HI])
    else:
        g, u = rng.integers(LO, HI + 1, n), rng.integers(LO, HI + 1, n)
    return {"s_axis_g": g, "s_axis_u": u}


def e_bin(txn):
    e = int(txn["outputs"]["m_axis_e"][0][0])
    return "0" if e == 0 else "1..16" if e <= 16 else "17+"


def length_bin(txn):
    beats = len(txn["inputs"]["s_axis_g"]) // LANES
    return "1 beat" if beats == 1 else "MaxDim" if beats == MAX_BEATS else "other"


def covergroup():
    y = lambda t: t["outputs"]["m_axis"][0]
    lengths = ["1 beat", "MaxDim", "other"] if MAX_BEATS > 2 else ["1 beat", "MaxDim"]
    points = {
        "shift": (e_bin, ["0", "1..16", "17+"]),
        "length": (length_bin, lengths),
        "table": (lambda t: t["state"]["kind"], ["sigmoid", "random"]),
        # the shift normalises max |y| into [2^14, 2^15] whenever e > 0; e = 0 leaves it small
        "full_scale": (lambda t: bool(np.abs(y(t)).max() >= 1 << 14), [True, False]),
        "mode": MODE_POINT,
    }
    return Covergroup("swiglu", points, crosses={"shift_x_mode": ["shift", "mode"]})


class TimingTest(BlockTest):
    """Output at 1 beat per cycle and the vector period, as perfmodel.units.swiglu states."""

    async def body(self, rng):
        log = HandshakeLog(self.env.dut, ["s_axis_g", "m_axis"], self.env.dut.clk)
        txns = [self.env.spec.stimulus(rng, 1) for _ in range(3)]  # MaxDim-long vectors
        await self.env.send(txns)
        await self.env.drain(len(txns))
        ins, outs = log.vectors("s_axis_g"), log.vectors("m_axis")
        want = [units.swiglu(units.Stream.of(i)) for i in ins]
        got = [(o.first, o.last) for o in outs]
        assert got == [(w.first, w.last) for w in want], f"y beats at {got}, the model says {[(w.first, w.last) for w in want]}"
        period = [b.first - a.first for a, b in zip(ins, ins[1:])]
        occupancy = units.swiglu_occupancy(MAX_BEATS)
        assert period == [occupancy] * 2, f"vector period {period} cycles, the model says {occupancy}"


SPEC = BlockSpec(
    name="swiglu",
    inputs={"s_axis_g": Port(16, signed=True), "s_axis_u": Port(16, signed=True)},
    outputs={"m_axis": Port(16, signed=True), "m_axis_e": Port(6)},
    model=model,
    stimulus=stimulus,
    transactions=cfg.get("transactions", 12),
    covergroup=covergroup,
    configure=configure,
    state=dict,  # the test's table and its kind
    max_cycles_per_txn=6 * MAX_BEATS + 100,
    extra_tests={"test_timing": TimingTest},
)

standard_tests(__name__, SPEC)
