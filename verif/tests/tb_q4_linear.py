"""pyuvm testbench for rtl/q4_linear.sv: a GEMV with streamed Q4_1 codes and block scales.

Every transaction is one x vector with a fresh random matrix: codes on s_axis_w, each block's
{c, d} on s_axis_g (sllm_pkg::q4_group_t, packed by tbkit.words from the package), each row's
requantisation {pre, shift, mult} on s_axis_p (rq_wide_t) and, with XShift, the vector's x_shift
on s_axis_e. The model is llama_ops.q4_linear. Row scales come from llama_quant.wide_multiplier
for a ratio that puts the row's largest |acc| near the output's full scale (times 1/8 .. 4, so
some rows saturate), the way the quantiser derives them. Kinds: random (full int20 D and C, any
code, any int16 x), realistic (D >= 0 and small as GGUF blocks are, C = m + 8d), extremes (codes
0 and 15, x at the int16 limits, |D| and |C| at their largest), zero x.
"""

import numpy as np
from cocotb.triggers import RisingEdge

from models import llama_ops, llama_quant
from perfmodel import units
from tbkit import words
from tbkit.coverage import Covergroup
from tbkit.env import MODE_POINT, BlockSpec, BlockTest, Port, standard_tests, tb_config
from tbkit.perf import HandshakeLog

cfg = tb_config()
P = cfg.get("parameters", {})
LANES, K, N = P.get("Lanes", 32), P.get("K", 64), P.get("N", 16)
OUT_BITS, XSHIFT = P.get("OutBits", 16), P.get("XShift", 0)
GROUPS = K // llama_ops.Q4_GROUP
GROUP_WORD, ROW_WORD = words.word("q4_group_t"), words.word("rq_wide_t")
S20 = 1 << 19
X_LO, X_HI = -(1 << 15), (1 << 15) - 1
KINDS = ["random", "realistic", "extremes", "zero_x"]


def stimulus(rng, index, _st=None):
    kind = "random" if index == 0 else KINDS[int(rng.integers(len(KINDS)))]
    if kind == "extremes":
        x = rng.choice([X_LO, X_HI], K)
        codes = rng.choice([0, 15], (N, K))
        D = rng.choice([-S20, S20 - 1], (N, GROUPS))
        C = rng.choice([-S20, S20 - 1], (N, GROUPS))
    else:
        x = np.zeros(K, np.int64) if kind == "zero_x" else rng.integers(X_LO, X_HI + 1, K)
        codes = rng.integers(0, 16, (N, K))
        if kind == "realistic":
            D = rng.integers(0, 1 << int(rng.integers(4, 19)), (N, GROUPS))
            C = -8 * D + rng.integers(-(1 << 12), 1 << 12, (N, GROUPS))  # m + 8d with m ~ -8d
            C = np.clip(C, -S20, S20 - 1)
        else:
            D = rng.integers(-S20, S20, (N, GROUPS))
            C = rng.integers(-S20, S20, (N, GROUPS))
    acc = llama_ops.q4_accumulate(x, codes, D, C)
    full = float(1 << (OUT_BITS - 1))
    real = full / np.maximum(np.abs(acc), 1).astype(np.float64) * np.exp2(rng.uniform(-3, 2, N))
    real = np.minimum(real, 0.99)  # a ratio below 1 (wide_multiplier's contract)
    pre, mult, shift = llama_quant.wide_multiplier(real, OUT_BITS, "tb.row")
    x_shift = int(rng.integers(0, int(pre.min()) + 1)) if XSHIFT else 0
    txn = {
        "s_axis": x,
        "s_axis_w": codes.reshape(-1),
        "s_axis_g": np.array([GROUP_WORD.pack({"c": int(c), "d": int(d)})
                              for c, d in zip(C.reshape(-1), D.reshape(-1))], np.int64),
        "s_axis_p": np.array([ROW_WORD.pack({"pre": int(p), "scale.shift": int(s), "scale.mult": int(m)})
                              for p, s, m in zip(pre, shift, mult)], np.int64),
    }
    if XSHIFT:
        txn["s_axis_e"] = np.array([x_shift])
    return txn


def unpack_rows(txn):
    groups = [GROUP_WORD.unpack(int(w)) for w in txn["s_axis_g"]]
    rows = [ROW_WORD.unpack(int(w)) for w in txn["s_axis_p"]]
    signed20 = lambda v: v - (1 << 20) if v >= S20 else v  # noqa: E731
    D = np.array([signed20(g["d"]) for g in groups]).reshape(N, GROUPS)
    C = np.array([signed20(g["c"]) for g in groups]).reshape(N, GROUPS)
    pre = np.array([r["pre"] for r in rows])
    return D, C, pre, np.array([r["scale.mult"] for r in rows]), np.array([r["scale.shift"] for r in rows])


def kind_of(txn):
    """The stimulus kind, read back from the data (transactions carry only port vectors)."""
    x = np.asarray(txn["s_axis"])
    if not x.any():
        return "zero_x"
    if np.isin(x, [X_LO, X_HI]).all() and np.isin(txn["s_axis_w"], [0, 15]).all():
        return "extremes"
    return "realistic" if (unpack_rows(txn)[0] >= 0).all() else "random"


def model(txn):
    D, C, pre, mult, shift = unpack_rows(txn)
    x_shift = int(txn["s_axis_e"][0]) if XSHIFT else 0
    codes = np.asarray(txn["s_axis_w"]).reshape(N, K)
    y = llama_ops.q4_linear(txn["s_axis"], codes, D, C, pre, mult, shift, OUT_BITS, x_shift)
    return {"m_axis": [y]}


async def configure(env, _rng):
    if not XSHIFT:
        env.dut.s_axis_e_tvalid.value = 0  # the port is never read; keep it defined


def q4_idle(dut):
    return None if int(dut.idle.value) else "q4_linear: idle is low (a partial vector or a result in flight)"


def covergroup():
    y = lambda t: t["outputs"]["m_axis"][0]  # noqa: E731
    lo, hi = -(1 << (OUT_BITS - 1)), (1 << (OUT_BITS - 1)) - 1
    points = {
        "kind": (lambda t: kind_of(t["inputs"]), KINDS),
        "saturated": (lambda t: bool(((y(t) == hi) | (y(t) == lo)).any()), [True, False]),
        "sign": (lambda t: "both" if (y(t) > 0).any() and (y(t) < 0).any() else "one", ["both", "one"]),
        "mode": MODE_POINT,
    }
    return Covergroup("q4_linear", points, crosses={"kind_x_mode": ["kind", "mode"]})


class TimingTest(BlockTest):
    """K*N/Lanes cycles per vector and the 8-cycle latency, as perfmodel.units.q4_linear says."""

    async def body(self, rng):
        log = HandshakeLog(self.env.dut, ["s_axis", "m_axis"], self.env.dut.clk)
        txns = [self.env.spec.stimulus(rng, 1) for _ in range(2)]
        await self.env.send(txns)
        await self.env.drain(len(txns))
        ins, outs = log.vectors("s_axis"), log.vectors("m_axis")
        want = [units.q4_linear(units.Stream.of(i), K, N, LANES) for i in ins]
        got = [(o.first, o.last) for o in outs]
        assert got == [(w.first, w.last) for w in want], (
            f"y beats at {got}, the model (perfmodel.units.q4_linear) says {[(w.first, w.last) for w in want]}")
        await RisingEdge(self.env.dut.clk)


BEATS = K * N // LANES
SPEC = BlockSpec(
    name="q4_linear",
    inputs={"s_axis": Port(16, signed=True), "s_axis_w": Port(4), "s_axis_g": Port(GROUP_WORD.width),
            "s_axis_p": Port(ROW_WORD.width), **({"s_axis_e": Port(6)} if XSHIFT else {})},
    outputs={"m_axis": Port(OUT_BITS, signed=True)},
    model=model,
    stimulus=stimulus,
    transactions=int(cfg.get("transactions", 8)),
    covergroup=covergroup,
    configure=configure,
    dut_idle=q4_idle,
    max_cycles_per_txn=8 * BEATS + 12 * N + 200,
    extra_tests={"test_timing": TimingTest},
)

standard_tests(__name__, SPEC)
