"""pyuvm testbench for rtl/layernorm.sv: int InBits d-vector -> int8, per-channel gamma/beta; with
the parameter Rms = 1, the same unit as RMSNorm (llama_ops.rmsnorm: int OutBits out, no beta, its
gamma from llama_quant.quant_rmsnorm), whose blocks report as "rmsnorm".

Each test draws a LayerNorm as the quantiser would make it (quantize.quant_layernorm: gamma
around 1 with some negative and near-zero channels, beta, eps = 1e-5, a random input scale and
an output scale that sometimes saturates), keeps it in env.state for the model, and loads it
through the prm_* port and eps_v. Vectors
are 1 beat, MaxDim, then random lengths, of kinds: realistic (Gaussian with outliers), all equal
(zero variance: y = RDBPOT(beta_q, 8)), the input extremes, a tiny variance, one spike.
"""

import numpy as np
from cocotb.triggers import RisingEdge

from models import llama_ops, llama_quant, ops, quantize
from tbkit.coverage import Covergroup
from perfmodel import units
from tbkit.env import MODE_POINT, BlockSpec, BlockTest, Port, standard_tests, tb_config, vector_length
from tbkit.perf import HandshakeLog
from tbkit.words import word

cfg = tb_config()
P = cfg.get("parameters", {})
LANES, IN_BITS, MAX_DIM = P.get("Lanes", 1), P.get("InBits", 16), P.get("MaxDim", 768)
RQ_STAGES = P.get("RqStages", units.LN_RQ_STAGES)
RMS, OUT_BITS = P.get("Rms", 0), P.get("OutBits", 8)  # Rms = 1: RMSNorm (llama_ops.rmsnorm)
NAME = "rmsnorm" if RMS else "layernorm"
OUT_LO, OUT_HI = -(1 << (OUT_BITS - 1)), (1 << (OUT_BITS - 1)) - 1
MAX_BEATS = MAX_DIM // LANES
LO, HI = -(1 << (IN_BITS - 1)), (1 << (IN_BITS - 1)) - 1


async def configure(env, rng):
    d = MAX_DIM
    g = rng.normal(1.0, 0.4, d)
    g[rng.random(d) < 0.05] *= -1
    g[rng.random(d) < 0.02] = 0.0
    b = rng.normal(0.0, 0.2, d)
    b[rng.random(d) < 0.05] = rng.choice([-6.0, 6.0])  # a few channels whose beta saturates
    range_x = float(np.exp(rng.uniform(np.log(0.5), np.log(500.0))))
    s_x = range_x / HI
    s_y = float(np.exp(rng.uniform(np.log(1.5), np.log(12.0)))) / 127
    s_y = max(s_y, np.abs(g).max() / 200)  # the quantiser needs s_y > |gamma| / 256
    if RMS:  # int OutBits out, no beta: the output range sometimes saturates
        s_y = float(np.abs(g).max() * np.exp(rng.uniform(np.log(1.5), np.log(12.0)))) / OUT_HI
        q = llama_quant.quant_rmsnorm(g, 1e-5, d, s_x, s_y, "ln")
        q["ln.beta_q"] = np.zeros(d, np.int64)
    else:
        q = quantize.quant_layernorm(g, b, 1e-5, d, s_x, s_y, "ln")
    ln = env.state
    ln.update({k: np.asarray(q[f"ln.{k}"], np.int64) for k in ("g_mult", "g_shift", "g_neg", "beta_q")})
    ln["eps_v"] = int(q["ln.eps_v"])
    env.logger.info(f"layernorm: eps_v {ln['eps_v']}, s_x {s_x:.3g}, s_y {s_y:.3g}")
    dut = env.dut
    dut.eps_v.value = ln["eps_v"]
    chan = word("ln_chan_t")
    for i in range(d):
        dut.prm_we.value, dut.prm_addr.value = 1, i
        dut.prm_wdata.value = chan.pack({"g.mult": ln["g_mult"][i], "g.shift": ln["g_shift"][i],
                                         "g_neg": ln["g_neg"][i], "beta_q": ln["beta_q"][i]})
        await RisingEdge(dut.clk)
    dut.prm_we.value = 0


def model(txn, ln):
    x = txn["s_axis"]
    d = len(x)
    if RMS:
        y = llama_ops.rmsnorm(x, IN_BITS, ln["eps_v"], *(ln[k][:d] for k in ("g_mult", "g_shift", "g_neg")), OUT_BITS)
    else:
        y = ops.layernorm(x, IN_BITS, ln["eps_v"], *(ln[k][:d] for k in ("g_mult", "g_shift", "g_neg", "beta_q")))
    return {"m_axis": [y]}


KINDS = ["realistic", "all equal", "extremes", "tiny variance", "spike"]


def stimulus(rng, index, _state):
    n = vector_length(rng, index, MAX_BEATS, LANES)
    kind = KINDS[int(rng.integers(len(KINDS)))] if index >= 2 else "realistic"
    if kind == "realistic":
        x = rng.normal(0, float(rng.uniform(0.02, 0.3)) * HI, n) + float(rng.uniform(-0.1, 0.1)) * HI
        x[rng.random(n) < 0.01] *= 8  # outlier channels, as in GPT-2's residual stream
    elif kind == "all equal":
        x = np.full(n, rng.integers(LO, HI + 1))
    elif kind == "extremes":
        x = rng.choice([LO, HI], n) if rng.random() < 0.5 else np.full(n, rng.choice([LO, HI]))
    elif kind == "tiny variance":
        x = rng.integers(0, 2, n) + rng.integers(LO, HI)
    else:
        x = np.full(n, rng.integers(LO // 4, HI // 4))
        x[rng.integers(n)] = rng.choice([LO, HI])
    return {"s_axis": np.clip(np.round(x), LO, HI).astype(np.int64)}


def kind_bin(txn):
    x = txn["inputs"]["s_axis"]
    if len(set(x.tolist())) == 1:
        return "zero variance"
    if set(x.tolist()) <= {LO, HI}:
        return "only extremes"
    if x.max() - x.min() <= 1:
        return "variance < 1"
    return "other"


def length_bin(txn):
    beats = len(txn["inputs"]["s_axis"]) // LANES
    return "1 beat" if beats == 1 else "MaxDim" if beats == MAX_BEATS else "other"


def covergroup():
    lengths = ["1 beat", "MaxDim", "other"] if MAX_BEATS > 2 else ["1 beat", "MaxDim"]
    points = {
        "kind": (kind_bin, ["zero variance", "only extremes", "variance < 1", "other"]),
        "length": (length_bin, lengths),
        "saturates_high": (lambda t: bool((t["outputs"]["m_axis"][0] == OUT_HI).any()), [True, False]),
        "saturates_low": (lambda t: bool((t["outputs"]["m_axis"][0] == OUT_LO).any()), [True, False]),
        "mode": MODE_POINT,
    }
    return Covergroup(NAME, points)  # bins merge over every MaxDim built


class TimingTest(BlockTest):
    """Latency (tlast in -> first output), 1 beat/cycle out and the vector period (B = d/Lanes
    beats), as perfmodel.units.layernorm and layernorm_occupancy state (header of rtl/layernorm.sv)."""

    async def body(self, rng):
        log = HandshakeLog(self.env.dut, ["s_axis", "m_axis"], self.env.dut.clk)
        txns = [self.env.spec.stimulus(rng, 1) for _ in range(3)]  # index 1: MaxDim-long vectors
        await self.env.send(txns)
        await self.env.drain(len(txns))
        ins, outs = log.vectors("s_axis"), log.vectors("m_axis")
        latency = [o.first - i.last for i, o in zip(ins, outs)]
        out_cycles = [o.last - o.first + 1 for o in outs]
        period = [b.first - a.first for a, b in zip(ins, ins[1:])]
        self.logger.info(f"layernorm timing d={MAX_DIM}: latency {latency}, output cycles {out_cycles}, period {period}")
        want = [units.layernorm(units.Stream.of(i), RQ_STAGES) for i in ins]
        assert latency == [w.first - i.last for w, i in zip(want, ins)], (
            f"latency {latency} cycles, the model says {want[0].first - ins[0].last} at RqStages {RQ_STAGES}")
        assert out_cycles == [w.cycles for w in want], f"{MAX_BEATS} beats took {out_cycles} cycles, the model says 1 beat/cycle"
        occupancy = units.layernorm_occupancy(MAX_BEATS, RQ_STAGES)
        assert period == [occupancy] * 2, f"period {period} cycles, the model says {occupancy} at RqStages {RQ_STAGES}"


SPEC = BlockSpec(
    name=NAME,
    inputs={"s_axis": Port(IN_BITS, signed=True)},
    outputs={"m_axis": Port(OUT_BITS, signed=True)},
    model=model,
    stimulus=stimulus,
    transactions=cfg.get("transactions", 12),
    covergroup=covergroup,
    configure=configure,
    state=dict,  # the test's LayerNorm: g_mult, g_shift, g_neg, beta_q, eps_v
    max_cycles_per_txn=6 * MAX_BEATS + 400,
    extra_tests={"test_timing": TimingTest},
)

standard_tests(__name__, SPEC)
