"""pyuvm testbench for rtl/rope.sv: rotary position embedding of q or k, Lanes int16 per beat.

A transaction is one vector (Heads heads of HeadDim int16 elements) and its position beat
(s_axis_pos: lane 0 = pos, lane 1 = layer, sllm_pkg::token_t). The model is llama_ops.rope on
the table the test loaded, or zeros for a position outside the table (and the sticky pos_error).
Each test loads either SmolLM2's real table (llama_quant.rope_tables: theta, Q1.14) or a random
int16 table, which exposes any pair/row indexing error a smooth table would hide.
With RotElems > 0 only the first RotElems elements rotate and the tail must come out unchanged.
Vectors: 1 head first, the most heads second, then random; kinds random, extremes (every a, b in
{-32768, 32767}: the saturation corners), small. Index 3 is an error vector (pos >= MaxSeq).
"""

import numpy as np
from cocotb.triggers import RisingEdge

from models import llama_ops, llama_quant
from perfmodel import units
from tbkit.coverage import Covergroup
from tbkit.env import MODE_POINT, BlockSpec, BlockTest, Port, standard_tests, tb_config
from tbkit.perf import HandshakeLog
from tbkit.words import word

cfg = tb_config()
P = cfg.get("parameters", {})
LANES, HD, MAX_SEQ = P.get("Lanes", 2), P.get("HeadDim", 64), P.get("MaxSeq", 16)
ROT_ELEMS = P.get("RotElems", 0)  # 0: every element rotates; else the rest pass unchanged
MAX_HEADS = cfg.get("max_heads", 3)
LO, HI = -(1 << 15), (1 << 15) - 1


def make_table(rng):
    if rng.random() < 0.5:
        cos, sin = llama_quant.rope_tables({"head_dim": HD, "rope_theta": 1e5}, MAX_SEQ)
        return "real", cos.astype(np.int64), sin.astype(np.int64)
    return "random", rng.integers(LO, HI + 1, (MAX_SEQ, HD // 2)), rng.integers(LO, HI + 1, (MAX_SEQ, HD // 2))


async def configure(env, rng):
    kind, cos, sin = make_table(rng)
    env.state.update(kind=kind, cos=cos, sin=sin, error=False)
    env.logger.info(f"rope table: {kind}")
    dut, entry = env.dut, word("rope_entry_t")
    for p in range(MAX_SEQ):
        for i in range(HD // 2):
            dut.tbl_we.value, dut.tbl_addr.value = 1, p * (HD // 2) + i
            dut.tbl_wdata.value = entry.pack({"cos": cos[p, i], "sin": sin[p, i]})
            await RisingEdge(dut.clk)
    dut.tbl_we.value = 0


def model(txn, st):
    pos = int(txn["s_axis_pos"][0])
    x = np.asarray(txn["s_axis"], np.int64)
    if pos >= MAX_SEQ:
        st["error"] = True
        return {"m_axis": [np.zeros_like(x)]}
    rot = len(x) if ROT_ELEMS == 0 else min(ROT_ELEMS, len(x))
    y = np.concatenate([llama_ops.rope(x[:rot], pos, st["cos"], st["sin"], HD), x[rot:]])
    return {"m_axis": [y]}


def stimulus(rng, index, _st):
    heads = 1 if index == 0 else MAX_HEADS if index == 1 else int(rng.integers(1, MAX_HEADS + 1))
    n = heads * HD
    kind = rng.choice(["random", "random", "extremes", "small"]) if index >= 2 else "random"
    if kind == "extremes":
        x = rng.choice([LO, HI], n)
    elif kind == "small":
        x = rng.integers(-4, 5, n)
    else:
        x = rng.integers(LO, HI + 1, n)
    pos = MAX_SEQ + int(rng.integers(0, 3)) if index == 3 else int(rng.integers(0, MAX_SEQ))
    if index == 2:
        pos = MAX_SEQ - 1  # the table's last row
    return {"s_axis_pos": np.array([pos, 0]), "s_axis": x}


def pos_bin(txn):
    pos = int(txn["inputs"]["s_axis_pos"][0])
    return "outside" if pos >= MAX_SEQ else "0" if pos == 0 else "last row" if pos == MAX_SEQ - 1 else "middle"


def covergroup():
    y = lambda t: t["outputs"]["m_axis"][0]
    points = {
        "position": (pos_bin, ["0", "middle", "last row", "outside"]),
        "heads": (lambda t: len(t["inputs"]["s_axis"]) // HD, list(range(1, MAX_HEADS + 1))),
        "table": (lambda t: t["state"]["kind"], ["real", "random"]),
        "saturated": (lambda t: bool(((y(t) == HI) | (y(t) == LO)).any()), [True, False]),
        # a tail that passes unchanged: only in a build with RotElems
        "tail": (lambda t: bool(ROT_ELEMS) and len(t["inputs"]["s_axis"]) > ROT_ELEMS,
                 [True, False] if ROT_ELEMS else [False]),
        "mode": MODE_POINT,
    }
    return Covergroup("rope", points, crosses={"position_x_mode": ["position", "mode"]})


def check_flag(env):
    want, got = int(env.state["error"]), int(env.dut.pos_error.value)
    assert got == want, f"pos_error = {got}, but an out-of-table position was{' ' if want else ' not '}sent (seed {env.seed})"


class RopeTest(BlockTest):
    """The standard tests, plus the sticky flag checked against what was sent."""

    async def body(self, rng):
        await super().body(rng)
        check_flag(self.env)


class TimingTest(RopeTest):
    """Latency and 1 beat per cycle within a vector, as perfmodel.units.rope states (header of rtl/rope.sv)."""

    async def body(self, rng):
        log = HandshakeLog(self.env.dut, ["s_axis", "m_axis"], self.env.dut.clk)
        txns = [self.env.spec.stimulus(rng, 1) for _ in range(3)]
        await self.env.send(txns)
        await self.env.drain(len(txns))
        ins, outs = log.vectors("s_axis"), log.vectors("m_axis")
        want = [units.rope(units.Stream.of(i)) for i in ins]
        got = [(o.first, o.last) for o in outs]
        assert got == [(w.first, w.last) for w in want], (
            f"output beats at {got}, the model (perfmodel.units.rope) says {[(w.first, w.last) for w in want]}")
        check_flag(self.env)


SPEC = BlockSpec(
    name="rope",
    inputs={"s_axis_pos": Port(16), "s_axis": Port(16, signed=True)},
    outputs={"m_axis": Port(16, signed=True)},
    model=model,
    stimulus=stimulus,
    transactions=cfg.get("transactions", 16),
    covergroup=covergroup,
    configure=configure,
    state=dict,  # the test's table (kind, cos, sin) and whether an error vector was sent
    on_reset=lambda st: st.update(error=False),  # a reset clears the sticky flag
    max_cycles_per_txn=4 * MAX_HEADS * HD // LANES + 100,
    extra_tests={"test_timing": TimingTest},
)

standard_tests(__name__, SPEC, base=RopeTest)
