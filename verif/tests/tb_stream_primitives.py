"""pyuvm testbench for the stream primitives: axis_register, axis_fifo, axis_pack and the axis_fork
wrapper.

All of them pass the element sequence through unchanged (axis_pack only regroups it into wider
beats), so the model is the identity (one copy per fork output).
The runner tells which top is simulated through TB_CONFIG["top"].
"""

import cocotb

from tbkit.coverage import Covergroup
from tbkit.env import MODE_POINT, BlockSpec, Port, standard_tests, tb_config, vector_length

cfg = tb_config()
P = cfg.get("parameters", {})
TOP = cfg.get("top", "axis_fifo")
BLOCK = TOP.removeprefix("tb_")  # coverage is named after the RTL module, not its test wrapper
WIDTH = P.get("DataWidth", P.get("ElemBits", 8))
GROUP = P.get("Ratio", 1)  # axis_pack: vectors are whole output beats
DEPTH = P.get("Depth", 2)
OUTPUTS = [f"m{i}_axis" for i in range(P.get("NumOutputs", 0))] or ["m_axis"]
MAX_BEATS = 3 * DEPTH + 8


def model(txn):
    return {p: [txn["s_axis"]] for p in OUTPUTS}


def stimulus(rng, index):
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
)

standard_tests(__name__, SPEC)
