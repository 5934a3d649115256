"""Per-unit formulas against cases worked out by hand from the RTL headers' latency/throughput text."""

import math

import pytest

from perfmodel import units
from perfmodel.units import Stream, source


# rtl/linear.sv: "K*N/Lanes + 7 cycles from the first x beat to the last y beat" -- the numbers
# scripts/perf_linear.py measured for these shapes (sim_build/reports/perf_linear.json).
@pytest.mark.parametrize("k,n,lanes,cycles", [(768, 3072, 64, 36871), (3072, 768, 64, 36871), (768, 2304, 64, 27655),
                                              (768, 768, 16, 36871), (64, 24, 8, 199), (48, 5, 1, 247)])
def test_linear_full_rate(k, n, lanes, cycles):
    assert units.linear_cycles(k, n, lanes) == cycles


def test_linear_output_stream():
    # K=64, Lanes=8: 8 steps per column. x at full rate from cycle 0: column 0 ends at step 7,
    # y[0] 7 cycles later (6 pipeline + 1 FIFO); column 3 ends at step 31 -> y[3] at 38.
    y = units.linear(source(8), 64, 4, 8)
    assert (y.first, y.last, y.beats) == (14, 38, 4)


def test_linear_slow_x_column0_waits():
    # x beats every 10 cycles (0, 10, ..., 70): column 0 ends with the last x beat at 70, then
    # columns 1..3 take 3*8 steps -> last step 94, y[3] at 101; y[0] at 77.
    y = units.linear(Stream(0, 70, 8), 64, 4, 8)
    assert (y.first, y.last) == (77, 101)


def test_linear_weight_port_bound():
    # 64 lanes need 64 B/cycle; a 32 B/cycle port doubles every step.
    assert units.linear_step_cycles(64, 8, 32) == 2
    assert units.linear_step_cycles(64, 8, 64) == 1
    assert units.linear_step_cycles(64, 4, 32) == 1  # int4 weights: half the bytes
    full = units.linear_cycles(768, 768, 64)
    slow = units.linear_cycles(768, 768, 64, port_bytes_per_cycle=32)
    assert slow == pytest.approx(2 * (full - 7), abs=8)


def test_linear_rejects_k_not_multiple_of_lanes():
    with pytest.raises(ValueError, match="multiple of Lanes"):
        units.linear(source(3), 50, 4, 16)


# rtl/layernorm.sv: first output 103 + RqStages after tlast, 1 beat/cycle, a vector every 2B + 102
# whatever RqStages (tb_layernorm's test_timing measured 104/105/106 and 118 at d = 16, Lanes 2)
@pytest.mark.parametrize("beats", [1, 16, 96, 768])
@pytest.mark.parametrize("rq", [1, 2, 3])
def test_layernorm(beats, rq):
    y = units.layernorm(source(beats), rq)
    assert y.first == beats - 1 + 103 + rq
    assert y.cycles == beats
    assert units.layernorm_occupancy(beats, rq) == 2 * beats + 102


# rtl/softmax.sv: first p L + 56 after tlast, 1 beat/cycle, a row every 3L + 55 (3127 for L = 1024,
# the period tb_softmax's test_timing measured)
@pytest.mark.parametrize("length,period", [(1, 58), (37, 166), (1024, 3127)])
def test_softmax(length, period):
    p = units.softmax(source(length))
    assert p.first == (length - 1) + length + 56
    assert p.cycles == length
    assert p.last + 1 == units.softmax_occupancy(length) == period


def test_gelu_and_residual_add_latency():
    assert units.gelu(source(12)).last == 12  # latency 1
    a, b = source(12), Stream(40, 51, 12)  # b late: the join waits for it
    y = units.residual_add(a, b)  # 2*RqStages + 1 = 7
    assert (y.first, y.last) == (47, 58)
    assert units.residual_add(a, a, rq_stages=1).last == 11 + 3


def test_pack():
    # 8 elements, one per cycle, packed 4 per beat: beat 0 one cycle after element 3
    y = units.pack(source(8), 4)
    assert (y.first, y.last, y.beats) == (4, 8, 2)
    assert units.pack(source(8), 1) == source(8)


# rtl/attention.sv header, D=768, 12 heads: the cycles it lists as measured (last QKV beat -> last
# output), and its rules "about (pos+1)*(D/Macs + HeadDim/Macs + 1) + 100 when the softmax units keep
# up", "about D + 100 cycles" at pos 0 (the drain), "~3L per head: the softmax bound" with one unit.
@pytest.mark.parametrize("macs,sm,pos,cycles", [(64, 4, 63, 1062), (64, 4, 255, 3717), (64, 4, 1023, 14469),
                                                (16, 2, 63, 3477), (16, 2, 255, 13653), (16, 2, 1023, 54357),
                                                (64, 1, 1023, 37602)])
def test_attention_header_numbers(macs, sm, pos, cycles):
    assert units.attention_cycles(768, 12, pos + 1, macs, sm)["cycles"] == pytest.approx(cycles, rel=0.01)


@pytest.mark.parametrize("pos", [255, 1023])
def test_attention_header_rule(pos):
    got = units.attention_cycles(768, 12, pos + 1, 64, 4)["cycles"]
    assert got == pytest.approx((pos + 1) * (12 + 1 + 1) + 100, rel=0.02)


def test_attention_drain_and_softmax_bounds():
    assert units.attention_cycles(768, 12, 1, 64, 4)["cycles"] == pytest.approx(768 + 100, abs=15)
    one = units.attention_cycles(768, 12, 1024, 64, 1)["cycles"]
    assert one >= 12 * units.softmax_occupancy(1024)  # every row through the one softmax unit
    assert one == pytest.approx(12 * units.softmax_occupancy(1024), rel=0.01)
    y = units.attention(100, 12, 64, 1024, 64, 4, out_lanes=64)
    assert y.beats == 12 and y.last == 100 + units.attention_cycles(768, 12, 1024, 64, 4)["cycles"] - 1


# ---- the shared weight bus (rtl/weight_router.sv + rtl/weight_prefetch.sv) -----------------------
def test_weight_bus_never_beats_one_word_per_cycle():
    """However wide the unit and deep the FIFO, the matrix cannot arrive faster than the bus."""
    for lanes, depth in ((64, 1), (128, 256), (128, 4096)):
        bus = units.WeightBus(64, depth, start=0)
        y = bus.linear(units.source(128 // lanes), 128, 384, lanes)
        assert bus.next_free >= 128 * 384 // 64
        assert y.last >= 128 * 384 // 64


def test_weight_bus_prefetch_hides_a_late_input_only_when_the_unit_is_wider():
    """x arriving 300 cycles late: a unit twice the bus catches up on the words prefetched
    meanwhile; a unit as wide as the bus cannot (it takes one word per cycle at best)."""
    late = units.Stream(300, 300, 1)
    wide = [units.WeightBus(64, d, start=0).linear(late, 128, 384, 128).last for d in (16, 512)]
    assert wide[1] < wide[0] - 250  # 512 words of prefetch hide the wait, 16 do not
    narrow = [units.WeightBus(64, d, start=0).linear(units.Stream(300, 300, 2), 128, 384, 64).last for d in (16, 512)]
    assert narrow[0] == narrow[1]


def test_weight_bus_moves_on_to_the_next_matrix():
    bus = units.WeightBus(64, 256, start=0)
    bus.linear(units.source(1), 128, 384, 128)
    first = bus.next_free
    bus.linear(units.source(1, start=first), 128, 128, 128)
    assert bus.next_free >= first + 128 * 128 // 64
