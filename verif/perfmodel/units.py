"""Per-unit cycle formulas of THIS RTL: the one place they live.

Every formula below is copied from the latency/throughput paragraph of an RTL header (named in the
comment above it). The blocks' timing tests (test_timing / test_perf in verif/tests/tb_<block>.py:
gelu, layernorm, softmax, residual_add, linear) compute their expected cycles with these very
functions, so a header, this model and its test cannot disagree silently; when the RTL's timing
changes, change it here. attention_cycles is a schedule model (within a few percent, validated by
perfmodel.validate); tb_attention's test_perf records it beside the measurement.

Timing is carried as a `Stream`: the cycle of the first and of the last handshake of one vector
(the convention of verif/tbkit/perf.py and of scripts/perf_linear.py, which counts a GEMV "from
the cycle the first x beat is accepted to the cycle the last y beat is accepted, inclusive").
Every unit maps its input Stream(s) to its output Stream. Between the first and last beat a
producer is assumed to emit at an even rate; only first/last are tracked, which is exact for
the full-rate streams of a single decode step and a close bound for the rate-limited ones.

Every unit is modelled for a single vector in flight (one token in decode), with no
backpressure from its consumer: every consumer in the layer takes a beat per cycle or faster
than its producer emits them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Stream:
    """One vector on an AXI-Stream: cycles of its first and last handshake, and its beat count."""

    first: float
    last: float
    beats: int

    @classmethod
    def of(cls, measured) -> "Stream":
        """The Stream of a measured vector (tbkit.perf.VectorTiming: first, last, beats)."""
        return cls(measured.first, measured.last, measured.beats)

    @property
    def cycles(self) -> float:
        """Inclusive span, first beat to last beat."""
        return self.last - self.first + 1

    def beat_time(self, i: float) -> float:
        """Cycle of beat i (0-based), assuming an even rate between first and last."""
        if self.beats <= 1:
            return self.last
        return self.first + (self.last - self.first) * i / (self.beats - 1)


def source(beats: int, start: float = 0) -> Stream:
    """A vector sent at full rate (one beat per cycle) from cycle `start`."""
    return Stream(start, start + beats - 1, beats)


# --------------------------------------------------------------------------------------------------
# rtl/linear.sv
#   "Throughput: K*N/(Lanes*Cols) cycles per vector when weights (and, in group 0, x) arrive every cycle"
#   "Measured (...): K*N/(Lanes*Cols) + 7 cycles from the first x beat to the last y beat."
#   "Latency: last weight beat of group g -> its y beat valid on m_axis: 6 cycles (...) + 1 (output FIFO)."
#   Schedule: one step (g, j) per cycle, output-major, Cols columns per step; group 0 consumes x
#   straight from s_axis, so it cannot end before the last x beat; each group leaves as one beat of
#   Cols elements.
#   Weight stream: Lanes*Cols int8 bytes per step. A port that delivers fewer bytes per cycle
#   stretches every step (the weight-stream bound): step = max(1, Lanes*Cols*WeightBits/8 / port).
# --------------------------------------------------------------------------------------------------
LINEAR_LATENCY = 7  # last weight beat of a column -> its y beat: 6 pipeline + 1 output FIFO


def linear_step_cycles(lanes: int, weight_bits: int = 8, port_bytes_per_cycle: float = math.inf,
                       cols: int = 1) -> float:
    """Cycles per (g, j) step: 1 when the weight port keeps up, longer when it is the bound."""
    need = lanes * cols * weight_bits / 8
    return max(1.0, need / port_bytes_per_cycle)


def linear_ideal_cycles(k: int, n: int, lanes: int, cols: int = 1) -> int:
    return k * n // (lanes * cols)


def linear_cycles(k: int, n: int, lanes: int, weight_bits: int = 8, port_bytes_per_cycle: float = math.inf,
                  cols: int = 1) -> float:
    """One GEMV at full rate, first x beat -> last y beat inclusive (what perf_linear.py measures)."""
    return linear(source(k // lanes), k, n, lanes, weight_bits, port_bytes_per_cycle, cols=cols).last + 1


def check_linear_shape(k: int, n: int, lanes: int, cols: int = 1) -> None:
    if k % lanes or n % cols:
        raise ValueError(f"linear: K={k}, N={n}, Lanes={lanes}, Cols={cols}: K must be a multiple of Lanes "
                         "and N of Cols (the RTL rejects it)")


def linear(x: Stream, k: int, n: int, lanes: int, weight_bits: float = 8,
           port_bytes_per_cycle: float = math.inf, latency: int = LINEAR_LATENCY, cols: int = 1) -> Stream:
    """Output stream (N/Cols beats of Cols elements) for input x (K/Lanes beats)."""
    check_linear_shape(k, n, lanes, cols)
    kb = k // lanes
    s = linear_step_cycles(lanes, weight_bits, port_bytes_per_cycle, cols)
    group0_end = max(x.first + (kb - 1) * s, x.last)  # step (0, K/Lanes-1) needs the last x beat
    last_step = group0_end + (n // cols - 1) * kb * s
    return Stream(group0_end + latency, last_step + latency, n // cols)


# --------------------------------------------------------------------------------------------------
# rtl/weight_router.sv + rtl/weight_prefetch.sv: the Linear units of a layer share one weight bus
#   "the units take turns on it, each behind a prefetch FIFO of PrefetchWords words"
#   weight_prefetch: "Latency: 1 cycle (width converter, unless Lanes == BusBytes) + 1 (FIFO)"
# --------------------------------------------------------------------------------------------------
BUS_START = 2  # tb_decoder_layer: the token's first x beat (cycle 0) -> the bus's first word handshake


class WeightBus:
    """The shared weight bus: one word of `bus_bytes` per cycle at most, the matrices in the order
    the units consume them. `next_free` is the first cycle the bus can deliver its next word."""

    def __init__(self, bus_bytes: int, prefetch_words: int, start: float = BUS_START):
        self.bus_bytes, self.prefetch_words, self.next_free = bus_bytes, prefetch_words, start

    def linear(self, x: Stream, k: int, n: int, lanes: int, weight_bits: int = 8,
               latency: int = LINEAR_LATENCY, cols: int = 1) -> Stream:
        """linear.sv fed through this bus: the output stream, and the bus moves past its matrix.

        Word w is taken from the bus once the bus is free and the unit's FIFO has room (word
        w - depth has left it, for the step that uses its last byte); step s of the unit needs the
        word holding its last byte (plus the prefetch latency), x beat j in column 0, and follows
        step s-1 (one step per cycle). A matrix that is not a whole number of words (a projection's
        bus width; the RTL refuses it) is padded to the next word."""
        check_linear_shape(k, n, lanes, cols)
        if lanes * cols * weight_bits % 8:
            raise ValueError(f"linear: Lanes={lanes} x Cols={cols} codes of {weight_bits} bits are not whole bytes")
        b, kb, step_bytes = self.bus_bytes, k // lanes, lanes * cols * weight_bits // 8
        steps = k * n // (lanes * cols)
        words = -(-steps * step_bytes // b)
        lat = 1 + (step_bytes != b)
        # Words held between the bus and the unit: the FIFO plus the width converter's buffer.
        depth = self.prefetch_words + (0 if step_bytes == b else (b + 2 * step_bytes) // b)
        taken = [0.0] * words  # bus handshake of each word
        step = [0.0] * steps
        w = 0
        for s in range(steps):
            need = ((s + 1) * step_bytes + b - 1) // b - 1  # the word holding step s's last byte
            while w <= need:
                t = self.next_free
                if w >= depth:  # the FIFO is full until word w - depth leaves it
                    t = max(t, step[min(((w - depth + 1) * b - 1) // step_bytes, steps - 1)] + 1)
                taken[w] = t
                self.next_free = t + 1
                w += 1
            t = taken[need] + lat
            if s:
                t = max(t, step[s - 1] + 1)
            if s < kb:
                t = max(t, x.beat_time(s))
            step[s] = t
        return Stream(step[kb - 1] + latency, step[-1] + latency, n // cols)


# --------------------------------------------------------------------------------------------------
# rtl/q4_linear.sv: linear.sv's schedule with Q4_1 codes
#   "Weight-port bits per weight: 4 (code) + 40/32 (c, d) = 5.25"
#   "Latency: last code beat of row n -> y[n] on m_axis: 8 cycles"
# --------------------------------------------------------------------------------------------------
Q4_GROUP = 32
Q4_WEIGHT_BITS = 4 + 40 / Q4_GROUP  # a uint4 code plus its share of the block's int20 c and d
Q4_LINEAR_LATENCY = 8  # operands, group sums, D*sum + C*xsum, row accumulator, 3 requant, FIFO


def q4_linear_bytes(k: int, n: int) -> float:
    """Weight-port bytes of one Q4_1 matrix: codes plus block scales."""
    return k * n * Q4_WEIGHT_BITS / 8


def q4_linear(x: Stream, k: int, n: int, lanes: int, port_bytes_per_cycle: float = math.inf) -> Stream:
    if k % Q4_GROUP or k % lanes or (Q4_GROUP % lanes and lanes % Q4_GROUP):
        raise ValueError(f"q4_linear: K={k}, Lanes={lanes}: the RTL needs 32 | K, Lanes | K and Lanes | 32 or 32 | Lanes")
    return linear(x, k, n, lanes, Q4_WEIGHT_BITS, port_bytes_per_cycle, Q4_LINEAR_LATENCY)


# --------------------------------------------------------------------------------------------------
# rtl/layernorm.sv
#   "Latency (tlast accepted -> first output beat accepted, no backpressure): 103 + RqStages cycles
#    (2 stats, 32 isqrt, 63 divide, 3 + RqStages + 1 output pipeline and FIFO, 2 state changes)."
#   "the output streams at 1 beat/cycle; a vector of B = d/Lanes beats occupies the unit for
#    2B + 102 cycles (its output tail overlaps the next load)": the period does not depend on
#   RqStages (measured by tb_layernorm's test_timing at RqStages 1, 2 and 3).
# --------------------------------------------------------------------------------------------------
LN_RQ_STAGES = 3  # layernorm RqStages default


def layernorm(x: Stream, rq_stages: int = LN_RQ_STAGES) -> Stream:
    first = x.last + 103 + rq_stages
    return Stream(first, first + x.beats - 1, x.beats)


def layernorm_occupancy(beats: int, rq_stages: int = LN_RQ_STAGES) -> int:
    """Cycles between two vectors accepted back to back (rq_stages: kept for the callers; no effect)."""
    return 2 * beats + 102


# --------------------------------------------------------------------------------------------------
# rtl/softmax.sv
#   "Latency (tlast accepted -> first probability accepted, no backpressure): L + 56 cycles for a
#    row of L scores. Throughput: the output streams at 1 beat/cycle; one row of L scores occupies
#    the unit for 3L + 55 cycles (L load, L + 3 sum, 49 divide, L + 3 out)"
#   One row at a time (s_axis_tready only while a row loads): rows of successive heads serialise.
# --------------------------------------------------------------------------------------------------
def softmax(row: Stream) -> Stream:
    length = row.beats
    first = row.last + length + 56
    return Stream(first, first + length - 1, length)


def softmax_occupancy(length: int) -> int:
    return 3 * length + 55


# --------------------------------------------------------------------------------------------------
# rtl/gelu.sv   "Latency: 1 cycle (input beat accepted -> output beat valid). Throughput: 1 beat/cycle"
# --------------------------------------------------------------------------------------------------
GELU_LATENCY = 1


def gelu(x: Stream) -> Stream:
    return Stream(x.first + GELU_LATENCY, x.last + GELU_LATENCY, x.beats)


# --------------------------------------------------------------------------------------------------
# rtl/rope.sv
#   "Latency: 2 cycles (input beat -> output beat valid ...). Throughput: 1 beat per cycle; one
#   cycle per vector for its position beat."
# --------------------------------------------------------------------------------------------------
ROPE_LATENCY = 2


def rope(x: Stream) -> Stream:
    return Stream(x.first + ROPE_LATENCY, x.last + ROPE_LATENCY, x.beats)


# --------------------------------------------------------------------------------------------------
# rtl/swiglu.sv
#   "the products of a whole vector are buffered while max |p| is found, then read out through
#   the shift: a vector of B = d/Lanes beats occupies the unit for about 2B + 5 cycles"
#   Measured by its timing test: the first y beat leaves SWIGLU_LATENCY cycles after the last
#   input beat (Shift state, the registered read, the output FIFO), then 1 beat per cycle.
# --------------------------------------------------------------------------------------------------
SWIGLU_LATENCY = 4


def swiglu(x: Stream) -> Stream:
    return Stream(x.last + SWIGLU_LATENCY, x.last + SWIGLU_LATENCY + x.beats - 1, x.beats)


def swiglu_occupancy(beats: int) -> int:
    return 2 * beats + SWIGLU_LATENCY - 1


# --------------------------------------------------------------------------------------------------
# rtl/residual_add.sv
#   "Latency (beats joined -> output beat valid): 2*RqStages + 1 cycles (Shift = 0), 2 cycles
#    (Shift = 1: the add register, then the FIFO). Throughput: 1 beat/cycle"
#   Beats of a and b are joined: a beat leaves when both inputs have it.
# --------------------------------------------------------------------------------------------------
ADD_RQ_STAGES = 3


def residual_add(a: Stream, b: Stream, rq_stages: int = ADD_RQ_STAGES, shift: int = 0) -> Stream:
    lat = 2 if shift else 2 * rq_stages + 1
    beats = max(a.beats, b.beats)
    return Stream(max(a.first, b.first) + lat, max(a.last, b.last) + lat, beats)


# --------------------------------------------------------------------------------------------------
# rtl/out_stage.sv
#   "Latency: in_valid -> m_axis_tvalid: RqStages (if Requant) + 1 (FIFO) cycles. Throughput: 1 beat
#    per cycle." "The counter holds items issued but not yet taken at m_axis."
#   An item issued in cycle c (its producer's pipeline: in_valid `delay` cycles later) holds its
#   credit in cycles c+1 .. c+R, R = delay + latency (taken at m_axis in cycle c+R with no
#   backpressure). A producer offering one item per cycle is therefore granted `depth` items per
#   max(depth, R + 1) cycles: full rate iff depth >= R + 1 = delay + RqStages + 2 (Requant) or
#   delay + 2, one more than the header's "Depth >= (unit pipeline + requant + 1)" when the unit
#   pipeline is counted as `delay` (tb_out_stage's test_timing measures it, at Depth 1, 2 and more).
# --------------------------------------------------------------------------------------------------
def out_stage_latency(requant: bool, rq_stages: int) -> int:
    """in_valid -> m_axis_tvalid cycles."""
    return (rq_stages if requant else 0) + 1


def out_stage_full_rate_depth(delay: int, requant: bool, rq_stages: int) -> int:
    """The smallest Depth at which a producer with a `delay`-cycle pipeline issues every cycle."""
    return delay + out_stage_latency(requant, rq_stages) + 1


def out_stage_issue(i: int, depth: int, delay: int, requant: bool, rq_stages: int) -> int:
    """Cycle (after the first) at which the i-th of back-to-back offered items is issued."""
    period = max(depth, out_stage_full_rate_depth(delay, requant, rq_stages))
    return (i // depth) * period + i % depth


def out_stage(x: Stream, depth: int, delay: int, requant: bool, rq_stages: int) -> Stream:
    """Items offered from x.first at one per cycle (x.beats of them), no backpressure: the stream at
    m_axis (the items issued by the credit rule, each delay + latency cycles after its issue)."""
    r = delay + out_stage_latency(requant, rq_stages)
    return Stream(x.first + r, x.first + out_stage_issue(x.beats - 1, depth, delay, requant, rq_stages) + r, x.beats)


# --------------------------------------------------------------------------------------------------
# rtl/axis_pack.sv
#   "one element per input beat to Ratio elements per output beat ... Latency: 1 cycle after the
#    group's last element. Throughput: 1 input beat per cycle"
#   (joins linear's one-element-per-beat output to a unit that takes Lanes per beat)
# --------------------------------------------------------------------------------------------------
PACK_LATENCY = 1


def pack(x: Stream, ratio: int) -> Stream:
    if ratio <= 1:
        return x
    return Stream(x.beat_time(ratio - 1) + PACK_LATENCY, x.last + PACK_LATENCY, math.ceil(x.beats / ratio))


# --------------------------------------------------------------------------------------------------
# rtl/attention.sv (header, "Datapaths" and "Schedule of one token"), per token, L = pos + 1,
# HeadDim = D/Heads, Groups = HeadDim/Macs, cycles counted from the last QKV beat:
#   - q.K, head after head: L*HeadDim/Macs cycles per head (one K word per cycle); each score goes
#     through requant into a 16-entry FIFO to softmax unit h % SoftmaxUnits; the q.K engine waits
#     while that unit is still busy with an earlier row (credit-counted FIFO);
#   - softmax.sv per row: a unit accepts a row once its previous row left, loads it at the score
#     rate, first p L + 56 after the row's last score, L outputs at 1/cycle, occupancy 3L + 55;
#   - p.V, head after head: Groups groups of L cycles; group 0 takes p straight from the softmax
#     output; head h's p.V overlaps head h+1's q.K and softmax;
#   - every finished group's Macs accumulators drain one element per cycle through requant and
#     axis_pack (so at small pos the D-element drain bounds the token: "about D + 100").
# ATTN_QK_LAT / ATTN_PV_LAT / ATTN_OUT_LAT / ATTN_GROUP_GAP are pipeline depths the header does not
# itemise (it gives "+ 100" and the measured rows): they were set from two rows measured by
# scripts/perf_attention.py (pos 0 with Macs 64 / 4 softmax units, and Macs 16 / 2 units, which
# fixes the per-group gap); the other ten measured rows validate them (perfmodel.validate).
# --------------------------------------------------------------------------------------------------
ATTN_QK_LAT = 8  # K word read -> its score in the softmax unit (read, MAC tree, requant, FIFO)
ATTN_PV_LAT = 0  # extra cycles of a p.V group beyond its L (its pipeline depth is counted in ATTN_OUT_LAT)
ATTN_GROUP_GAP = 3  # cycles between two groups' drains (accumulators -> shadow register hand-over)
ATTN_OUT_LAT = 8  # last accumulator in the shadow register -> last output beat (requant, FIFO, pack)


def attention_cycles(d: int, heads: int, length: int, macs: int, softmax_units: int = 2) -> dict:
    """Last QKV beat -> last output beat, for one token whose cache holds `length` keys."""
    hd = d // heads
    groups = max(1, hd // macs)
    t_qk = length * hd / macs
    free = [0.0] * max(1, softmax_units)  # when each softmax unit can take a new row
    qk_free = 0.0  # when the q.K engine can start the next head
    pv_free = 0.0  # when the p.V engine can start the next head
    drain_free = 0.0  # when the output drain can take the next group
    for h in range(heads):
        u = h % len(free)
        start = max(qk_free, free[u] - ATTN_QK_LAT)  # scores queue in front of a busy unit
        load_start = start + ATTN_QK_LAT
        qk_end = max(start + t_qk, load_start + length - 1 - ATTN_QK_LAT)
        tlast = qk_end + ATTN_QK_LAT
        sm_first = tlast + length + 56
        free[u] = sm_first + length  # the row's last probability has left
        qk_free = qk_end
        g0_end = max(pv_free, sm_first) + max(length, 1) + ATTN_PV_LAT
        for g in range(groups):
            end = g0_end + g * length
            drain_free = max(drain_free, end) + min(macs, hd) + ATTN_GROUP_GAP
        pv_free = g0_end - ATTN_PV_LAT + (groups - 1) * length
    return {"cycles": drain_free + ATTN_OUT_LAT, "qk_per_head": t_qk, "softmax_occupancy": softmax_occupancy(length)}


def attention(start: float, heads: int, d_head: int, length: int, lanes: int, softmax_units: int = 2,
              out_lanes: int = 1) -> Stream:
    """Output: D = heads*d_head elements; `start` is the cycle after the last QKV beat."""
    d = heads * d_head
    last = start + attention_cycles(d, heads, length, lanes, softmax_units)["cycles"] - 1
    beats = d // out_lanes
    return Stream(last - beats + 1, last, beats)  # the last head's group finishes it


# --------------------------------------------------------------------------------------------------
# rtl/attention_slices.sv: Slices attention.sv units, each for Heads/Slices heads
#   "The QKV vector [q | k | v] is dealt out as it arrives ... each slice's vector ends (tlast) with
#    its v segment"; "Latency: the per-slice attention, plus 1 (output FIFO) and the concatenation:
#    the slices' outputs leave in head order through one FIFO per slice that holds a whole slice
#    vector ... then, if OutLanes exceeds a slice's D/Slices, an axis_pack joins ..."
# --------------------------------------------------------------------------------------------------
SLICE_FIFO_LATENCY = 1


def attention_slices(qkv: Stream, heads: int, d_head: int, length: int, macs: int, softmax_units: int = 2,
                     out_lanes: int = 1, slices: int = 1, kv_heads: int | None = None) -> Stream:
    """Output stream for the QKV input stream `qkv` ([q | k | v]: D + 2*KvD elements in qkv.beats)."""
    if slices == 1:
        return attention(qkv.last + 1, heads, d_head, length, macs, softmax_units, out_lanes)
    d = heads * d_head
    sd = d // slices
    slice_out = min(out_lanes, sd)
    kv_d = (kv_heads or heads) * d_head
    lanes = (d + 2 * kv_d) // qkv.beats
    kv_seg = kv_d // slices // lanes  # beats of one slice's k (and v) segment
    emit, first = -math.inf, None
    for s in range(slices):
        last_in = qkv.beat_time(qkv.beats - (slices - 1 - s) * kv_seg - 1)  # the end of its v segment
        o = attention(last_in + 1, heads // slices, d_head, length, macs, softmax_units, slice_out)
        for i in range(o.beats):  # in head order, each beat once it has left its slice's FIFO
            emit = max(emit + 1, o.beat_time(i) + SLICE_FIFO_LATENCY)
            first = emit if first is None else first
    cat = Stream(first, emit, d // slice_out)
    return pack(cat, out_lanes // slice_out) if out_lanes > slice_out else cat
