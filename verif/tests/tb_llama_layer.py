"""pyuvm testbench of the Llama decoder layer (rtl/llama_layer.sv in verif/sv/tb_llama_layer.sv),
on the shared layer bench (harness/layer_bench.py: the tests, the stimulus, the error path).

The model is models.llama_model.layer_decode with one Python KV cache per layer; the parameter
file (TB_CONFIG["params_file"], models.llama_quant's format) is written into the harness memories,
and x is the model's own embedding (int24) of random tokens. An error token's attention output is
zeros (rtl/attention.sv), so its x' is the layer with a zero attention vector.
"""

from pathlib import Path

import numpy as np

from harness.layer_bench import LayerModel, layer_tests
from harness.llama_layer import LlamaHarness, bus_words_per_layer, rtl_parameters, write_memfiles
from models import llama_ops as lops
from models.llama_model import IntLlama, KVCache, after_attention, layer_decode
from tbkit.env import BlockTest, tb_config

CFG_TB = tb_config()
P = CFG_TB.get("parameters", {})
MODEL = IntLlama.from_file(Path(CFG_TB["params_file"]), cache_weights=True) if "params_file" in CFG_TB else None
CFG = MODEL.cfg if MODEL else {}
NUM_LAYERS = P.get("NumLayers", CFG.get("n_layer", 1))
LAYERS = MODEL.layers[:NUM_LAYERS] if MODEL else []
MAX_SEQ = P.get("MaxSeq", CFG.get("max_seq", 1))
D = CFG.get("d_model", 1)

if P and CFG_TB.get("test_dir"):
    rtl = rtl_parameters(CFG, P["LanesQkv"], P["WeightBusBytes"], NUM_LAYERS, MAX_SEQ, P["PrefetchWords"],
                         P["ResidLanes"], P["AttnMacs"])
    if any(P.get(k) != v for k, v in rtl.items() if k in P):
        raise ValueError(f"harness parameters {P} do not match the parameter file's config {rtl}")
    write_memfiles(LAYERS, P, Path(CFG_TB["test_dir"]))


def error_token_output(layer: int, x) -> np.ndarray:
    """x' of a token attention refuses (pos or layer out of range): the layer with the attention
    output replaced by zeros (rtl/attention.sv) and no cache row written."""
    x = np.asarray(x, dtype=np.int64)[None]
    a = np.zeros((1, CFG["n_head"] * CFG["head_dim"]), np.int64)
    return after_attention(LAYERS[layer], CFG, x, a)["resid_out"][0]


# Generous drain limit per token: the weight bus, attention's rows, times the slowdown of random stalls.
_CYCLES = (bus_words_per_layer(P) if P else 0) + 8 * MAX_SEQ * D // max(P.get("AttnMacs", 16), 1)


class SelfDriveTest(BlockTest):
    """make run's path: whole tokens through the harness's drive_x / drive_y (the ports idle, so
    the env sees no beat), every layer in turn, each x' bit-exact with the model's."""

    async def body(self, rng):
        harness, seed = self.env.harness, self.env.seed
        caches = [KVCache(MAX_SEQ, CFG["n_kv_head"] * CFG["head_dim"]) for _ in range(NUM_LAYERS)]
        for pos in range(min(CFG_TB.get("tokens", 6), MAX_SEQ)):
            x = MODEL.embed([int(rng.integers(0, CFG["vocab_size"]))])[0]
            for layer in range(NUM_LAYERS):
                await harness.select_layer(layer)
                y = await harness.decode_token(x, pos, layer, 8 * _CYCLES + 20000)
                want = layer_decode(LAYERS[layer], CFG, caches[layer], x, pos)
                bad = np.flatnonzero(y != want)
                assert not bad.size, (f"pos {pos} layer {layer}: {bad.size} of {D} elements differ, first "
                                      f"[{bad[0]}] = {y[bad[0]]}, model {want[bad[0]]} (seed {seed})")
                x = y
            self.logger.info(f"pos {pos}: {NUM_LAYERS} layers bit-exact, last {harness.token_cycles()} cycles")
        assert not harness.errors(), f"{harness.errors()} (seed {seed})"
        self.env.dut.drive.value = 0


layer_tests(__name__, LayerModel(
    name="llama_layer", num_layers=NUM_LAYERS, max_seq=MAX_SEQ, resid_bits=lops.RESID_BITS,
    new_cache=lambda: KVCache(MAX_SEQ, CFG["n_kv_head"] * CFG["head_dim"]),
    decode=lambda layer, kv, x, pos: layer_decode(LAYERS[layer], CFG, kv, x, pos),
    error_output=error_token_output,
    embed=lambda tok, pos: MODEL.embed([tok])[0],
    vocab=CFG.get("vocab_size", 1),
    bus_words=bus_words_per_layer(P) if P else 0,
    max_cycles_per_token=8 * _CYCLES + 20000,
    harness=LlamaHarness,
    extra_tests={"test_self_drive": SelfDriveTest},
))
