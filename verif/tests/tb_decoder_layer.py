"""pyuvm testbench of the decoder layer (rtl/decoder_layer.sv in verif/sv/tb_decoder_layer.sv).

Each transaction is one token: x (D int16 residual elements) on s_axis and its (pos, layer) beat
on s_axis_pos; the model is models.layer.layer_decode with one Python KV cache per layer, so every
token's x' must be bit-exact. The parameter file (TB_CONFIG["params_file"], the quantizer's format)
is written into the harness memories; x comes from the model's own embedding of random tokens.

Besides the standard stress tests (all on layer 0): test_layer_switch alternates the layers token
by token (the harness reloads LayerNorm/GELU parameters and restarts the weight streams), and,
when TB_CONFIG["full_context"] is set, test_full_context decodes every position 0..MaxSeq-1.

When TB_CONFIG["error_path"] is set, the error path of the layer (rtl/attention.sv: a token whose
position is outside the cache, or whose layer has no cache region, raises the sticky pos_error /
layer_error, writes nothing into the KV cache, and its attention output is D zeros, so the
layer's x' is the model's with a zero attention vector):
  test_pos_error    positions 0..2 on every layer, then tokens at MaxSeq+1 and 2*MaxSeq+2 (the
                    rows a wrapped address would hit are rows 1 and 2 of a layer), then position
                    3 on every layer, whose attention reads rows 0..3: bit-exact only if nothing
                    was written;
  test_layer_error  the same with layer ids NumLayers and NumLayers+1;
  test_reset_mid_token  a reset while a token is inside the layer (after a random fraction of a
                    token's cycles), then clean tokens from position 0 on every layer, bit-exact.
"""

from pathlib import Path

import cocotb

import numpy as np
from cocotb.triggers import ClockCycles
from pyuvm import ConfigDB

from harness.decoder_layer import LayerHarness, bus_words_per_layer, pos_beat, rtl_parameters, write_memfiles
from models import layer as layer_model
from models.gpt2 import IntGPT2
from tbkit.coverage import Covergroup
from tbkit.env import MODE_POINT, BlockSpec, BlockTest, Port, standard_tests, tb_config

CFG_TB = tb_config()
P = CFG_TB.get("parameters", {})
PARAMS_FILE = Path(CFG_TB.get("params_file", "verif/fixtures/tiny_gpt2/int_params.npz"))
MODEL = IntGPT2.from_file(PARAMS_FILE)  # its layers' parameters, and its embedding for realistic x
CFG = MODEL.cfg
NUM_LAYERS = P.get("NumLayers", CFG["n_layer"])
LAYERS = MODEL.layers[:NUM_LAYERS]
MAX_SEQ, D = CFG["max_seq"], CFG["d_model"]
TOKENS = CFG_TB.get("tokens", 6)

if P and CFG_TB.get("test_dir"):
    rtl = rtl_parameters(CFG, P["LanesQkv"], P["AttnMacs"], NUM_LAYERS, P["WeightBusBytes"], P["PrefetchWords"],
                         P["ResidLanes"])
    if any(P.get(k) != v for k, v in rtl.items() if k in P):
        raise ValueError(f"harness parameters {P} do not match the parameter file's config {rtl}")
    write_memfiles(LAYERS, P, Path(CFG_TB["test_dir"]))

class LayerState(dict):
    """The test's state: the model's KV cache of every layer ({layer: KVCache}), and `selected`, the
    layer whose weights and parameters the harness streams (what an error token goes through)."""

    selected = 0


def new_caches() -> LayerState:
    state = LayerState({i: layer_model.KVCache(MAX_SEQ, D) for i in range(NUM_LAYERS)})
    return state


def reset_caches(caches):
    caches.update(new_caches())


def error_token_output(p: dict, x) -> np.ndarray:
    """x' of a token attention refuses (pos or layer out of range): layer_decode with the attention
    output replaced by D zeros (rtl/attention.sv) and no cache row written."""
    rb, bb = CFG["resid_bits"], CFG.get("branch_bits", 8)
    x = np.asarray(x, dtype=np.int64)
    o = layer_model._linear(p, "o", np.zeros(D, dtype=np.int64), bb)
    x = layer_model._add(p, "add1", x, o, rb, bb)
    h = layer_model._layernorm(p, "ln2", x, rb)
    g = layer_model.ops.gelu_lut(layer_model._linear(p, "fc1", h), p["gelu.table"])
    return layer_model._add(p, "add2", x, layer_model._linear(p, "fc2", g, bb), rb, bb)


def model(txn, caches):
    beat = int(txn["s_axis_pos"][0])
    pos, layer = beat & 0xFFFF, beat >> 16
    if pos >= MAX_SEQ or layer >= NUM_LAYERS:
        return {"m_axis": [error_token_output(LAYERS[caches.selected], txn["s_axis"])]}
    return {"m_axis": [layer_model.layer_decode(LAYERS[layer], CFG, caches[layer], txn["s_axis"], pos)]}


def token(rng, pos: int, layer: int) -> dict:
    """A token's x (the embedding of a random token; at position 0 for an out-of-range position)."""
    tok = int(rng.integers(0, CFG["vocab_size"]))
    return {"s_axis": MODEL.embed(tok, pos if pos < MAX_SEQ else 0), "s_axis_pos": [pos_beat(pos, layer)]}


async def select(env, layer: int):
    """The harness streams `layer`'s weights and parameters; the model follows."""
    await env.harness.select_layer(layer)
    env.state.selected = layer


def stimulus(rng, index, _caches):
    return token(rng, index % MAX_SEQ, 0)


async def configure(env, rng):
    env.harness = LayerHarness(env.dut)
    await env.harness.load_memories()
    await select(env, 0)
    # The shared weight bus starved at random in the idle stress modes (as the Linear's own bench).
    if ConfigDB().get(None, "", "TEST")["mode"].startswith("idle"):
        env.dut.w_stall.value = int(rng.integers(30, 130))


def position_bin(txn):
    pos = int(txn["inputs"]["s_axis_pos"][0]) & 0xFFFF
    return "outside" if pos >= MAX_SEQ else "first" if pos == 0 else "last" if pos == MAX_SEQ - 1 else "middle"


def covergroup():
    return Covergroup("decoder_layer", {
        "position": (position_bin, ["first", "middle", "last"]),
        "layer": (lambda t: int(t["inputs"]["s_axis_pos"][0]) >> 16, list(range(NUM_LAYERS))),
        "mode": MODE_POINT,
    })


def token_line(i: int, layer: int, pos: int, cycles: int) -> str:
    """The per-token log line perfmodel.validate.TOKEN_RE reads back (make perf's layer rows)."""
    return f"token {i}: layer {layer} pos {pos}: {cycles} cycles"


class LayerSwitchTest(BlockTest):
    """Token by token across the layers, each with its own weights, parameters and KV cache. Every
    token takes exactly one layer's weights from the bus (no matrix read twice, none cut short),
    and no faster than the bus delivers them (one word per cycle)."""

    async def body(self, rng):
        harness, words = self.env.harness, bus_words_per_layer(P)
        for i in range(max(TOKENS, 2 * NUM_LAYERS)):
            layer, pos = i % NUM_LAYERS, i // NUM_LAYERS
            await harness.select_layer(layer)
            before = harness.weight_words()
            await self.env.send([token(rng, pos, layer)])
            await self.env.drain(1)
            assert not harness.errors(), f"{harness.errors()} at token {i} (seed {self.env.seed})"
            taken, cycles = harness.weight_words() - before, harness.token_cycles()
            assert taken == words, (f"token {i} took {taken} weight-bus words, one layer is {words} "
                                    f"(seed {self.env.seed})")
            assert cycles >= words, (f"token {i}: {cycles} cycles for {words} bus words: more than one "
                                     f"word per cycle (seed {self.env.seed})")
            self.logger.info(f"{token_line(i, layer, pos, cycles)} ({cycles / words:.3f} x the weight-bus bound "
                             f"of {words})")


class WeightStarvationTest(BlockTest):
    """The weight bus (and the parameter streams) withhold half of their words: every token still
    bit-exact, and slower than the bus bound it would meet unstarved."""

    async def body(self, rng):
        env, words = self.env, bus_words_per_layer(P)
        env.dut.w_stall.value = 128
        for i in range(TOKENS):
            await env.send([stimulus(rng, i, env.state)])
            await env.drain(1)
            cycles = env.harness.token_cycles()
            assert cycles > words, (f"token {i}: {cycles} cycles with half the bus words withheld, the bound "
                                    f"unstarved is {words} (seed {env.seed})")
            self.logger.info(f"token {i}: {cycles} cycles with the bus starved ({cycles / words:.2f} x the bound)")


class FullContextTest(BlockTest):
    """Every position of the cache, 0..MaxSeq-1, one token at a time, all bit-exact."""

    async def body(self, rng):
        harness = self.env.harness
        for pos in range(MAX_SEQ):
            await self.env.send([token(rng, pos, 0)])
            await self.env.drain(1)
            self.logger.info(token_line(pos, 0, pos, harness.token_cycles()))
        assert not harness.errors(), f"{harness.errors()} (seed {self.env.seed})"


def flags(dut) -> tuple[int, int]:
    return int(dut.pos_error.value), int(dut.layer_error.value)


class ErrorTokenTest(BlockTest):
    """Base of the error-path tests: legal positions 0..2 on every layer, the error tokens, then
    position 3 on every layer (reads rows 0..3 of each region: bit-exact only if the error tokens
    wrote nothing)."""

    bad: list = []  # (pos, layer field) of the error tokens
    want: tuple = (0, 0)  # (pos_error, layer_error) after them

    async def one(self, rng, pos: int, layer: int, harness_layer: int | None = None):
        await select(self.env, layer if harness_layer is None else harness_layer)
        await self.env.send([token(rng, pos, layer)])
        await self.env.drain(1)

    async def body(self, rng):
        dut, seed = self.env.dut, self.env.seed
        for pos in range(3):
            for layer in range(NUM_LAYERS):
                await self.one(rng, pos, layer)
        assert flags(dut) == (0, 0), f"error flag before any error token: {flags(dut)} (seed {seed})"
        for k, (pos, layer) in enumerate(self.bad):
            await self.one(rng, pos, layer, harness_layer=k % NUM_LAYERS)
            assert flags(dut) == self.want, (
                f"after the token (pos {pos}, layer {layer}): (pos_error, layer_error) = {flags(dut)}, "
                f"expected {self.want} (seed {seed})")
        for layer in range(NUM_LAYERS):
            await self.one(rng, 3, layer)
        assert flags(dut) == self.want, f"sticky flags changed by legal tokens: {flags(dut)} (seed {seed})"


class PosErrorTest(ErrorTokenTest):
    """Tokens at positions MaxSeq+1 and 2*MaxSeq+2: pos_error rises, nothing is written (the legal
    tokens after them, reading rows 0..3 of every layer, stay bit-exact), x' with zero attention."""

    bad = [(MAX_SEQ + 1, 0), (2 * MAX_SEQ + 2, NUM_LAYERS - 1)]
    want = (1, 0)


class LayerErrorTest(ErrorTokenTest):
    """Tokens with layer ids NumLayers and NumLayers+1 (no cache region): layer_error rises, nothing
    is written (the legal tokens after them stay bit-exact), x' with zero attention."""

    bad = [(1, NUM_LAYERS), (2, NUM_LAYERS + 1)]
    want = (0, 1)


class ResetMidTokenTest(BlockTest):
    """A reset while a token is inside the layer (a random point of its cycles): nothing of it comes
    out; then clean tokens from position 0 on every layer decode bit-exact."""

    async def body(self, rng):
        env, dut = self.env, self.env.dut
        await env.send([token(rng, 0, 0)])
        await env.drain(1)
        cycles = env.harness.token_cycles()
        await env.send([token(rng, 1, 0)])
        wait = int(rng.integers(max(cycles // 10, 1), max(9 * cycles // 10, 2)))
        self.logger.info(f"reset {wait} cycles into a token of about {cycles} cycles")
        await ClockCycles(dut.clk, wait)
        await env.reset()
        assert flags(dut) == (0, 0), f"error flags after reset: {flags(dut)} (seed {env.seed})"
        for pos in range(2):
            for layer in range(NUM_LAYERS):
                await select(env, layer)
                await env.send([token(rng, pos, layer)])
                await env.drain(1)
        assert flags(dut) == (0, 0), f"error flags on clean tokens: {flags(dut)} (seed {env.seed})"


# Generous drain limit per token: every unit's cycles, times the slowdown of random stalls.
_CYCLES = ((4 * D * D + 2 * D * CFG["d_ffn"]) // min(P.get("LanesQkv", 16), P.get("WeightBusBytes", 16))
           + 6 * MAX_SEQ * D // P.get("AttnMacs", 16))
extra = {"test_layer_switch": LayerSwitchTest, "test_weight_starvation": WeightStarvationTest}
if CFG_TB.get("full_context"):
    extra["test_full_context"] = FullContextTest
if CFG_TB.get("error_path"):
    extra.update({"test_pos_error": PosErrorTest, "test_layer_error": LayerErrorTest,
                  "test_reset_mid_token": ResetMidTokenTest})
ERROR_PATH_TESTS = ["test_pos_error", "test_layer_error", "test_reset_mid_token"]

SPEC = BlockSpec(
    name="decoder_layer",
    inputs={"s_axis": Port(16, signed=True), "s_axis_pos": Port(32)},
    outputs={"m_axis": Port(16, signed=True)},
    model=model,
    stimulus=stimulus,
    transactions=TOKENS,
    covergroup=covergroup,
    on_reset=reset_caches,
    configure=configure,
    state=new_caches,
    max_cycles_per_txn=8 * _CYCLES + 5000,
    extra_tests=extra,
)

standard_tests(__name__, SPEC)
