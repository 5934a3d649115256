"""Layer composition, bound naming, the paper formula and the balanced-lanes search."""

import itertools
import math
from dataclasses import replace

import pytest

from perfmodel import layer, units
from perfmodel.layer import LayerConfig, balance_lanes, layer_timing

TINY = LayerConfig()  # d=128, 4 heads, d_FFN=512, 16 lanes per unit, 1 element per beat between them


def test_macs_per_token():
    cfg = replace(TINY, pos=9)
    m = layer.macs_per_token(cfg)
    assert m == {"qkv": 3 * 128 ** 2, "o": 128 ** 2, "fc1": 128 * 512, "fc2": 512 * 128, "attn": 2 * 10 * 128}


def test_front_of_layer_by_hand():
    # x: 128 one-element beats (0..127); LN1: first out 127 + 103 + 3 = 233, last 360; axis_pack to 16:
    # last beat 361; QKV (K=128, N=384, 16 lanes, 8 steps per column): column 0 ends with that beat
    # at 361, last step 361 + 383*8 = 3425, y[383] 7 later at 3432, y[0] at 368. The handshakes in
    # the decoder layer's FST (tiny GPT-2, Lanes 16, pos 0) are at exactly these cycles.
    st = layer_timing(TINY).stages
    assert (st["ln1"].first, st["ln1"].last) == (233, 360)
    assert (st["qkv"].first, st["qkv"].last) == (368, 3432)


def test_ffn_output_major_is_a_sum_not_a_max():
    # linear.sv is output-major: FC2 column 0 ends with FC1's last output, then N-1 = 127 more
    # columns of 512/16 = 32 steps, + 7: FC2 adds 127*32 + 7 (+1 pack) after GELU's last beat.
    t = layer_timing(TINY)
    assert t.stages["fc2"].last - t.stages["gelu"].last == 127 * 32 + 7 + 1
    im = layer_timing(replace(TINY, ffn_order="input_major"))
    assert im.cycles < t.cycles  # input-major would overlap FC1 and FC2
    assert im.stages["fc2"].last - im.stages["gelu"].last < 200


def test_cycles_are_first_in_to_last_out_and_tokens_per_s():
    t = layer_timing(TINY)
    assert t.cycles == t.stages["add2"].last + 1
    assert sum(t.contributions.values()) == pytest.approx(t.cycles)
    assert t.tokens_per_s == pytest.approx(250e6 / (t.cycles * 2))


def test_bound_naming():
    big = dict(qkv=64, o=64, fc1=64, fc2=64, attn=64, ln=8)
    gpt2 = LayerConfig(d=768, heads=12, d_ffn=3072, layers=12, lanes=big)
    assert layer_timing(gpt2).bound == "compute"
    assert layer_timing(replace(gpt2, port_gbps=2.0)).bound == "memory"  # 8 B/cycle at 250 MHz
    long = replace(gpt2, pos=1023, softmax_units=1, lanes=dict(big, qkv=256, o=256, fc1=256, fc2=1024))
    assert layer_timing(long).bound == "attention"  # 12 softmax rows of 3*1024 + 55 on one unit
    with pytest.raises(ValueError):
        layer_timing(replace(TINY, heads=3))


def test_paper_formula_by_hand():
    # (N/C)[d^2/M_k + C max(d^2/M_k, (l+1)d/M_a, d d_FFN/M_f, T_mem)], C = 1, no memory bound:
    # 2 * [128^2/16 + max(1024, 128/16, 4096)] = 2 * (1024 + 4096)
    assert layer.paper_t_decode_cycles(TINY) == 2 * (1024 + 4096)


def test_roofline():
    assert layer.roofline_tokens_per_s(100e6, 460) == pytest.approx(4600)


def _exhaustive(cfg, budget, choices=(1, 2, 4, 8, 16, 32)):
    best = None
    for combo in itertools.product(choices, repeat=len(layer.UNITS)):
        if sum(combo) > budget:
            continue
        lanes = dict(zip(layer.UNITS, combo))
        if any(not layer._legal(cfg, u, v) for u, v in lanes.items()):
            continue
        c = layer_timing(cfg.with_lanes(**lanes)).cycles
        if best is None or c < best:
            best = c
    return best


@pytest.mark.parametrize("budget", [24, 64])
def test_balance_matches_exhaustive_search(budget):
    cfg = replace(TINY, pos=63)
    lanes, t = balance_lanes(cfg, budget)
    assert sum(lanes.values()) <= budget
    assert t.cycles <= _exhaustive(cfg, budget) * 1.02


def test_balance_beats_uniform_and_respects_bandwidth():
    cfg = LayerConfig(d=768, heads=12, d_ffn=3072, layers=12, pos=255)
    lanes, t = balance_lanes(cfg, 5 * 64)
    uniform = layer_timing(cfg.with_lanes(qkv=64, o=64, fc1=64, fc2=64, attn=64))
    assert t.cycles < uniform.cycles
    assert lanes["qkv"] > lanes["o"]  # QKV has 3x the MACs of O
    # a 12 B/cycle weight port (3 GB/s at 250 MHz): 16 int8 lanes already wait for it (memory
    # bound), 32 lanes would buy nothing
    slow = replace(cfg, port_gbps=3.0)
    lanes, t = balance_lanes(slow, 4096)
    assert all(lanes[u] <= 16 for u in layer.LINEARS)
    assert t.bound == "memory"
    with pytest.raises(ValueError):
        balance_lanes(cfg, 3)


def test_step_is_the_bandwidth_bound():
    cfg = replace(TINY, port_gbps=1.0)  # 4 B/cycle at 250 MHz: 8 lanes of int8 take 2 cycles a step
    assert math.isclose(cfg.port_bytes_per_cycle, 4.0)
    assert units.linear_step_cycles(8, 8, cfg.port_bytes_per_cycle) == 2
    assert layer_timing(cfg).cycles > 1.9 * layer_timing(replace(TINY, ffn_order="output_major")).cycles - 2000
