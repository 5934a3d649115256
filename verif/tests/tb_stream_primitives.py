"""pyuvm testbench for the stream primitives: axis_register, axis_fifo, axis_pack, axis_resize,
weight_prefetch and the axis_fork and weight_router wrappers.

All of them pass the element sequence through unchanged (axis_pack, axis_resize and
weight_prefetch only regroup it into other beat widths), so the model is the identity: one copy per
fork output; for the router, packet k goes to unit k mod NumUnits (its turn, back to 0 at reset).
Packets of the width converters are whole numbers of both beat widths (their contract).
The runner tells which top is simulated through TB_CONFIG["top"].
"""

import math

import cocotb

from tbkit.coverage import Covergroup
from tbkit.env import MODE_POINT, BlockSpec, Port, standard_tests, tb_config, vector_length

cfg = tb_config()
P = cfg.get("parameters", {})
TOP = cfg.get("top", "axis_fifo")
BLOCK = TOP.removeprefix("tb_")  # coverage is named after the RTL module, not its test wrapper
# Element width; the elements of the width converters are their units (weight_prefetch: bytes).
WIDTH = P.get("DataWidth", P.get("ElemBits", P.get("UnitBits", P.get("Width", 8))))
# Elements per packet come in multiples of GROUP: whole output beats of axis_pack, whole beats on
# both sides of axis_resize and weight_prefetch.
GROUP = (P.get("Ratio") or (P.get("InUnits") and math.lcm(P["InUnits"], P["OutUnits"]))
         or (P.get("BusBytes") and math.lcm(P["BusBytes"], P["Lanes"])) or 1)
DEPTH = P.get("Depth", 2)
FANOUT = P.get("NumOutputs", 0) or P.get("NumUnits", 0)
OUTPUTS = [f"m{i}_axis" for i in range(FANOUT)] or ["m_axis"]
ROUTER = TOP == "tb_weight_router"
MAX_BEATS = 3 * DEPTH + 8


class Turn(dict):
    """The router's turn: the unit the next packet goes to."""

    unit = 0


def model(txn, turn):
    if not ROUTER:
        return {p: [txn["s_axis"]] for p in OUTPUTS}
    unit = turn.unit
    turn.unit = (unit + 1) % len(OUTPUTS)
    return {p: [txn["s_axis"]] if p == OUTPUTS[unit] else [] for p in OUTPUTS}


def new_turn():
    return Turn()


def reset_turn(turn):
    turn.unit = 0


def stimulus(rng, index, _turn):
    n = vector_length(rng, index, MAX_BEATS, lanes=GROUP)
    return {"s_axis": rng.integers(0, 1 << WIDTH, n, dtype="uint64").astype("int64")}


def length_bin(txn):
    n = len(txn["inputs"]["s_axis"]) // GROUP
    return "1 beat" if n == 1 else "<= Depth beats" if n <= DEPTH else "> Depth beats"


def fifo_level_bin(_txn):
    # Sampled when a vector has fully come out; with traffic behind it the FIFO is rarely empty
    # then, so the bins are about reaching full under backpressure.
    return "full" if int(cocotb.top.level.value) == DEPTH else "not full"


def covergroup():
    points = {
        "length": (length_bin, ["1 beat", "<= Depth beats", "> Depth beats"]),
        "mode": MODE_POINT,
    }
    if TOP == "axis_fifo" and DEPTH > 1:
        points["level_at_output"] = (fifo_level_bin, ["not full", "full"])
    if ROUTER:
        points["unit"] = (lambda t: next(iter(t["outputs"])), OUTPUTS)  # the port the packet left by
    return Covergroup(BLOCK, points, crosses={"length_x_mode": ["length", "mode"]})


def fifo_idle(dut):
    level = int(dut.level.value)
    return f"axis_fifo level is {level}, not 0" if level else None


SPEC = BlockSpec(
    name=BLOCK,
    inputs={"s_axis": Port(WIDTH)},
    outputs={p: Port(WIDTH) for p in OUTPUTS},
    model=model,
    stimulus=stimulus,
    transactions=30,
    covergroup=covergroup,
    dut_idle=fifo_idle if TOP == "axis_fifo" else None,
    state=new_turn,
    on_reset=reset_turn,
)

standard_tests(__name__, SPEC)
