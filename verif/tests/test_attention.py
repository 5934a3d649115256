"""Launchers: rtl/attention.sv (decode attention + KV cache) on both simulators.

Default regression: small shapes on Icarus and Verilator (every test of tb_attention), GPT-2-small
shapes (d=768, 12 heads) on Verilator for a few tokens, 3/6/8 heads and head_dim 48/128 on Icarus
(test_random_pos only), and the build-time parameter checks.
Wider sweeps (head sizes 16..128, 16 heads, several layers, GPT-2 on Icarus) are marked slow.
GQA (ElemBits 16, KvHeads < Heads, against llama_ops.gqa_attention): small shapes on both
simulators (every test), SmolLM2's shape (d=576, 9 query / 3 KV heads of 64) on Verilator.
Head slices (rtl/attention_slices.sv, Slices attention.sv units side by side, the same testbench):
2 and 4 slices, GPT-2 and GQA, output beats narrower and wider than a slice, both simulators.
"""

import pytest

from tbkit.runner import SIMS, expect_rejected, param_tag, run_block, sources

SOURCES = sources("attention")
SLICES_SOURCES = sources("attention_slices")

# Small: 4 heads x 16 (Macs 16: one K word per score), 2 heads x 32 with 2 layers and Lanes 2,
# 1 head x 64 with Macs 8 (8 words per score) and 3 layers; 16 heads x 16 on Verilator.
SMALL = [dict(D=64, Heads=4, MaxSeq=8, Macs=16, OutLanes=4, SoftmaxUnits=2),
         dict(D=64, Heads=2, MaxSeq=6, NumLayers=2, Lanes=2, Macs=8, OutLanes=1, SoftmaxUnits=1),
         dict(D=64, Heads=1, MaxSeq=5, NumLayers=3, Macs=8, OutLanes=2, SoftmaxUnits=3)]
VERILATOR_ONLY = [dict(D=256, Heads=16, MaxSeq=8, Macs=16, OutLanes=16, SoftmaxUnits=2)]
GPT2 = dict(D=768, Heads=12, MaxSeq=64, Macs=64, OutLanes=64, SoftmaxUnits=4)
GPT2_TESTS = ["test_smoke", "test_idle_backpressure", "test_random_pos"]
# Shapes only the slow sweep builds otherwise (3, 6 and 8 heads; head_dim 48 and 128; rows of
# 16..31), so that the default regression covers every attention.heads / head_dim /
# row_length_log2 bin: test_random_pos alone, a few tokens, on Icarus (the cheap build).
SHAPES = [dict(D=144, Heads=3, MaxSeq=17, Macs=16),
          dict(D=96, Heads=6, MaxSeq=2, Macs=16),
          dict(D=128, Heads=8, MaxSeq=2, Macs=16),
          dict(D=128, Heads=1, MaxSeq=2, Macs=32, OutLanes=8)]
SLOW = [dict(D=128, Heads=16, MaxSeq=12, Macs=8, SoftmaxUnits=2),        # 16 heads of 8 (Macs 8)
        dict(D=128, Heads=1, MaxSeq=9, Macs=32, OutLanes=8),               # head_dim 128
        dict(D=192, Heads=3, MaxSeq=33, NumLayers=2, Macs=64, SoftmaxUnits=4),
        dict(D=96, Heads=6, MaxSeq=1, Macs=16),                            # a one-row cache
        dict(D=64, Heads=4, MaxSeq=16, Macs=1, Lanes=1, SoftmaxUnits=1)]   # one MAC per cycle


# GQA, the Llama/SmolLM2 path: int16 q/k/v/cache/y, wide requant. 4 query heads on 2 KV heads
# (2 layers, Lanes 2, 2 words per score), 4 on 1 (Macs = head_dim), and KvHeads = Heads at
# ElemBits 16 (multi-head attention on the wide path).
GQA_SMALL = [dict(D=64, Heads=4, KvHeads=2, ElemBits=16, MaxSeq=6, NumLayers=2, Lanes=2, Macs=8, OutLanes=2,
                  SoftmaxUnits=2),
             dict(D=64, Heads=4, KvHeads=1, ElemBits=16, MaxSeq=5, Macs=16, OutLanes=4, SoftmaxUnits=1),
             dict(D=32, Heads=2, KvHeads=2, ElemBits=16, MaxSeq=4, Macs=16, OutLanes=1, SoftmaxUnits=2)]
SMOLLM2 = dict(D=576, Heads=9, KvHeads=3, ElemBits=16, MaxSeq=12, Macs=64, Lanes=8, OutLanes=64, SoftmaxUnits=4)

# Head slices: 2 slices of 2 heads (output beats of 4, narrower than a slice); 4 slices of one head
# with 2 layers and 2-element input beats, output beats of 32 joining two slices; GQA 4/2 heads
# in 2 slices (each 2 query heads on 1 KV head).
SLICED = [dict(D=64, Heads=4, MaxSeq=8, Macs=16, OutLanes=4, SoftmaxUnits=2, Slices=2),
          dict(D=64, Heads=4, MaxSeq=6, NumLayers=2, Lanes=2, Macs=8, OutLanes=32, SoftmaxUnits=1, Slices=4),
          dict(D=64, Heads=4, KvHeads=2, ElemBits=16, MaxSeq=6, Lanes=2, Macs=8, OutLanes=2, SoftmaxUnits=2,
               Slices=2)]


def run(sim, params, transactions=None, testcase=None):
    tb = {} if transactions is None else {"transactions": transactions}
    if params.get("Slices", 1) > 1:
        return run_block("attention_slices", SLICES_SOURCES, "tb_attention", sim, params, testcase=testcase, tb_config=tb)
    return run_block("attention", SOURCES, "tb_attention", sim, params, testcase=testcase, tb_config=tb)


@pytest.mark.parametrize("params", SMALL, ids=param_tag)
@pytest.mark.parametrize("sim", SIMS)
def test_attention(sim, params):
    run(sim, params)


@pytest.mark.parametrize("params", VERILATOR_ONLY, ids=param_tag)
def test_attention_verilator(params):
    run("verilator", params)


@pytest.mark.parametrize("params", SHAPES, ids=param_tag)
def test_attention_shapes(params):
    run("icarus", params, transactions=3, testcase=["test_random_pos"])


def test_attention_gpt2():
    run("verilator", GPT2, transactions=2, testcase=GPT2_TESTS)


@pytest.mark.parametrize("params", GQA_SMALL, ids=param_tag)
@pytest.mark.parametrize("sim", SIMS)
def test_attention_gqa(sim, params):
    run(sim, params, transactions=4)


def test_attention_gqa_smollm2():
    run("verilator", SMOLLM2, transactions=3)


@pytest.mark.parametrize("params", SLICED, ids=param_tag)
@pytest.mark.parametrize("sim", SIMS)
def test_attention_slices(sim, params):
    run(sim, params, transactions=4)


@pytest.mark.slow
@pytest.mark.parametrize("params", SLOW, ids=param_tag)
@pytest.mark.parametrize("sim", SIMS)
def test_attention_sweep(sim, params):
    run(sim, params)


@pytest.mark.slow
def test_attention_gpt2_icarus():
    run("icarus", GPT2, transactions=1, testcase=["test_smoke"])


@pytest.mark.slow
def test_attention_gpt2_long():
    run("verilator", dict(GPT2, MaxSeq=1024), transactions=2, testcase=["test_smoke", "test_random_pos", "test_layer_swap"])


BAD = [(dict(D=60, Heads=8), "attention: D (60) must be a positive multiple of Heads (8)"),
       (dict(D=256, Heads=1, Macs=16), "attention: head_dim = D/Heads = 256 > 128"),
       (dict(D=64, Heads=4, Macs=32), "attention: Macs (32) must divide head_dim = D/Heads = 16"),
       (dict(D=64, Heads=4, ElemBits=12), "attention: ElemBits must be 8 (GPT-2) or 16 (GQA), got 12"),
       (dict(D=96, Heads=6, KvHeads=4, ElemBits=16), "attention: Heads (6) must be a multiple of KvHeads (4)"),
       (dict(D=64, Heads=4, KvHeads=2), "attention: KvHeads (2) < Heads (4) needs ElemBits 16")]


@pytest.mark.parametrize("params,message", BAD, ids=[param_tag(b[0]) for b in BAD])
@pytest.mark.parametrize("sim", SIMS)
def test_attention_rejects_bad_parameters(sim, params, message):
    """Illegal shapes are refused when the simulation is elaborated, with a clear message."""
    expect_rejected("attention", SOURCES, "tb_attention", sim, params, message)


SLICES_BAD = [(dict(D=64, Heads=4, Slices=3), "attention_slices: Slices (3) must divide Heads (4) and KvHeads (4)"),
              (dict(D=96, Heads=6, Macs=16, OutLanes=48, Slices=3),
               "attention_slices: OutLanes (48) must divide a slice's 32 outputs or be a multiple of them")]


@pytest.mark.parametrize("params,message", SLICES_BAD, ids=[param_tag(b[0]) for b in SLICES_BAD])
def test_attention_slices_rejects_bad_parameters(params, message):
    """Slices not dividing the heads, or output beats that straddle two slices, are refused (Icarus)."""
    expect_rejected("attention_slices", SLICES_SOURCES, "tb_attention", "icarus", params, message)
