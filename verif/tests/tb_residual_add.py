"""pyuvm testbench for rtl/residual_add.sv: a (residual, int ABits) + b (branch, int BBits) -> int OutBits.

Each test draws realistic scales (a residual range, a branch range relative to it, an output
range that sometimes saturates) and turns them into the six multipliers/shifts with
quantize.quant_add, as the quantiser does (kept in env.state for the model). The join is stressed by the standard matrix (each
source has its own idle pattern) and by two skew tests in which one input starts hundreds of
cycles after the other.
Shift = 1 (the Llama add, llama_ops.resid_add): only a's shift matters; each test draws it in
0..OutBits, so both the identity (shift 0) and shifts that round most of a away are covered.
"""

import random

import numpy as np

from models import llama_ops, ops, quantize
from tbkit.axis import never, random_pauses, stalled_then
from tbkit.coverage import Covergroup
from perfmodel import units
from tbkit.env import MODE_POINT, BlockSpec, BlockTest, Port, standard_tests, tb_config, vector_length
from tbkit.perf import HandshakeLog
from tbkit.words import word

cfg = tb_config()
P = cfg.get("parameters", {})
LANES, A_BITS, B_BITS, OUT_BITS = P.get("Lanes", 1), P.get("ABits", 16), P.get("BBits", 8), P.get("OutBits", 16)
RQ_STAGES = P.get("RqStages", units.ADD_RQ_STAGES)
SHIFT = P.get("Shift", 0)  # 1: y = sat(RDBPOT(a, a_shift) + b)
MAX_BEATS = 24
NAMES = ("a_mult", "a_shift", "b_mult", "b_shift", "out_mult", "out_shift")


async def configure(env, rng):
    if SHIFT:
        env.state.update(a_shift=int(rng.choice([0, 1, int(rng.integers(0, OUT_BITS + 1))])))
        env.logger.info(f"residual_add (Shift 1): a_shift {env.state['a_shift']}")
        # the fields Shift = 1 ignores get random values: they must not matter
        noise = {k.replace("_", "."): int(rng.integers(0, 1 << 31 if "mult" in k else 32)) for k in NAMES}
        env.dut.cfg.value = word("add_cfg_t").pack({**noise, "a.shift": env.state["a_shift"]})
        return
    range_a = float(np.exp(rng.uniform(np.log(0.5), np.log(200.0))))
    range_b = range_a * float(np.exp(rng.uniform(np.log(0.02), np.log(4.0))))
    range_y = max(range_a, range_b) * float(rng.uniform(0.4, 2.0))  # < sum: the output can saturate
    q = quantize.quant_add(range_a / 2 ** (A_BITS - 1), A_BITS, range_b / 2 ** (B_BITS - 1), B_BITS,
                           range_y / 2 ** (OUT_BITS - 1), "add")
    scales = env.state
    scales.update({k: int(q[f"add.{k}"]) for k in NAMES})
    env.logger.info(f"residual_add scales: {scales}")
    # cfg is an sllm_pkg::add_cfg_t: field "a.mult" holds a_mult, and so on.
    env.dut.cfg.value = word("add_cfg_t").pack({k.replace("_", "."): v for k, v in scales.items()})


def model(txn, scales):
    if SHIFT:
        return {"m_axis": [llama_ops.resid_add(txn["s_axis_a"], txn["s_axis_b"], scales["a_shift"], OUT_BITS)]}
    y = ops.residual_add(txn["s_axis_a"], txn["s_axis_b"], A_BITS, B_BITS, *(scales[k] for k in NAMES), OUT_BITS)
    return {"m_axis": [y]}


def lim(bits):
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


KINDS = ["random", "all equal", "extremes", "zero"]


def stimulus(rng, index, _state):
    n = vector_length(rng, index, MAX_BEATS, LANES)
    kind = KINDS[int(rng.integers(len(KINDS)))] if index >= 2 else "random"
    (alo, ahi), (blo, bhi) = lim(A_BITS), lim(B_BITS)
    if kind == "all equal":
        a, b = np.full(n, rng.integers(alo, ahi + 1)), np.full(n, rng.integers(blo, bhi + 1))
    elif kind == "extremes":
        a, b = rng.choice([alo, ahi], n), rng.choice([blo, bhi], n)
    elif kind == "zero":
        a, b = np.zeros(n, np.int64), np.zeros(n, np.int64)
    else:
        a, b = rng.integers(alo, ahi + 1, n), rng.integers(blo, bhi + 1, n)
    return {"s_axis_a": a, "s_axis_b": b}


def extremes_bin(txn):
    a, b = txn["inputs"]["s_axis_a"], txn["inputs"]["s_axis_b"]
    (alo, ahi), (blo, bhi) = lim(A_BITS), lim(B_BITS)
    return "a and b at both limits" if {alo, ahi} <= set(a.tolist()) and {blo, bhi} <= set(b.tolist()) else "no"


def saturation_bin(txn):
    y = txn["outputs"]["m_axis"][0]
    lo, hi = lim(OUT_BITS)
    return "top" if (y == hi).any() else "bottom" if (y == lo).any() else "none"


def covergroup():
    points = {
        "extremes": (extremes_bin, ["a and b at both limits", "no"]),
        "all_equal": (lambda t: len(set(t["inputs"]["s_axis_a"].tolist())) == 1, [True, False]),
        "saturation": (saturation_bin, ["top", "bottom", "none"]),
        "length": (lambda t: min(len(t["inputs"]["s_axis_a"]) // LANES, 2), [1, 2]),
        "mode": MODE_POINT,
    }
    return Covergroup("residual_add", points)


class SkewTest(BlockTest):
    """The b input starts 400 cycles after a, which runs without idle cycles (the join waits)."""

    late_port = "s_axis_b"
    idle = backpressure = True

    def patterns(self, pyrng: random.Random):
        super().patterns(pyrng)
        for p, agent in self.env.sources.items():
            tail = random_pauses(pyrng, 0.3)
            agent.set_idle(stalled_then(400, tail) if p == self.late_port else never())


class SkewATest(SkewTest):
    """The a input starts 400 cycles after b, which runs without idle cycles (the join waits)."""

    late_port = "s_axis_a"


class TimingTest(BlockTest):
    """Latency (beats joined -> output) and 1 beat/cycle, as perfmodel.units.residual_add states
    (header of rtl/residual_add.sv)."""

    async def body(self, rng):
        log = HandshakeLog(self.env.dut, ["s_axis_a", "s_axis_b", "m_axis"], self.env.dut.clk)
        txns = [self.env.spec.stimulus(rng, 1) for _ in range(3)]
        await self.env.send(txns)
        await self.env.drain(len(txns))
        a, b, outs = log.vectors("s_axis_a"), log.vectors("s_axis_b"), log.vectors("m_axis")
        latency = outs[0].first - max(a[0].first, b[0].first)
        beats, cycles = sum(v.beats for v in outs), outs[-1].last - outs[0].first + 1
        self.logger.info(f"residual_add timing: latency {latency} cycles, {beats} beats in {cycles} cycles")
        want = [units.residual_add(units.Stream.of(x), units.Stream.of(y), RQ_STAGES, SHIFT) for x, y in zip(a, b)]
        assert [(o.first, o.last) for o in outs] == [(w.first, w.last) for w in want], (
            f"output vectors at {[(o.first, o.last) for o in outs]} (latency {latency}), the model says "
            f"{[(w.first, w.last) for w in want]} at RqStages {RQ_STAGES}")
        assert cycles == beats, f"{beats} beats took {cycles} cycles, the header says 1 beat/cycle"


SPEC = BlockSpec(
    name="residual_add",
    inputs={"s_axis_a": Port(A_BITS, signed=True), "s_axis_b": Port(B_BITS, signed=True)},
    outputs={"m_axis": Port(OUT_BITS, signed=True)},
    model=model,
    stimulus=stimulus,
    transactions=30,
    covergroup=covergroup,
    configure=configure,
    state=dict,  # the test's six multipliers and shifts (NAMES)
    max_cycles_per_txn=300,
    extra_tests={"test_b_late": SkewTest, "test_a_late": SkewATest, "test_timing": TimingTest},
)

standard_tests(__name__, SPEC)
