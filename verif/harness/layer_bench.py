"""The decoder-layer testbench, shared by GPT-2's (tests/tb_decoder_layer.py) and Llama's
(tests/tb_llama_layer.py): one verification layer, a small adapter per model.

Each transaction is one token: x (D residual elements) on s_axis and its (pos, layer) beat on
s_axis_pos; the model is the adapter's golden layer with one Python KV cache per layer, so every
token's x' must be bit-exact. x comes from the model's own embedding of random tokens.

Besides the standard stress tests (all on layer 0): test_layer_switch alternates the layers token
by token (the harness reloads the per-layer parameters and restarts the weight streams) and checks
the bus words each token takes, test_weight_starvation halves the bus, and, when
TB_CONFIG["full_context"] is set, test_full_context decodes every position 0..MaxSeq-1.

When TB_CONFIG["error_path"] is set, the error path of the layer (a token whose position is outside
the cache, or whose layer has no cache region, raises the sticky pos_error / layer_error, writes
nothing into the KV cache, and its attention output is zeros, so the layer's x' is the adapter's
`error_output`):
  test_pos_error    positions 0..2 on every layer, then tokens at MaxSeq+1 and 2*MaxSeq+2 (the
                    rows a wrapped address would hit are rows 1 and 2 of a layer), then position
                    3 on every layer, whose attention reads rows 0..3: bit-exact only if nothing
                    was written;
  test_layer_error  the same with layer ids NumLayers and NumLayers+1;
  test_reset_mid_token  a reset while a token is inside the layer (after a random fraction of a
                    token's cycles), then clean tokens from position 0 on every layer, bit-exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from cocotb.triggers import ClockCycles
from pyuvm import ConfigDB

from tbkit.coverage import Covergroup
from tbkit.env import MODE_POINT, BlockSpec, BlockTest, Port, standard_tests, tb_config

from .decoder_layer import LayerHarness, pos_beat

ERROR_PATH_TESTS = ["test_pos_error", "test_layer_error", "test_reset_mid_token"]


@dataclass
class LayerModel:
    """What the shared bench needs of a model: its layers' golden decode and its embedding."""

    name: str                 # the block's name in reports (decoder_layer, llama_layer)
    num_layers: int
    max_seq: int              # KV-cache rows the harness holds
    resid_bits: int           # width of x and x' elements
    new_cache: Callable[[], object]                      # one layer's empty KV cache
    decode: Callable[[int, object, np.ndarray, int], np.ndarray]  # (layer, cache, x, pos) -> x'
    error_output: Callable[[int, np.ndarray], np.ndarray]         # (layer, x) -> x' of a refused token
    embed: Callable[[int, int], np.ndarray]              # (token, pos) -> x
    vocab: int
    bus_words: int            # weight-bus words of one layer's weights
    max_cycles_per_token: int
    harness: type = LayerHarness  # the harness's pin driver
    extra_tests: dict = field(default_factory=dict)  # the model's own tests: {name: BlockTest subclass}


class LayerState(dict):
    """The test's state: the model's KV cache of every layer ({layer: cache}), and `selected`, the
    layer whose weights and parameters the harness streams (what an error token goes through)."""

    selected = 0


def token_line(i: int, layer: int, pos: int, cycles: int) -> str:
    """The per-token log line perfmodel.validate.TOKEN_RE reads back (make perf's layer rows)."""
    return f"token {i}: layer {layer} pos {pos}: {cycles} cycles"


def flags(dut) -> tuple[int, int]:
    return int(dut.pos_error.value), int(dut.layer_error.value)


def layer_tests(module_name: str, m: LayerModel) -> None:
    """Declare the layer's standard and extra cocotb tests in `module_name`."""
    cfg_tb = tb_config()
    tokens = cfg_tb.get("tokens", 6)

    def new_caches() -> LayerState:
        return LayerState({i: m.new_cache() for i in range(m.num_layers)})

    def reset_caches(caches):
        caches.update(new_caches())

    def model(txn, caches):
        beat = int(txn["s_axis_pos"][0])
        pos, layer = beat & 0xFFFF, beat >> 16
        x = np.asarray(txn["s_axis"], np.int64)
        if pos >= m.max_seq or layer >= m.num_layers:
            return {"m_axis": [m.error_output(caches.selected, x)]}
        return {"m_axis": [m.decode(layer, caches[layer], x, pos)]}

    def token(rng, pos: int, layer: int) -> dict:
        """A token's x (the embedding of a random token; at position 0 for an out-of-range position)."""
        tok = int(rng.integers(0, m.vocab))
        return {"s_axis": m.embed(tok, pos if pos < m.max_seq else 0), "s_axis_pos": [pos_beat(pos, layer)]}

    async def select(env, layer: int):
        """The harness streams `layer`'s weights and parameters; the model follows."""
        await env.harness.select_layer(layer)
        env.state.selected = layer

    def stimulus(rng, index, _caches):
        return token(rng, index % m.max_seq, 0)

    async def configure(env, rng):
        env.harness = m.harness(env.dut)
        await env.harness.load_memories()
        await select(env, 0)
        # The shared weight bus starved at random in the idle stress modes (as the Linear's own bench).
        if ConfigDB().get(None, "", "TEST")["mode"].startswith("idle"):
            env.dut.w_stall.value = int(rng.integers(30, 130))

    def position_bin(txn):
        pos = int(txn["inputs"]["s_axis_pos"][0]) & 0xFFFF
        return "outside" if pos >= m.max_seq else "first" if pos == 0 else "last" if pos == m.max_seq - 1 else "middle"

    def covergroup():
        return Covergroup(m.name, {
            "position": (position_bin, ["first", "middle", "last"]),
            "layer": (lambda t: int(t["inputs"]["s_axis_pos"][0]) >> 16, list(range(m.num_layers))),
            "mode": MODE_POINT,
        })

    class LayerSwitchTest(BlockTest):
        """Token by token across the layers, each with its own weights, parameters and KV cache. Every
        token takes exactly one layer's weights from the bus (no matrix read twice, none cut short),
        and no faster than the bus delivers them (one word per cycle)."""

        async def body(self, rng):
            harness, words = self.env.harness, m.bus_words
            for i in range(max(tokens, 2 * m.num_layers)):
                layer, pos = i % m.num_layers, (i // m.num_layers) % m.max_seq
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
            env, words = self.env, m.bus_words
            env.dut.w_stall.value = 128
            for i in range(tokens):
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
            for pos in range(m.max_seq):
                await self.env.send([token(rng, pos, 0)])
                await self.env.drain(1)
                self.logger.info(token_line(pos, 0, pos, harness.token_cycles()))
            assert not harness.errors(), f"{harness.errors()} (seed {self.env.seed})"

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
                for layer in range(m.num_layers):
                    await self.one(rng, pos, layer)
            assert flags(dut) == (0, 0), f"error flag before any error token: {flags(dut)} (seed {seed})"
            for k, (pos, layer) in enumerate(self.bad):
                await self.one(rng, pos, layer, harness_layer=k % m.num_layers)
                assert flags(dut) == self.want, (
                    f"after the token (pos {pos}, layer {layer}): (pos_error, layer_error) = {flags(dut)}, "
                    f"expected {self.want} (seed {seed})")
            for layer in range(m.num_layers):
                await self.one(rng, 3, layer)
            assert flags(dut) == self.want, f"sticky flags changed by legal tokens: {flags(dut)} (seed {seed})"

    class PosErrorTest(ErrorTokenTest):
        """Tokens at positions MaxSeq+1 and 2*MaxSeq+2: pos_error rises, nothing is written (the legal
        tokens after them, reading rows 0..3 of every layer, stay bit-exact), x' with zero attention."""

        bad = [(m.max_seq + 1, 0), (2 * m.max_seq + 2, m.num_layers - 1)]
        want = (1, 0)

    class LayerErrorTest(ErrorTokenTest):
        """Tokens with layer ids NumLayers and NumLayers+1 (no cache region): layer_error rises, nothing
        is written (the legal tokens after them stay bit-exact), x' with zero attention."""

        bad = [(1, m.num_layers), (2, m.num_layers + 1)]
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
                for layer in range(m.num_layers):
                    await select(env, layer)
                    await env.send([token(rng, pos, layer)])
                    await env.drain(1)
            assert flags(dut) == (0, 0), f"error flags on clean tokens: {flags(dut)} (seed {env.seed})"

    extra = {"test_layer_switch": LayerSwitchTest, "test_weight_starvation": WeightStarvationTest, **m.extra_tests}
    if cfg_tb.get("full_context"):
        extra["test_full_context"] = FullContextTest
    if cfg_tb.get("error_path"):
        extra.update({"test_pos_error": PosErrorTest, "test_layer_error": LayerErrorTest,
                      "test_reset_mid_token": ResetMidTokenTest})

    spec = BlockSpec(
        name=m.name,
        inputs={"s_axis": Port(m.resid_bits, signed=True), "s_axis_pos": Port(32)},
        outputs={"m_axis": Port(m.resid_bits, signed=True)},
        model=model,
        stimulus=stimulus,
        transactions=tokens,
        covergroup=covergroup,
        on_reset=reset_caches,
        configure=configure,
        state=new_caches,
        max_cycles_per_txn=m.max_cycles_per_token,
        extra_tests=extra,
    )
    standard_tests(module_name, spec)
