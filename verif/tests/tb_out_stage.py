"""pyuvm testbench for rtl/out_stage.sv (through verif/sv/tb_out_stage.sv, a model producer).

The harness turns out_stage's credit/issue contract into AXI-Stream inputs: s_axis (Lanes int32
accumulators with Requant = 1, Lanes OutBits elements with Requant = 0) and s_axis_p (the beat's
rq_scale_t, packed with tbkit.words by field name), joined beat by beat; a beat is issued only
while `credit` is high and reaches out_stage Delay cycles later. The model is ops.requantize per
lane with the beat's scale (Requant = 1) or the identity (Requant = 0, the scale is random and must
be ignored). The stimulus mixes random int32 accumulators with the edges (+-2^31 bounds, 0, +-1),
multipliers in [2^30, 2^31-1] with the edges 0 / 1 / 2^30 / 2^31-1, shifts 0..31 with the edges,
one scale per vector or one per beat (with Requant = 0 every bit of the scale word is random).

Coverage beyond the data (env.state, filled by a monitor of the harness): the producer held back
by an exhausted credit while a vector was offered, and the FIFO full while a vector waited to
leave (u_out.u_fifo.level == Depth), per vector.

Own tests:
  test_timing  no idle, no backpressure: in_valid -> m_axis_tvalid latency, issue schedule and
               1 beat/cycle at Depth >= the full-rate depth, all from perfmodel.units.out_stage*.
"""


import cocotb
import numpy as np
from cocotb.triggers import FallingEdge

from models import ops
from perfmodel import units
from tbkit.coverage import Covergroup
from tbkit.env import MODE_POINT, BlockSpec, BlockTest, Port, standard_tests, tb_config, vector_length
from tbkit.words import word

cfg = tb_config()
P = cfg.get("parameters", {})
LANES, OUT_BITS, REQUANT = P.get("Lanes", 1), P.get("OutBits", 8), P.get("Requant", 1)
RQ_STAGES, DEPTH, DELAY = P.get("RqStages", 3), P.get("Depth", 8), P.get("Delay", 2)
IN_BITS = 32 if REQUANT else OUT_BITS
MAX_BEATS = 16
I32_MIN, I32_MAX = ops.INT32_MIN, ops.INT32_MAX
SCALE = word("rq_scale_t")
MULT, SHIFT = SCALE.field("mult"), SCALE.field("shift")
FULL_RATE_DEPTH = units.out_stage_full_rate_depth(DELAY, bool(REQUANT), RQ_STAGES)


def high(signal) -> bool:
    return str(signal.value) == "1"


def unpack_scale(vec):
    v = np.asarray(vec, dtype=np.int64)
    return (v >> MULT.offset) & ((1 << MULT.width) - 1), (v >> SHIFT.offset) & ((1 << SHIFT.width) - 1)


# ---- Per-test state: what the harness monitor saw, per vector ------------------------------------
def new_state():
    return {"in_flags": [], "out_flags": [], "n_in": 0}


def on_reset(state):
    state.update(new_state())


async def watch(env):
    """Per vector: was the producer stalled on credit while offering it (in_flags), and was the FIFO
    full while it waited to leave (out_flags)? Sampled at falling edges, like tbkit.checker."""
    dut, st = env.dut, env.state
    level = dut.u_out.u_fifo.level
    stalled = full = False
    while True:
        await FallingEdge(dut.clk)
        if not high(dut.rst_n):
            stalled = full = False
            continue
        if high(dut.s_axis_tvalid) and high(dut.s_axis_p_tvalid) and not high(dut.credit):
            stalled = True
        if high(dut.s_axis_tvalid) and high(dut.s_axis_tready) and high(dut.s_axis_tlast):
            st["in_flags"].append(stalled)
            stalled = False
        if level.value.is_resolvable and int(level.value) == DEPTH:
            full = True
        if high(dut.m_axis_tvalid) and high(dut.m_axis_tready) and high(dut.m_axis_tlast):
            st["out_flags"].append(full)
            full = False


async def configure(env, rng):
    cocotb.start_soon(watch(env))


def model(txn, state):
    txn["index"] = state["n_in"]  # this vector's place in the monitor's per-vector flags
    state["n_in"] += 1
    data = txn["s_axis"]
    if not REQUANT:
        return {"m_axis": [data]}
    mult, shift = unpack_scale(txn["s_axis_p"])
    return {"m_axis": [ops.requantize(data, np.repeat(mult, LANES), np.repeat(shift, LANES), OUT_BITS)]}


# ---- Stimulus ------------------------------------------------------------------------------------
EDGE_ACC = [I32_MIN, I32_MIN + 1, -1, 0, 1, I32_MAX - 1, I32_MAX]
EDGE_MULT = [0, 1, 1 << 30, I32_MAX]
EDGE_SHIFT = [0, 1, 15, 16, 30, 31]


def one_scale(rng):
    k = rng.random()
    mult = (int(rng.integers(1 << 30, I32_MAX + 1)) if k < 0.7 else int(rng.choice(EDGE_MULT)) if k < 0.85
            else int(rng.integers(0, 1 << 30)))
    shift = int(rng.integers(0, 32)) if rng.random() < 0.5 else int(rng.choice(EDGE_SHIFT))
    return SCALE.pack({"mult": mult, "shift": shift})


def accumulators(rng, n):
    k = rng.random()
    if k < 0.4:
        return rng.integers(I32_MIN, I32_MAX + 1, n)
    if k < 0.6:
        return rng.choice(EDGE_ACC, n)
    span = 1 << int(rng.integers(1, 31))  # small values: results inside the output range
    return rng.integers(-span, span, n)


def elements(rng, n):
    lo, hi = -(1 << (OUT_BITS - 1)), (1 << (OUT_BITS - 1)) - 1
    return rng.choice([lo, hi], n) if rng.random() < 0.2 else rng.integers(lo, hi + 1, n)


def stimulus(rng, index, _state):
    n = vector_length(rng, index, MAX_BEATS, LANES)
    beats = n // LANES
    if not REQUANT:  # ignored: any word at all, every bit (mult[31] too) random
        scales = [int(x) for x in rng.integers(0, 1 << SCALE.width, beats)]
    elif rng.random() < 0.3:  # one scale for the whole vector (a channel's), else one per beat
        scales = [one_scale(rng)] * beats
    else:
        scales = [one_scale(rng) for _ in range(beats)]
    data = accumulators(rng, n) if REQUANT else elements(rng, n)
    return {"s_axis": np.asarray(data, dtype=np.int64), "s_axis_p": np.asarray(scales, dtype=np.int64)}


# ---- Coverage ------------------------------------------------------------------------------------
def flag(key):
    def fn(txn):
        flags, i = txn["state"][key], txn["inputs"]["index"]
        return flags[i] if i < len(flags) else None  # None: not seen by the monitor (no bin)
    return fn


def sat_bin(txn):
    if not REQUANT:
        return "n/a"
    mult, shift = unpack_scale(txn["inputs"]["s_axis_p"])
    r = ops.rescale(txn["inputs"]["s_axis"], np.repeat(mult, LANES), np.repeat(shift, LANES))
    hi, lo = (r > (1 << (OUT_BITS - 1)) - 1).any(), (r < -(1 << (OUT_BITS - 1))).any()
    return "both" if hi and lo else "hi" if hi else "lo" if lo else "none"


def scale_point(which, test):
    def fn(txn):
        if not REQUANT:
            return False
        mult, shift = unpack_scale(txn["inputs"]["s_axis_p"])
        return bool(test(mult if which == "mult" else shift).any())
    return fn


SCALE_EDGES = {
    "shift[0]": ("shift", lambda s: s == 0),
    "shift[1-15]": ("shift", lambda s: (s >= 1) & (s <= 15)),
    "shift[16-30]": ("shift", lambda s: (s >= 16) & (s <= 30)),
    "shift[31]": ("shift", lambda s: s == 31),
    "mult[0]": ("mult", lambda m: m == 0),
    "mult[<2^30]": ("mult", lambda m: (m > 0) & (m < 1 << 30)),
    "mult[2^31-1]": ("mult", lambda m: m == I32_MAX),
}


def depth_bin(_txn):
    return "1" if DEPTH == 1 else "full rate" if DEPTH >= FULL_RATE_DEPTH else "below full rate"


def covergroup():
    points = {
        "credit_stall": (flag("in_flags"), [True, False]),
        "fifo_full": (flag("out_flags"), [True, False]),
        "saturation": (sat_bin, ["none", "hi", "lo", "both"]),
        "depth": (depth_bin, ["1", "below full rate", "full rate"]),
        "requant": (lambda t: REQUANT, [0, 1]),
        "lanes": (lambda t: "1" if LANES == 1 else ">1", ["1", ">1"]),
        "mode": MODE_POINT,
    }
    points |= {name: (scale_point(which, test), [True]) for name, (which, test) in SCALE_EDGES.items()}
    return Covergroup("out_stage", points, crosses={"credit_stall_x_mode": ["credit_stall", "mode"]})


def dut_idle(dut):
    if not high(dut.idle):
        return "out_stage: idle low (items issued and not taken at m_axis)"
    return None


# ---- Own tests -----------------------------------------------------------------------------------
class TimingTest(BlockTest):
    """No idle, no backpressure, 3 vectors of 16 beats back to back: in_valid -> m_axis_tvalid =
    RqStages + 1 (Requant) or 1, issue -> in_valid = Delay, the credit's issue schedule and the
    output stream as perfmodel.units.out_stage states (1 beat/cycle at Depth >= its full-rate
    depth)."""

    async def body(self, rng):
        dut = self.env.dut
        cycles = {"issue": [], "in_valid": [], "m_axis": []}

        async def log():
            cycle = 0
            while True:
                await FallingEdge(dut.clk)
                cycle += 1
                if high(dut.issue):
                    cycles["issue"].append(cycle)
                if high(dut.in_valid):
                    cycles["in_valid"].append(cycle)
                if high(dut.m_axis_tvalid) and high(dut.m_axis_tready):
                    cycles["m_axis"].append(cycle)

        task = cocotb.start_soon(log())
        txns = [self.env.spec.stimulus(rng, 1) for _ in range(3)]
        await self.env.send(txns)
        await self.env.drain(len(txns))
        task.cancel()
        issue, valid, out = (np.asarray(cycles[k]) for k in ("issue", "in_valid", "m_axis"))
        beats = 3 * MAX_BEATS
        assert len(issue) == len(valid) == len(out) == beats, f"{len(issue)}/{len(valid)}/{len(out)} of {beats} beats"
        latency = units.out_stage_latency(bool(REQUANT), RQ_STAGES)
        got_lat, got_delay = sorted(set((out - valid).tolist())), sorted(set((valid - issue).tolist()))
        self.logger.info(f"out_stage timing: in_valid -> m_axis_tvalid {got_lat}, issue -> in_valid {got_delay}, "
                         f"{beats} beats in {out[-1] - out[0] + 1} cycles (Depth {DEPTH}, full rate from {FULL_RATE_DEPTH})")
        assert got_lat == [latency], f"in_valid -> m_axis_tvalid took {got_lat} cycles, the header says {latency}"
        assert got_delay == [DELAY], f"harness: issue -> in_valid took {got_delay} cycles, Delay is {DELAY}"
        want = [units.out_stage_issue(i, DEPTH, DELAY, bool(REQUANT), RQ_STAGES) for i in range(beats)]
        assert (issue - issue[0]).tolist() == want, (
            f"issued at {(issue - issue[0]).tolist()}, perfmodel.units.out_stage_issue says {want}")
        stream = units.out_stage(units.source(beats, int(issue[0])), DEPTH, DELAY, bool(REQUANT), RQ_STAGES)
        assert (out[0], out[-1]) == (stream.first, stream.last), (
            f"output from {out[0]} to {out[-1]}, perfmodel.units.out_stage says {stream.first} to {stream.last}")
        if DEPTH >= FULL_RATE_DEPTH:
            assert out[-1] - out[0] + 1 == beats, f"{beats} beats took {out[-1] - out[0] + 1} cycles at full-rate Depth"


SPEC = BlockSpec(
    name="out_stage",
    inputs={"s_axis": Port(IN_BITS, signed=True), "s_axis_p": Port(SCALE.width)},
    outputs={"m_axis": Port(OUT_BITS, signed=True)},
    model=model,
    stimulus=stimulus,
    transactions=30,
    covergroup=covergroup,
    dut_idle=dut_idle,
    on_reset=on_reset,
    configure=configure,
    state=new_state,
    extra_tests={"test_timing": TimingTest},
)

standard_tests(__name__, SPEC)
