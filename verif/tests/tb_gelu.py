"""pyuvm testbench for rtl/gelu.sv: the 256-entry int8 GELU table, Lanes elements per beat.

Each test loads its own table (env.state) through the tbl_* port (configure hook): either the real
quantised GELU table for random input/output scales (quantize.gelu_table), or a random table,
which exposes any indexing error a smooth, mostly-flat GELU table would hide.
"""

import numpy as np
from cocotb.triggers import RisingEdge

from models import ops, quantize
from tbkit.coverage import Covergroup
from perfmodel import units
from tbkit.env import MODE_POINT, BlockSpec, BlockTest, Port, standard_tests, tb_config, vector_length
from tbkit.perf import HandshakeLog

cfg = tb_config()
P = cfg.get("parameters", {})
LANES = P.get("Lanes", 1)
MAX_BEATS = cfg.get("max_beats", 32)


def new_state():
    """The test's table (loaded into the DUT by configure) and what kind it is."""
    return {"table": np.zeros(256, np.int64), "kind": "none"}


def make_table(rng):
    if rng.random() < 0.5:
        return "random", rng.integers(-128, 128, 256)
    s_in = float(np.exp(rng.uniform(np.log(0.005), np.log(0.2))))
    top = float(np.max(np.abs(quantize.float_ref.gelu_new(np.arange(-128, 128) * s_in))))
    s_out = top / 127 * float(rng.uniform(0.6, 1.4))  # < 1: the top entries saturate
    return "gelu", quantize.gelu_table(s_in, s_out).astype(np.int64)


async def configure(env, rng):
    dut = env.dut
    kind, table = make_table(rng)
    env.state.update(table=table, kind=kind)
    env.logger.info(f"GELU table: {kind}")
    for u in range(256):
        dut.tbl_we.value, dut.tbl_addr.value, dut.tbl_wdata.value = 1, u, int(table[u]) & 0xFF
        await RisingEdge(dut.clk)
    dut.tbl_we.value = 0


def model(txn, state):
    return {"m_axis": [ops.gelu_lut(txn["s_axis"], state["table"])]}


KINDS = ["random", "constant", "extremes", "sweep"]


def stimulus(rng, index, _state):
    kind = KINDS[index % len(KINDS)] if index >= 2 else "random"
    n = 256 if kind == "sweep" else vector_length(rng, index, MAX_BEATS, LANES)
    n = -(-n // LANES) * LANES
    if kind == "constant":
        x = np.full(n, rng.integers(-128, 128))
    elif kind == "extremes":
        x = rng.choice([-128, 127], n)
    elif kind == "sweep":
        x = np.arange(-128, 128)[rng.permutation(256)]
    else:
        x = rng.integers(-128, 128, n)
    return {"s_axis": x}


def vector_kind(txn):
    x = txn["inputs"]["s_axis"]
    if len(x) >= 256 and len(set(x.tolist())) == 256:
        return "all 256 inputs"
    if len(set(x.tolist())) == 1:
        return "all equal"
    if set(x.tolist()) <= {-128, 127}:
        return "only extremes"
    return "random"


def extremes_bin(txn):
    x = txn["inputs"]["s_axis"]
    lo, hi = bool((x == -128).any()), bool((x == 127).any())
    return "min and max" if lo and hi else "min only" if lo else "max only" if hi else "neither"


def length_bin(txn):
    beats = len(txn["inputs"]["s_axis"]) // LANES
    return "1 beat" if beats == 1 else f"{MAX_BEATS} beats" if beats == MAX_BEATS else "other"


def covergroup():
    points = {
        "extremes_seen": (extremes_bin, ["min and max", "min only", "max only", "neither"]),
        "vector": (vector_kind, ["random", "all equal", "only extremes", "all 256 inputs"]),
        "length": (length_bin, ["1 beat", f"{MAX_BEATS} beats", "other"]),
        "table": (lambda t: t["state"]["kind"], ["gelu", "random"]),
        "mode": MODE_POINT,
    }
    return Covergroup("gelu", points, crosses={"vector_x_mode": ["vector", "mode"]})


class TimingTest(BlockTest):
    """Latency and 1 beat/cycle back to back across vectors, as perfmodel.units.gelu states
    (header of rtl/gelu.sv)."""

    async def body(self, rng):
        log = HandshakeLog(self.env.dut, ["s_axis", "m_axis"], self.env.dut.clk)
        txns = [self.env.spec.stimulus(rng, 1) for _ in range(3)]  # index 1: the longest vectors
        await self.env.send(txns)
        await self.env.drain(len(txns))
        ins, outs = log.vectors("s_axis"), log.vectors("m_axis")
        beats = sum(v.beats for v in outs)
        cycles = outs[-1].last - outs[0].first + 1
        latency = outs[0].first - ins[0].first
        self.logger.info(f"gelu timing: latency {latency} cycles, {beats} beats in {cycles} cycles")
        want = [units.gelu(units.Stream.of(i)) for i in ins]
        assert latency == want[0].first - ins[0].first, f"latency {latency} cycles, the model says {units.GELU_LATENCY}"
        assert [(o.first, o.last) for o in outs] == [(w.first, w.last) for w in want], (
            f"output vectors at {[(o.first, o.last) for o in outs]}, the model says {[(w.first, w.last) for w in want]}")
        assert cycles == beats, f"{beats} beats took {cycles} cycles, the header says 1 beat/cycle"


SPEC = BlockSpec(
    name="gelu",
    inputs={"s_axis": Port(8, signed=True)},
    outputs={"m_axis": Port(8, signed=True)},
    model=model,
    stimulus=stimulus,
    transactions=24,
    max_cycles_per_txn=1200,  # up to 256 beats at random idle and backpressure
    covergroup=covergroup,
    configure=configure,
    state=new_state,
    extra_tests={"test_timing": TimingTest},
)

standard_tests(__name__, SPEC)
