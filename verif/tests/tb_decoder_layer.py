"""pyuvm testbench of the decoder layer (rtl/decoder_layer.sv in verif/sv/tb_decoder_layer.sv).

Each transaction is one token: x (D int16 residual elements) on s_axis and its (pos, layer) beat
on s_axis_pos; the model is models.layer.layer_decode with one Python KV cache per layer, so every
token's x' must be bit-exact. The parameter file (TB_CONFIG["params_file"], the quantizer's format)
is written into the harness memories; x comes from the model's own embedding of random tokens.

Besides the standard stress tests (all on layer 0): test_layer_switch alternates the layers token
by token (the harness reloads LayerNorm/GELU parameters and restarts the weight streams), and,
when TB_CONFIG["full_context"] is set, test_full_context decodes every position 0..MaxSeq-1.
"""

from pathlib import Path

import cocotb

from harness.decoder_layer import LayerHarness, pos_beat, rtl_parameters, write_memfiles
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
    rtl = rtl_parameters(CFG, P["LanesQkv"], P["AttnMacs"], NUM_LAYERS)
    if any(P.get(k) != v for k, v in rtl.items() if k in P):
        raise ValueError(f"harness parameters {P} do not match the parameter file's config {rtl}")
    write_memfiles(LAYERS, P, Path(CFG_TB["test_dir"]))

def new_caches() -> dict[int, layer_model.KVCache]:
    """The test's state: the model's KV cache of every layer."""
    return {i: layer_model.KVCache(MAX_SEQ, D) for i in range(NUM_LAYERS)}


def reset_caches(caches):
    caches.update(new_caches())


def model(txn, caches):
    beat = int(txn["s_axis_pos"][0])
    pos, layer = beat & 0xFFFF, beat >> 16
    return {"m_axis": [layer_model.layer_decode(LAYERS[layer], CFG, caches[layer], txn["s_axis"], pos)]}


def token(rng, pos: int, layer: int) -> dict:
    tok = int(rng.integers(0, CFG["vocab_size"]))
    return {"s_axis": MODEL.embed(tok, pos), "s_axis_pos": [pos_beat(pos, layer)]}


def stimulus(rng, index, _caches):
    return token(rng, index % MAX_SEQ, 0)


async def configure(env, rng):
    env.harness = LayerHarness(env.dut)
    await env.harness.load_memories()
    await env.harness.select_layer(0)


def position_bin(txn):
    pos = int(txn["inputs"]["s_axis_pos"][0]) & 0xFFFF
    return "first" if pos == 0 else "last" if pos == MAX_SEQ - 1 else "middle"


def covergroup():
    return Covergroup("decoder_layer", {
        "position": (position_bin, ["first", "middle", "last"]),
        "layer": (lambda t: int(t["inputs"]["s_axis_pos"][0]) >> 16, list(range(NUM_LAYERS))),
        "mode": MODE_POINT,
    })


class LayerSwitchTest(BlockTest):
    """Token by token across the layers, each with its own weights, parameters and KV cache."""

    async def body(self, rng):
        harness = self.env.harness
        for i in range(max(TOKENS, 2 * NUM_LAYERS)):
            layer, pos = i % NUM_LAYERS, i // NUM_LAYERS
            await harness.select_layer(layer)
            await self.env.send([token(rng, pos, layer)])
            await self.env.drain(1)
            assert not harness.errors(), f"{harness.errors()} at token {i} (seed {self.env.seed})"
            self.logger.info(f"token {i}: layer {layer} pos {pos}: {harness.token_cycles()} cycles")


class FullContextTest(BlockTest):
    """Every position of the cache, 0..MaxSeq-1, one token at a time, all bit-exact."""

    async def body(self, rng):
        for pos in range(MAX_SEQ):
            await self.env.send([token(rng, pos, 0)])
            await self.env.drain(1)
        assert not self.env.harness.errors(), f"{self.env.harness.errors()} (seed {self.env.seed})"


# Generous drain limit per token: every unit's cycles, times the slowdown of random stalls.
_CYCLES = (4 * D * D + 2 * D * CFG["d_ffn"]) // P.get("LanesQkv", 16) + 6 * MAX_SEQ * D // P.get("AttnMacs", 16)
extra = {"test_layer_switch": LayerSwitchTest}
if CFG_TB.get("full_context"):
    extra["test_full_context"] = FullContextTest

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
