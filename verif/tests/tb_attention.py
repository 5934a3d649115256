"""pyuvm testbench for rtl/attention.sv: decode attention of one token against the on-chip KV cache.

Streams: s_axis_pos (one beat per token: lane 0 = pos, lane 1 = layer), s_axis (the QKV vector
[q|k|v]) -> m_axis (d elements). Two configurations of the one unit:
  GPT-2 (ElemBits 8, KvHeads = Heads, the defaults): q, k, v int8 (3d), y int8; the model is
    ops.attention_decode, the scales the attn_cfg_t on `cfg`;
  GQA (ElemBits 16, KvHeads | Heads, the Llama/SmolLM2 path): q int16 [Heads*hd], k and v int16
    [KvHeads*hd] each, y int16; the model is llama_ops.gqa_attention (query head h reads KV head
    h // (Heads/KvHeads)), the wide scales the gqa_cfg_t on `gqa_cfg` (realistic ones from
    llama_quant.wide_multiplier, some with a raised pre-shift, and some drawn at random over the
    whole pre/mult/shift range, which saturates or rounds to zero).
The model runs on a Python mirror of the cache ([NumLayers, MaxSeq, KvHeads*hd] for K and V),
which is stateful: the scoreboard calls the model when
a token's pos beat and QKV vector have both been accepted, which is exactly when the DUT has
written its k/v row. An error token (pos >= MaxSeq or layer >= NumLayers) is expected to give d
zeros and to leave both caches untouched.

Each test's configure draws realistic scales (float ranges of q, k, v and the output, turned into
multipliers/shifts by quantize.quantize_multiplier as the quantiser does), restores a random cache
(with some rows all at the element minimum / maximum) into the DUT through the save/restore port, and picks a start
position. Tokens then go to pos = start + index, layer = index % NumLayers (token 3 is an error token
with pos >= MaxSeq), so a reset in
mid-stream (which restarts the index) rewrites every row a half-loaded token may have touched
before any token reads it. Every test ends by reading the cache back through the port and
comparing it with the mirror (nothing overwritten, nothing missing). The mirror, the scales, the
start position and the error tokens seen are the test's state (env.state, a `State`).

Tests: the stress matrix (tbkit.standard_tests), plus
  test_random_pos  random positions (0, 1, MaxSeq-1, random) and layers, and error tokens
                   (pos = MaxSeq, pos = 65535, layer = NumLayers): zero output, sticky flags, no write;
  test_fill        no restore: positions 0..MaxSeq-1 of every layer fill the whole cache token by
                   token, pos_error stays low; then pos = MaxSeq: flag set, nothing overwritten,
                   and a valid token afterwards is still exact;
  test_layer_swap  the NumLayers = 1 harness flow: save the cache through the port, restore
                   another layer's, attend, restore the saved one, continue;
  test_perf        one token per position in TB_CONFIG "perf_pos", no stalls: cycles from the last
                   QKV beat to the last output beat, with perfmodel.units' prediction, written to
                   TB_CONFIG "perf_json".
TB_CONFIG extras: "transactions" (tokens per stress test).
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge, RisingEdge, Timer

from models import llama_ops, llama_quant, ops, quantize
from perfmodel import units
from tbkit.coverage import Covergroup
from tbkit.env import MODE_POINT, BlockSpec, BlockTest, Port, standard_tests, tb_config
from tbkit.perf import HandshakeLog
from tbkit.words import word

cfg = tb_config()
P = cfg.get("parameters", {})
D, HEADS, MAX_SEQ = P.get("D", 64), P.get("Heads", 4), P.get("MaxSeq", 16)
NUM_LAYERS, LANES, MACS = P.get("NumLayers", 1), P.get("Lanes", 1), P.get("Macs", 16)
OUT_LANES, SM_UNITS = P.get("OutLanes", 1), P.get("SoftmaxUnits", 2)
KV_HEADS, ELEM_BITS = P.get("KvHeads", HEADS), P.get("ElemBits", 8)
SLICES = P.get("Slices", 1)  # rtl/attention_slices.sv: attention.sv units on head slices
GQA = ELEM_BITS == 16  # the Llama path: int16, wide requant, llama_ops.gqa_attention
HD = D // HEADS
KVD = KV_HEADS * HD  # k and v elements per token (a cache row)
QKV = D + 2 * KVD
WPR = KVD // MACS  # cache words per row
SLICE_WPR = max(WPR // SLICES, 1)  # words per row in one slice's cache
LOCAL_W = max(int(NUM_LAYERS * MAX_SEQ * SLICE_WPR - 1).bit_length(), 1)  # a slice's word address bits
LO, HI = -(1 << (ELEM_BITS - 1)), (1 << (ELEM_BITS - 1)) - 1
DTYPE = np.int16 if GQA else np.int8


# ---- Test state (set by configure, read by the model and the stimulus) ------------------------
def _cache():
    return np.zeros((NUM_LAYERS, MAX_SEQ, KVD), DTYPE)


@dataclass
class State:
    """One test's view of the DUT (env.state)."""

    mirror: dict = field(default_factory=lambda: {"k": _cache(), "v": _cache()})  # [NumLayers, MaxSeq, KVD]
    defined: np.ndarray = field(default_factory=lambda: np.zeros((NUM_LAYERS, MAX_SEQ), bool))  # rows known
    scales: dict = field(default_factory=dict)  # score_/out_ mult, shift (and pre for GQA) driven on the DUT
    start: int = 0  # position of the stress tests' first token
    errors: dict = field(default_factory=lambda: {"pos": False, "layer": False})  # error tokens seen


def model(txn, st: State):
    pos, layer = (int(x) for x in txn["s_axis_pos"])
    qkv = np.asarray(txn["s_axis"], np.int64)
    if pos >= MAX_SEQ or layer >= NUM_LAYERS:
        st.errors["pos"] |= pos >= MAX_SEQ
        st.errors["layer"] |= layer >= NUM_LAYERS
        return {"m_axis": [np.zeros(D, np.int64)]}
    sc = st.scales
    if GQA:
        ck, cv = st.mirror["k"][layer], st.mirror["v"][layer]
        ck[pos], cv[pos] = qkv[D:D + KVD], qkv[D + KVD:]
        y = llama_ops.gqa_attention(qkv[:D], ck, cv, pos, HEADS, KV_HEADS, sc["score_pre"], sc["score_mult"],
                                    sc["score_shift"], sc["out_pre"], sc["out_mult"], sc["out_shift"])
    else:
        y = ops.attention_decode(qkv[:D], qkv[D:2 * D], qkv[2 * D:], st.mirror["k"][layer], st.mirror["v"][layer],
                                 pos, HEADS, sc["score_mult"], sc["score_shift"], sc["out_mult"], sc["out_shift"])
    st.defined[layer, pos] = True
    return {"m_axis": [y]}


def token(rng, pos, layer, kind=None):
    kind = kind or rng.choice(["random", "random", "random", "small", "extreme"])
    if kind == "small":
        qkv = rng.integers(-8, 9, QKV) * (1 if ELEM_BITS == 8 else 64)
    elif kind == "extreme":
        qkv = rng.choice(np.array([LO, HI]), QKV)
        qkv[:D] = rng.choice([LO, HI])  # q all one extreme: |q.k| up to 2^(2*ElemBits-2)*HeadDim
    else:
        qkv = rng.integers(LO, HI + 1, QKV)
    return {"s_axis_pos": np.array([pos, layer]), "s_axis": qkv}


def stimulus(rng, index, st: State):
    if index == 3:  # an error token amid the traffic of every stress test (it writes nothing)
        return token(rng, MAX_SEQ + int(rng.integers(0, 3)), 0)
    return token(rng, st.start + index, index % NUM_LAYERS)


# ---- DUT set-up: scales and the cache port ------------------------------------------------------
def draw_scales(rng):
    amax_q, amax_k, amax_v = (float(np.exp(rng.uniform(np.log(0.5), np.log(12.0)))) for _ in range(3))
    s_q, s_k, s_v = amax_q / 127, amax_k / 127, amax_v / 127
    s_attn = s_v * float(rng.uniform(0.2, 1.0))  # < s_v: large outputs saturate
    sm, ssh = quantize.quantize_multiplier(s_q * s_k * np.log2(np.e) / np.sqrt(HD), "attn.score_mult")
    om, osh = quantize.quantize_multiplier(s_v * 2.0 ** -ops.SM_PROB_BITS / s_attn, "attn.out_mult")
    return dict(score_mult=sm, score_shift=ssh, out_mult=om, out_shift=osh)


def draw_gqa_scales(rng):
    """The wide scales of gqa_attention: mostly as llama_quant derives them (random float ranges,
    sometimes a raised pre-shift), a quarter drawn at random over pre 0..62, mult, shift."""
    if rng.random() < 0.25:
        d = {}
        for n in ("score", "out"):
            d.update({f"{n}_pre": int(rng.integers(0, 63)), f"{n}_mult": int(rng.integers(1 << 30, 1 << 31)),
                      f"{n}_shift": int(rng.integers(0, 32))})
        return d
    amax_q, amax_k, amax_v = (float(np.exp(rng.uniform(np.log(0.5), np.log(12.0)))) for _ in range(3))
    s_q, s_k, s_v = (a / HI for a in (amax_q, amax_k, amax_v))
    s_attn = s_v * float(rng.uniform(0.2, 1.0))
    min_pre = int(rng.integers(0, 12)) if rng.random() < 0.3 else 0
    sp, sm, ssh = llama_quant.wide_multiplier(s_q * s_k * np.log2(np.e) * 2.0 ** 8 / np.sqrt(HD),
                                              llama_ops.SCORE_BITS, "attn.score", min_pre)
    op, om, osh = llama_quant.wide_multiplier(s_v * 2.0 ** -16 / s_attn, llama_ops.ACT_BITS, "attn.out", min_pre)
    return dict(score_pre=sp, score_mult=sm, score_shift=ssh, out_pre=op, out_mult=om, out_shift=osh)


def set_scales(dut, st: State, scales):
    st.scales = dict(scales)
    if GQA:
        # gqa_cfg is an sllm_pkg::gqa_cfg_t: "score.pre", "score.scale.mult", ..., "out.scale.shift".
        f = {"pre": "pre", "mult": "scale.mult", "shift": "scale.shift"}
        dut.gqa_cfg.value = word("gqa_cfg_t").pack(
            {f"{k.split('_')[0]}.{f[k.split('_')[1]]}": int(v) for k, v in scales.items()})
        return
    # cfg is an sllm_pkg::attn_cfg_t: field "score.mult" holds score_mult, and so on.
    dut.cfg.value = word("attn_cfg_t").pack({k.replace("_", "."): int(v) for k, v in scales.items()})


def word_int(row) -> int:
    return int.from_bytes(np.asarray(row, np.int64).astype(DTYPE).tobytes(), "little")


def word_bytes(value: int) -> np.ndarray:
    return np.frombuffer(int(value).to_bytes(MACS * ELEM_BITS // 8, "little"), np.dtype(DTYPE).newbyteorder("<"))


def addr(layer, row, w):
    """Cache port address of word w of a row: attention.sv's (layer*MaxSeq + row)*WPR + w, or
    with slices {slice, that address in the slice's cache} (rtl/attention_slices.sv)."""
    if SLICES == 1:
        return (layer * MAX_SEQ + row) * WPR + w
    return (w // SLICE_WPR) << LOCAL_W | ((layer * MAX_SEQ + row) * SLICE_WPR + w % SLICE_WPR)


async def cache_write(dut, rows_by_layer: dict, k, v):
    """Write rows {layer: [rows]} of k and v ([NumLayers, MaxSeq, KVD]) through the port, one word a cycle."""
    for sel, cache in ((0, k), (1, v)):
        for layer, rows in rows_by_layer.items():
            for r in rows:
                for w in range(WPR):
                    await RisingEdge(dut.clk)
                    dut.cache_req.value, dut.cache_we.value, dut.cache_sel.value = 1, 1, sel
                    dut.cache_addr.value = addr(layer, r, w)
                    dut.cache_wdata.value = word_int(cache[layer, r, w * MACS:(w + 1) * MACS])
    await RisingEdge(dut.clk)
    dut.cache_req.value, dut.cache_we.value = 0, 0


async def cache_read(dut, rows_by_layer: dict):
    """Read rows {layer: [rows]} back through the port; returns {"k"/"v": {(layer, row): [KVD]}}."""
    out = {"k": {}, "v": {}}
    for sel, name in ((0, "k"), (1, "v")):
        addrs = [(layer, r, w) for layer, rows in rows_by_layer.items() for r in rows for w in range(WPR)]
        got = []
        await FallingEdge(dut.clk)
        for a in addrs:
            dut.cache_req.value, dut.cache_we.value, dut.cache_sel.value = 1, 0, sel
            dut.cache_addr.value = addr(*a)
            await RisingEdge(dut.clk)  # the DUT samples the address; cache_rdata follows
            await FallingEdge(dut.clk)
            got.append(word_bytes(int(dut.cache_rdata.value)))
        dut.cache_req.value = 0
        for i in range(0, len(addrs), WPR):
            layer, r, _ = addrs[i]
            out[name][(layer, r)] = np.concatenate(got[i:i + WPR])
    return out


def random_cache(rng):
    k = rng.integers(LO, HI + 1, (NUM_LAYERS, MAX_SEQ, KVD))
    v = rng.integers(LO, HI + 1, (NUM_LAYERS, MAX_SEQ, KVD))
    for c in (k, v):
        kind = rng.random((NUM_LAYERS, MAX_SEQ))
        c[kind < 0.1] = LO
        c[(kind >= 0.1) & (kind < 0.2)] = HI
    return k.astype(DTYPE), v.astype(DTYPE)


async def restore(dut, st: State, rng, rows: int):
    """A random cache into the DUT (rows 0..rows-1 of every layer) and into the mirror."""
    k, v = random_cache(rng)
    rows = min(rows, MAX_SEQ)
    st.defined[:] = False
    await cache_write(dut, {layer: range(rows) for layer in range(NUM_LAYERS)}, k, v)
    st.mirror["k"][:], st.mirror["v"][:] = k, v
    st.defined[:, :rows] = True


async def check_cache(env, what="cache"):
    """Read every defined row back through the port and compare with the mirror."""
    dut, st = env.dut, env.state
    rows = {layer: [int(r) for r in np.nonzero(st.defined[layer])[0]] for layer in range(NUM_LAYERS)}
    got = await cache_read(dut, rows)
    for name in ("k", "v"):
        for (layer, r), row in got[name].items():
            want = st.mirror[name][layer, r]
            bad = np.nonzero(row != want)[0]
            assert not len(bad), (
                f"{what}: {name.upper()} cache layer {layer} row {r} column {int(bad[0])}: expected "
                f"{int(want[bad[0]])} got {int(row[bad[0]])}; {len(bad)} of {KVD} columns differ (seed {env.seed})")
    env.logger.info(f"{what}: {sum(len(r) for r in rows.values())} rows of K and V match the model")


def check_flags(env):
    dut = env.dut
    got = {"pos": int(dut.pos_error.value), "layer": int(dut.layer_error.value)}
    want = {k: int(v) for k, v in env.state.errors.items()}
    assert got == want, f"error flags {got}, expected {want} from the tokens sent (seed {env.seed})"


async def configure(env, rng):
    st = env.state
    set_scales(env.dut, st, draw_gqa_scales(rng) if GQA else draw_scales(rng))
    T = env.spec.transactions
    r = rng.random()  # start at 0, end at MaxSeq-1 (cache full), or in between
    start = 0 if r < 0.35 or T >= MAX_SEQ else MAX_SEQ - T if r < 0.7 else int(rng.integers(0, MAX_SEQ - T + 1))
    st.start = start
    await restore(env.dut, st, rng, start + T + 1)
    env.logger.info(f"attention: scales {st.scales}, positions {start}..{start + T - 1}")


# ---- Coverage ---------------------------------------------------------------------------------
def pos_bin(txn):
    pos, layer = (int(x) for x in txn["inputs"]["s_axis_pos"])
    if pos >= MAX_SEQ or layer >= NUM_LAYERS:
        return "error"
    return "0" if pos == 0 else "full (MaxSeq-1)" if pos == MAX_SEQ - 1 else "middle"


def saturated(txn):
    y = txn["outputs"]["m_axis"][0]
    return bool(((y == HI) | (y == LO)).any())


def covergroup():
    pos_bins = ["0", "middle", "full (MaxSeq-1)", "error"] if MAX_SEQ > 2 else ["0", "full (MaxSeq-1)", "error"]
    if MAX_SEQ == 1:
        pos_bins = ["0", "error"]
    points = {
        "position": (pos_bin, pos_bins),
        # Softmax row length = pos + 1; one bin per power of two up to MaxSeq.
        "row_length_log2": (lambda t: min(int(t["inputs"]["s_axis_pos"][0]), MAX_SEQ).bit_length(),
                            list(range(0, MAX_SEQ.bit_length() + 1))),
        "heads": (lambda t: HEADS, [1, 2, 3, 4, 6, 8, 9, 12, 16]),
        # Query heads per KV head (1: GPT-2 and GQA's degenerate case; 2: Icarus GQA; 3: SmolLM2).
        "kv_share": (lambda t: HEADS // KV_HEADS, [1, 2, 3]),
        "elem_bits": (lambda t: ELEM_BITS, [8, 16]),
        "head_dim": (lambda t: HD, [16, 32, 48, 64, 128]),
        "layer": (lambda t: min(int(t["inputs"]["s_axis_pos"][1]), NUM_LAYERS), list(range(NUM_LAYERS + 1))),
        "output_saturated": (saturated, [True, False]),
        "mode": MODE_POINT,
    }
    return Covergroup("attention", points, crosses={"position_x_mode": ["position", "mode"]})


# ---- Tests ------------------------------------------------------------------------------------
class AttentionTest(BlockTest):
    """Drives the cache port and the scales to known values before the first reset; checks the
    cache through the port and the error flags at the end."""

    async def run_phase(self):
        self.raise_objection()
        dut = cocotb.top
        for name in ("cache_req", "cache_we", "cache_sel", "cache_addr", "cache_wdata"):
            getattr(dut, name).value = 0
        dut.cfg.value = 0
        dut.gqa_cfg.value = 0
        await Timer(1, "ns")
        await super().run_phase()
        self.drop_objection()

    async def body(self, rng):
        await super().body(rng)
        await check_cache(self.env)
        check_flags(self.env)

    async def run_tokens(self, tokens):
        await self.env.send(tokens)
        await self.env.drain(len(tokens))


class RandomPosTest(AttentionTest):
    """Random positions (0, 1, MaxSeq-1, random) and layers, with error tokens in between (pos =
    MaxSeq, 65535, layer = NumLayers): zero output, sticky flags, no cache write."""

    async def body(self, rng):
        await restore(self.env.dut, self.env.state, rng, MAX_SEQ)
        plan = [(0, 0), (min(1, MAX_SEQ - 1), 0), (MAX_SEQ - 1, NUM_LAYERS - 1)]
        plan += [(int(rng.integers(MAX_SEQ)), int(rng.integers(NUM_LAYERS))) for _ in range(max(self.env.spec.transactions - 3, 1))]
        plan.insert(2, (MAX_SEQ, 0))  # error tokens in between valid ones
        plan.insert(4, (0, NUM_LAYERS))
        plan.append((65535, 0))
        plan.append((int(rng.integers(MAX_SEQ)), 0))
        self.logger.info(f"(pos, layer): {plan}")
        await self.run_tokens([token(rng, p, l) for p, l in plan])
        await check_cache(self.env)
        check_flags(self.env)


class FillTest(AttentionTest):
    """No restore: positions 0..MaxSeq-1 of every layer fill the cache token by token (unwritten rows
    are never read), then pos >= MaxSeq sets pos_error and overwrites nothing."""

    async def body(self, rng):
        st = self.env.state
        st.defined[:] = False
        tokens = [token(rng, i // NUM_LAYERS, i % NUM_LAYERS) for i in range(MAX_SEQ * NUM_LAYERS)]
        await self.run_tokens(tokens)
        assert st.defined.all(), "the fill run left rows unwritten"
        await check_cache(self.env, "after the fill")
        assert int(self.env.dut.pos_error.value) == 0, "pos_error set by positions < MaxSeq"
        await self.run_tokens([token(rng, MAX_SEQ, 0), token(rng, MAX_SEQ + 1, NUM_LAYERS - 1)])
        assert int(self.env.dut.pos_error.value) == 1, f"pos_error low after pos = {MAX_SEQ} (seed {self.env.seed})"
        await check_cache(self.env, "after pos >= MaxSeq")
        await self.run_tokens([token(rng, MAX_SEQ - 1, 0)])  # still exact after the error
        await check_cache(self.env, "after the last token")
        check_flags(self.env)


class LayerSwapTest(AttentionTest):
    """What a harness does with NumLayers = 1 and several model layers: save the cache through the
    port, restore another layer's, attend, restore the saved one, continue."""

    async def body(self, rng):
        dut, st, T = self.env.dut, self.env.state, 3
        rows = min(MAX_SEQ, 2 * T + 4)
        start = max(0, rows - 2 * T)
        await restore(dut, st, rng, rows)
        await self.run_tokens([token(rng, start + i, 0) for i in range(T)])
        region = {layer: range(rows) for layer in range(NUM_LAYERS)}
        saved = await cache_read(dut, region)  # save "layer A" (every region when NumLayers > 1)
        mirror_a = {n: st.mirror[n].copy() for n in ("k", "v")}
        for n in ("k", "v"):
            for (layer, r), row in saved[n].items():
                assert (row == mirror_a[n][layer, r]).all(), f"saved {n.upper()} row {r} differs from the model"
        scales_a = dict(st.scales)
        set_scales(dut, st, draw_gqa_scales(rng) if GQA else draw_scales(rng))
        await restore(dut, st, rng, rows)  # layer B
        await self.run_tokens([token(rng, start + i, 0) for i in range(T)])
        await check_cache(self.env, "layer B")
        k, v = (_cache() for _ in range(2))
        for (layer, r), row in saved["k"].items():
            k[layer, r], v[layer, r] = row, saved["v"][(layer, r)]
        await cache_write(dut, region, k, v)  # back to layer A
        st.mirror["k"][:], st.mirror["v"][:] = mirror_a["k"], mirror_a["v"]
        st.defined[:] = False
        st.defined[:, :rows] = True
        set_scales(dut, st, scales_a)
        await self.run_tokens([token(rng, start + T + i, 0) for i in range(T)])
        await check_cache(self.env, "layer A restored")
        check_flags(self.env)


class PerfTest(AttentionTest):
    """One token per position in TB_CONFIG "perf_pos", nothing stalled: cycles from the last QKV
    beat to the last output beat (stream handshakes), written to perf.json beside the prediction
    of perfmodel.units.attention_cycles (model_cycles; perfmodel.validate compares the two)."""

    async def body(self, rng):
        dut = self.env.dut
        positions = [p for p in cfg.get("perf_pos", [0, MAX_SEQ - 1]) if p < MAX_SEQ]
        await restore(dut, self.env.state, rng, max(positions) + 1)
        log = HandshakeLog(dut, ["s_axis_pos", "s_axis", "m_axis"], dut.clk)
        await self.run_tokens([token(rng, p, 0, "random") for p in positions])
        ins, outs, poss = log.vectors("s_axis"), log.vectors("m_axis"), log.vectors("s_axis_pos")
        rows = []
        for p, i, o, ps in zip(positions, ins, outs, poss):
            model = units.attention_slices(units.Stream.of(i), HEADS, HD, p + 1, MACS, SM_UNITS, OUT_LANES,
                                           SLICES, KV_HEADS).last - i.last
            rows.append(dict(d=D, heads=HEADS, kv_heads=KV_HEADS, elem_bits=ELEM_BITS, pos=p, macs_per_cycle=MACS, softmax_units=SM_UNITS,
                             slices=SLICES, out_lanes=OUT_LANES, qkv_beats=i.beats, qkv_first=i.first - i.last,
                             cycles=o.last - i.last, analytical_cycles=(p + 1) * D // MACS,
                             model_cycles=model, load_cycles=i.last - ps.first + 1,
                             total_cycles=o.last - ps.first + 1))
        for r in rows:
            self.logger.info(f"perf: {r}")
        out = cfg.get("perf_json") or Path(cfg.get("test_dir", "."), "perf.json")
        Path(out).write_text(json.dumps(rows))


def attention_idle(dut):
    return None if int(dut.idle.value) else "attention: idle is low (a token or a result in flight)"


def on_reset(st: State):
    # The cache RAM keeps its contents across reset, and so does the mirror; the flags are cleared.
    st.errors.update(pos=False, layer=False)


SPEC = BlockSpec(
    name="attention",
    inputs={"s_axis_pos": Port(16), "s_axis": Port(ELEM_BITS, signed=True)},
    outputs={"m_axis": Port(ELEM_BITS, signed=True)},
    model=model,
    stimulus=stimulus,
    transactions=int(cfg.get("transactions", 6)),
    covergroup=covergroup,
    dut_idle=attention_idle,
    on_reset=on_reset,
    configure=configure,
    state=State,
    max_cycles_per_txn=QKV // LANES + 8 * HEADS * (MAX_SEQ * (HD // MACS + 4) + 120) + 4 * D,
    extra_tests={"test_random_pos": RandomPosTest, "test_fill": FillTest, "test_layer_swap": LayerSwapTest,
                 "test_perf": PerfTest},
)

standard_tests(__name__, SPEC, base=AttentionTest)
