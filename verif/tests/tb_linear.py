"""pyuvm testbench for linear (through verif/sv/tb_linear.sv, whose SV memories stream the weights).

Python drives x (s_axis, Lanes int8 per beat) and takes y (m_axis, Cols elements per beat); the model is
ops.linear with the test's weights. Before each test's reset the test draws its weights, biases and
requantisation parameters from its seed (env.state, for the model), writes them as $readmemh files into the simulation's
directory and pulses `load`; the harness then replays the matrix, in linear.sv's output-major order,
for every vector. Nothing drives weights beat by beat from Python.

Tests: the shared stress matrix (random weights; random weight starvation in the idle tests), plus
  test_extreme            accumulators at exactly INT32_MAX / INT32_MIN, saturation both ways,
                          all -128 / all 127 / alternating inputs, mult 0 / 2^31-1, shift 0 / 31;
  test_weight_starvation  the weight and parameter memories withhold about half of their beats;
  test_perf               one vector, no stalls: cycles from the first x beat to the last y beat,
                          equal to perfmodel.units.linear_cycles (K*N/(Lanes*Cols) + 7), written to perf.json.
TB_CONFIG extras: "transactions" (vectors per test), "perf_json" (where test_perf writes its result).
"""

import json
import os
from pathlib import Path

import cocotb
import numpy as np
from cocotb.triggers import Timer

from models import ops
from tbkit.coverage import Covergroup
from tbkit import memh
from perfmodel import units
from tbkit.env import MODE_POINT, BlockSpec, BlockTest, Port, standard_tests, tb_config

cfg = tb_config()
P = cfg.get("parameters", {})
LANES, K, N = P.get("Lanes", 16), P.get("K", 64), P.get("N", 16)
OUT_BITS = P.get("OutBits", 8)
COLS = P.get("Cols", 1)
KB = K // LANES
IDEAL = units.linear_ideal_cycles(K, N, LANES, COLS)
I32_MIN, I32_MAX = ops.INT32_MIN, ops.INT32_MAX


def new_state():
    """The test's weights {w, bias, mult, shift}, and the harness counters as last sampled."""
    return {"weights": {}, "counters": {}}


# ---- Weights ----------------------------------------------------------------------------------
def random_weights(rng):
    w = rng.integers(-128, 128, (K, N))
    # acc ~ sqrt(K) * 74 * 74 for uniform x: shifts that put most outputs inside the output range
    # (int8: +-40 typical), some outside.
    std = np.sqrt(K) * 74 * 74
    base = max(0, int(np.log2(std / (40 << (OUT_BITS - 8)))))
    shift = np.clip(base + rng.integers(-2, 3, N), 0, 31)
    mult = rng.integers(1 << 30, 1 << 31, N)
    bias = rng.integers(-int(std), int(std) + 1, N) * (rng.random(N) < 0.8)
    zero = rng.random(N) < 0.05  # an all-zero column: shift 31 with a small (or 0) multiplier
    w[:, zero] = 0
    mult[zero] = rng.integers(0, 1 << 20, int(zero.sum()))
    shift[zero] = 31
    return dict(w=w, bias=bias, mult=mult, shift=shift)


def extreme_weights(rng):
    """Columns of all -128 / all 127 with the bias that puts acc at exactly INT32_MAX / INT32_MIN
    for an all -128 input, plus random columns; mult 2^31-1 / shift 0 saturates hardest."""
    w = rng.integers(-128, 128, (K, N))
    bias = rng.integers(-(1 << 16), 1 << 16, N)
    mult = rng.integers(0, 1 << 31, N)
    shift = rng.integers(0, 32, N)
    for n in range(N):
        kind = n % 6
        if kind == 0:  # x = -128 everywhere -> acc = INT32_MAX
            w[:, n], bias[n] = -128, I32_MAX - K * 128 * 128
        elif kind == 1:  # x = -128 everywhere -> acc = INT32_MIN
            w[:, n], bias[n] = 127, I32_MIN + K * 128 * 127
        elif kind == 2:
            w[:, n] = 127
        if kind in (0, 1, 3):
            mult[n], shift[n] = I32_MAX, 0
        elif kind == 4:
            mult[n], shift[n] = 0, 31
        elif kind == 5:
            mult[n], shift[n] = 1 << 30, 31
    return dict(w=w, bias=bias, mult=mult, shift=shift)


def write_memh(weights, directory: Path):
    """The harness memories' files (tb_linear.sv): weights output-major, then the parameters."""
    memh.write_memh(directory / "mem0.memh", memh.linear_weight_lines(weights["w"], LANES, COLS))
    memh.write_memh(directory / "mem1.memh",
                    memh.linear_param_lines(weights["bias"], weights["mult"], weights["shift"], COLS))


def accumulators(x, wt):
    return np.asarray(x, dtype=np.int64) @ np.asarray(wt["w"], dtype=np.int64) + wt["bias"]


def model(txn, state):
    wt = state["weights"]
    return {"m_axis": [ops.linear(txn["s_axis"], wt["w"], wt["bias"], wt["mult"], wt["shift"], OUT_BITS)]}


# ---- Stimulus ---------------------------------------------------------------------------------
def stimulus(rng, index, _state):
    kind = index % 5
    if kind == 0:
        return {"s_axis": rng.integers(-128, 128, K)}
    if kind == 1:
        return {"s_axis": rng.integers(0, 128, K)}
    if kind == 2:
        return {"s_axis": rng.integers(-128, 1, K)}
    if kind == 3:
        return {"s_axis": rng.integers(-8, 9, K)}
    return {"s_axis": rng.choice(np.array([-128, -1, 0, 1, 127]), K)}


def extreme_stimulus(rng, index):
    kind = index % 4
    if kind == 0:
        x = np.full(K, -128)
    elif kind == 1:
        x = np.full(K, 127)
    elif kind == 2:
        x = np.where(np.arange(K) % 2 == 0, -128, 127)
    else:
        x = rng.integers(-128, 128, K)
    return {"s_axis": x}


# ---- Coverage -----------------------------------------------------------------------------------
def rescaled(txn):
    wt = txn["state"]["weights"]
    return ops.rescale(accumulators(txn["inputs"]["s_axis"], wt), wt["mult"], wt["shift"])


def saturated_hi(txn):
    return bool((rescaled(txn) > (1 << (OUT_BITS - 1)) - 1).any())


def saturated_lo(txn):
    return bool((rescaled(txn) < -(1 << (OUT_BITS - 1))).any())


def acc_at(value):
    return lambda txn: bool((accumulators(txn["inputs"]["s_axis"], txn["state"]["weights"]) == value).any())


def sign_bin(txn):
    x = np.asarray(txn["inputs"]["s_axis"])
    return "all >= 0" if (x >= 0).all() else "all <= 0" if (x <= 0).all() else "mixed"


def grew(name):
    """True if the harness counter `name` grew since this point was last sampled in this test."""

    def fn(txn):
        value = int(getattr(cocotb.top, name).value)
        last = txn["state"]["counters"]
        before = last.get(name, 0)
        last[name] = value
        return value > before if value >= before else value > 0  # a reset clears the counter

    return fn


def covergroup():
    return Covergroup(
        "linear",
        {
            "saturated_hi": (saturated_hi, [True, False]),
            "saturated_lo": (saturated_lo, [True, False]),
            "acc_at_INT32_MAX": (acc_at(I32_MAX), [True, False]),
            "acc_at_INT32_MIN": (acc_at(I32_MIN), [True, False]),
            "x_signs": (sign_bin, ["all >= 0", "all <= 0", "mixed"]),
            "output_backpressured": (grew("out_stall_cycles"), [True, False]),
            "weights_starved": (grew("w_starve_cycles"), [True, False]),
            "mode": MODE_POINT,
        },
        crosses={"saturated_hi_x_mode": ["saturated_hi", "mode"], "saturated_lo_x_mode": ["saturated_lo", "mode"]},
    )


# ---- Tests --------------------------------------------------------------------------------------
class LinearTest(BlockTest):
    """Loads this test's weights into the harness memories before the first reset."""

    weights = staticmethod(random_weights)
    stall = None  # weight-stream starvation, /256 per cycle; None: random in idle tests

    async def run_phase(self):
        self.raise_objection()  # held across the load; the base run_phase raises its own
        dut = cocotb.top
        await Timer(1, "ns")  # the RTL's parameter checks ($fatal in initial blocks) run first
        assert K % LANES == 0, f"the RTL accepted K={K}, which is not a multiple of Lanes={LANES}"
        assert N % COLS == 0, f"the RTL accepted N={N}, which is not a multiple of Cols={COLS}"
        rng = np.random.default_rng([cocotb.RANDOM_SEED, 1])
        weights = self.env.state["weights"]
        weights.update(self.weights(rng))
        write_memh(weights, Path(os.getcwd()))
        stall = self.stall if self.stall is not None else int(rng.integers(30, 130)) if self.idle else 0
        dut.w_stall.value = stall
        dut.load.value = 0
        await Timer(1, "ns")
        dut.load.value = 1
        await Timer(1, "ns")
        dut.load.value = 0
        self.logger.info(f"weights loaded: K={K} N={N} Lanes={LANES} Cols={COLS}, weight starvation {stall}/256")
        await super().run_phase()
        self.drop_objection()


class ExtremeTest(LinearTest):
    """Accumulators at exactly INT32_MAX / INT32_MIN, saturation both ways, all -128 / all 127 /
    alternating inputs, mult 0 / 2^31-1, shift 0 / 31."""

    weights = staticmethod(extreme_weights)

    async def body(self, rng):
        transactions = [extreme_stimulus(rng, i) for i in range(max(self.env.spec.transactions, 8))]
        await self.env.send(transactions)
        await self.env.drain(len(transactions))


class WeightStarvationTest(LinearTest):
    """The weight and parameter memories withhold about half of their beats."""

    stall = 128


class PerfTest(LinearTest):
    """One vector, no stalls: cycles from the first x beat to the last y beat equal
    perfmodel.units.linear_cycles; written to perf.json."""

    stall = 0

    async def body(self, rng):
        await self.env.send([self.env.spec.stimulus(rng, 0)])
        await self.env.drain(1)
        dut = cocotb.top
        cycles = int(dut.last_out_cycle.value) - int(dut.first_in_cycle.value) + 1
        want = units.linear_cycles(K, N, LANES, cols=COLS)
        result = dict(K=K, N=N, lanes=LANES, cols=COLS, cycles=cycles, ideal_cycles=IDEAL, model_cycles=want)
        out = tb_config().get("perf_json") or Path(tb_config().get("test_dir", "."), "perf.json")
        Path(out).write_text(json.dumps(result))
        self.logger.info(f"perf: {result}")
        assert cycles == want, f"one GEMV took {cycles} cycles, the model says {want} (K*N/(Lanes*Cols) = {IDEAL})"


def linear_idle(dut):
    return None if int(dut.idle.value) else "linear: idle is low (a partial vector or a result in flight)"


SPEC = BlockSpec(
    name="linear",
    inputs={"s_axis": Port(8, signed=True)},
    outputs={"m_axis": Port(OUT_BITS, signed=True)},
    model=model,
    stimulus=stimulus,
    transactions=int(cfg.get("transactions", 10)),
    covergroup=covergroup,
    dut_idle=linear_idle,
    state=new_state,
    max_cycles_per_txn=8 * IDEAL + 12 * N + 200,
    extra_tests={"test_extreme": ExtremeTest, "test_weight_starvation": WeightStarvationTest,
                 "test_perf": PerfTest},
)

standard_tests(__name__, SPEC, base=LinearTest)
