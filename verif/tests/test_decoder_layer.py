"""Launchers: the decoder layer, bit-exact against models.layer.layer_decode.

- the trained tiny GPT-2 (d=128, 4 heads, 2 layers) on both simulators (Icarus: two of the stress
  tests by default, the whole matrix in make regress-full);
- every position of its 128-entry cache, on Verilator;
- GPT-2-small shapes (d=768, 12 heads, d_ffn=3072) with random weights, a few tokens, on Verilator;
- the error path (a position outside the cache, a layer id without a region, a reset in the middle
  of a token) on a tiny random 2-layer model (d=32, 2 heads, d_ffn=64, 8 positions), both simulators;
- the same tiny random model as a wide layer: output-parallel Linears (Cols 2: every Linear emits
  two elements per beat, GELU and attention's load take two) and attention in two head slices,
  both simulators.
"""

import os

import pytest

from harness.decoder_layer import SOURCES, TOP, rtl_parameters
from models.quantize import load_params
from models.synthetic import random_int_gpt2
from tbkit.runner import ROOT, SIM_BUILD, SIMS, expect_rejected, run_block

TINY = ROOT / "verif" / "fixtures" / "tiny_gpt2" / "int_params.npz"
# Builds: rtl_parameters' keywords. Linear lanes twice the weight bus (bytes/cycle), so a unit
# catches up after the gaps the bus spends prefetching (rtl/decoder_layer.sv). TINY_BUILD is
# rtl_parameters' defaults, the build make run uses.
TINY_BUILD = {}
GPT2_SMALL_BUILD = dict(lanes=256, bus_bytes=128, prefetch_words=512)  # the 512 B/cycle build is in make perf
TINY_RANDOM_BUILD = dict(lanes=32, bus_bytes=16, prefetch_words=64)
# The wide layer (issue 13) at tiny shapes: output-parallel Linears (rtl/linear.sv Cols: 16 inputs x
# 2 columns per step, 2x the 16 B/cycle bus) and attention in two slices of one head each
# (rtl/attention_slices.sv).
TINY_WIDE_BUILD = dict(lanes=16, cols=2, attn_slices=2, bus_bytes=16, prefetch_words=64)


def run_layer(sim, params_file, cfg, build, tokens, testcase=None, **extra):
    run_block(TOP, SOURCES, "tb_decoder_layer", sim, rtl_parameters(cfg, **build), testcase=testcase,
              tb_config=dict(params_file=str(params_file), tokens=tokens, **extra))


# Icarus runs the 128-lane layer slowly (the two tests below took 144 s at three tokens each, on
# a loaded machine): by default it takes the two tests that stress the most (both sides and the
# weight bus stalling at random; a reset in mid-token), two tokens each; the whole matrix in
# make regress-full.
ICARUS_TESTS = ["test_idle_backpressure", "test_reset_mid_stream"]


@pytest.mark.parametrize("sim", SIMS)
def test_decoder_layer_tiny(sim):
    cfg, _ = load_params(TINY)
    if sim == "verilator":
        run_layer(sim, TINY, cfg, TINY_BUILD, tokens=6)
    else:
        run_layer(sim, TINY, cfg, TINY_BUILD, tokens=2, testcase=ICARUS_TESTS)


@pytest.mark.slow
def test_decoder_layer_tiny_icarus_matrix():
    cfg, _ = load_params(TINY)
    run_layer("icarus", TINY, cfg, TINY_BUILD, tokens=3)


def test_decoder_layer_full_context():
    cfg, _ = load_params(TINY)
    run_layer("verilator", TINY, cfg, TINY_BUILD, tokens=2, testcase="test_full_context", full_context=True)


def gpt2_small_params():
    path = SIM_BUILD / "fixtures" / f"gpt2_small_random_1layer_{os.getpid()}.npz"  # one per xdist worker
    path.parent.mkdir(parents=True, exist_ok=True)
    cfg, _ = random_int_gpt2(path, n_layer=1, d=768, n_head=12, d_ffn=3072, n_pos=16, seed=5)
    return path, cfg


def test_decoder_layer_gpt2_small():
    """GPT-2-small shapes, three consecutive tokens bit-exact (about 20 s on Verilator)."""
    path, cfg = gpt2_small_params()
    run_layer("verilator", path, cfg, GPT2_SMALL_BUILD, tokens=3, testcase="test_smoke")


@pytest.mark.slow
def test_decoder_layer_gpt2_small_stress():
    """GPT-2-small shapes through the whole stress matrix (about 2 minutes on Verilator)."""
    path, cfg = gpt2_small_params()
    run_layer("verilator", path, cfg, GPT2_SMALL_BUILD, tokens=3)


def tiny_random_params():
    """A tiny random 2-layer GPT-2 (d=32, 2 heads, d_ffn=64, MaxSeq 8): cheap tokens, and a cache
    short enough that the error tokens' wrapped addresses land on rows the next tokens read."""
    path = SIM_BUILD / "fixtures" / f"tiny_random_2layer_{os.getpid()}.npz"  # one per xdist worker
    path.parent.mkdir(parents=True, exist_ok=True)
    cfg, _ = random_int_gpt2(path, n_layer=2, d=32, n_head=2, d_ffn=64, n_pos=8, seed=11)
    return path, cfg


@pytest.mark.parametrize("sim", SIMS)
def test_decoder_layer_error_path(sim):
    """pos_error / layer_error rise, error tokens write nothing (the next tokens, reading the rows
    they would have hit, stay bit-exact), and a reset in the middle of a token is followed by
    bit-exact clean tokens (harness.layer_bench.ERROR_PATH_TESTS)."""
    path, cfg = tiny_random_params()
    run_layer(sim, path, cfg, TINY_RANDOM_BUILD, tokens=2, error_path=True,
              testcase=["test_pos_error", "test_layer_error", "test_reset_mid_token"])


@pytest.mark.parametrize("sim", SIMS)
def test_decoder_layer_wide(sim):
    """Every Linear computing two output columns per step, attention in two head slices: bit-exact
    through the stress matrix (Icarus: the two tests that stress the most)."""
    path, cfg = tiny_random_params()
    run_layer(sim, path, cfg, TINY_WIDE_BUILD, tokens=3, testcase=None if sim == "verilator" else ICARUS_TESTS)


# The layer's weight-bus and residual-width checks, one message each, on the tiny random model's
# shapes (Icarus: the quick build; the harness's Python check is bypassed on purpose). A zero
# PrefetchWords never reaches its check: the FIFO's zero-size memory stops elaboration first.
def _tiny_random_rtl(**change):
    _, cfg = tiny_random_params()
    return {**rtl_parameters(cfg, **TINY_RANDOM_BUILD), **change}


@pytest.mark.parametrize("change,message", [
    (dict(WeightBusBytes=48), "must be a whole number of WeightBusBytes (48) words"),
    (dict(ResidLanes=3), "decoder_layer: ResidLanes (3) must divide D (32)"),
    (dict(ColsO=32), "decoder_layer: ColsQkv (1) must divide AttnMacs (16), ColsO (32)"),
], ids=["bus_not_dividing_matrices", "resid_lanes_not_dividing", "cols_not_dividing_consumer"])
def test_decoder_layer_rejects_bad_parameters(change, message):
    expect_rejected(TOP, SOURCES, "tb_stream_primitives", "icarus", _tiny_random_rtl(**change), message)
