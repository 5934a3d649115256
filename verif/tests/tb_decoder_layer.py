"""pyuvm testbench of the GPT-2 decoder layer (rtl/decoder_layer.sv in verif/sv/tb_decoder_layer.sv),
on the shared layer bench (harness/layer_bench.py: the tests, the stimulus, the error path).

The model is models.layer.layer_decode with one Python KV cache per layer; the parameter file
(TB_CONFIG["params_file"], the quantizer's format) is written into the harness memories, and x is
the model's own embedding of random tokens. An error token's attention output is D zeros
(rtl/attention.sv), so its x' is the layer with a zero attention vector.
"""

from pathlib import Path

import numpy as np

from harness.decoder_layer import bus_words_per_layer, rtl_parameters, write_memfiles
from harness.layer_bench import LayerModel, layer_tests
from models import layer as layer_model
from models.gpt2 import IntGPT2
from tbkit.env import tb_config

CFG_TB = tb_config()
P = CFG_TB.get("parameters", {})
PARAMS_FILE = Path(CFG_TB.get("params_file", "verif/fixtures/tiny_gpt2/int_params.npz"))
MODEL = IntGPT2.from_file(PARAMS_FILE)  # its layers' parameters, and its embedding for realistic x
CFG = MODEL.cfg
NUM_LAYERS = P.get("NumLayers", CFG["n_layer"])
LAYERS = MODEL.layers[:NUM_LAYERS]
MAX_SEQ, D = CFG["max_seq"], CFG["d_model"]

if P and CFG_TB.get("test_dir"):
    rtl = rtl_parameters(CFG, P["LanesQkv"], P["AttnMacs"], NUM_LAYERS, P["WeightBusBytes"], P["PrefetchWords"],
                         P["ResidLanes"], P.get("ColsQkv", 1), P.get("AttnSlices", 1))
    if any(P.get(k) != v for k, v in rtl.items() if k in P):
        raise ValueError(f"harness parameters {P} do not match the parameter file's config {rtl}")
    write_memfiles(LAYERS, P, Path(CFG_TB["test_dir"]))


def error_token_output(layer: int, x) -> np.ndarray:
    """x' of a token attention refuses (pos or layer out of range): layer_decode with the attention
    output replaced by D zeros (rtl/attention.sv) and no cache row written."""
    p = LAYERS[layer]
    rb, bb = CFG["resid_bits"], CFG.get("branch_bits", 8)
    x = np.asarray(x, dtype=np.int64)
    o = layer_model._linear(p, "o", np.zeros(D, dtype=np.int64), bb)
    x = layer_model._add(p, "add1", x, o, rb, bb)
    h = layer_model._layernorm(p, "ln2", x, rb)
    g = layer_model.ops.gelu_lut(layer_model._linear(p, "fc1", h), p["gelu.table"])
    return layer_model._add(p, "add2", x, layer_model._linear(p, "fc2", g, bb), rb, bb)


# Generous drain limit per token: every unit's cycles, times the slowdown of random stalls.
_CYCLES = ((4 * D * D + 2 * D * CFG["d_ffn"]) // min(P.get("LanesQkv", 16) * P.get("ColsQkv", 1), P.get("WeightBusBytes", 16))
           + 6 * MAX_SEQ * D // P.get("AttnMacs", 16))

layer_tests(__name__, LayerModel(
    name="decoder_layer", num_layers=NUM_LAYERS, max_seq=MAX_SEQ, resid_bits=16,
    new_cache=lambda: layer_model.KVCache(MAX_SEQ, D),
    decode=lambda layer, kv, x, pos: layer_model.layer_decode(LAYERS[layer], CFG, kv, x, pos),
    error_output=error_token_output,
    embed=lambda tok, pos: MODEL.embed(tok, pos),
    vocab=CFG["vocab_size"],
    bus_words=bus_words_per_layer(P) if P else 0,
    max_cycles_per_token=8 * _CYCLES + 5000,
))
