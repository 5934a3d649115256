"""Per-unit cycle formulas of THIS RTL: the one place they live.

Every formula below is copied from the latency/throughput paragraph of an RTL header (named in the
comment above it) and is checked by that block's own timing test (test_perf / test_timing) in the
regression, so when a header changes, change it here too.

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
#   "Throughput: K*N/Lanes cycles per vector when weights (and, in column 0, x) arrive every cycle"
#   "Measured (scripts/perf_linear.py): K*N/Lanes + 7 cycles from the first x beat to the last y beat."
#   "Latency: last weight beat of column n -> y[n] valid on m_axis: 6 cycles (...) + 1 (output FIFO)."
#   Schedule: one step (n, j) per cycle, output-major; column 0 consumes x straight from s_axis, so
#   column 0 cannot end before the last x beat; y[n] leaves one element per beat.
#   Weight stream: Lanes int8 bytes per step. A port that delivers fewer bytes per cycle stretches
#   every step (the weight-stream bound): step = max(1, Lanes*WeightBits/8 / port_bytes_per_cycle).
# --------------------------------------------------------------------------------------------------
LINEAR_LATENCY = 7  # last weight beat of a column -> its y beat: 6 pipeline + 1 output FIFO


def linear_step_cycles(lanes: int, weight_bits: int = 8, port_bytes_per_cycle: float = math.inf) -> float:
    """Cycles per (n, j) step: 1 when the weight port keeps up, longer when it is the bound."""
    need = lanes * weight_bits / 8
    return max(1.0, need / port_bytes_per_cycle)


def linear_ideal_cycles(k: int, n: int, lanes: int) -> int:
    return k * n // lanes


def linear_cycles(k: int, n: int, lanes: int, weight_bits: int = 8, port_bytes_per_cycle: float = math.inf) -> float:
    """One GEMV at full rate, first x beat -> last y beat inclusive (what perf_linear.py measures)."""
    return linear(source(k // lanes), k, n, lanes, weight_bits, port_bytes_per_cycle).last + 1


def linear(x: Stream, k: int, n: int, lanes: int, weight_bits: int = 8,
           port_bytes_per_cycle: float = math.inf) -> Stream:
    """Output stream (N beats of one element) for input x (K/Lanes beats)."""
    if k % lanes:
        raise ValueError(f"linear: K={k} is not a multiple of Lanes={lanes} (the RTL rejects it)")
    kb = k // lanes
    s = linear_step_cycles(lanes, weight_bits, port_bytes_per_cycle)
    col0_end = max(x.first + (kb - 1) * s, x.last)  # step (0, K/Lanes-1) needs the last x beat
    last_step = col0_end + (n - 1) * kb * s
    return Stream(col0_end + LINEAR_LATENCY, last_step + LINEAR_LATENCY, n)


# --------------------------------------------------------------------------------------------------
# rtl/layernorm.sv
#   "Latency (tlast accepted -> first output beat accepted, no backpressure): 100 + RqStages cycles."
#   "the output streams at 1 beat/cycle; a vector of B = d/Lanes beats occupies the unit for
#    2B + 99 + RqStages cycles"   (B load + 2 stats + 31 isqrt + 62 divide + ... + B out)
# --------------------------------------------------------------------------------------------------
LN_RQ_STAGES = 3  # layernorm RqStages default


def layernorm(x: Stream, rq_stages: int = LN_RQ_STAGES) -> Stream:
    first = x.last + 100 + rq_stages
    return Stream(first, first + x.beats - 1, x.beats)


def layernorm_occupancy(beats: int, rq_stages: int = LN_RQ_STAGES) -> int:
    return 2 * beats + 99 + rq_stages


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
# rtl/residual_add.sv
#   "Latency: 2*RqStages + 1 cycles (beats joined -> output beat valid). Throughput: 1 beat/cycle"
#   Beats of a and b are joined: a beat leaves when both inputs have it.
# --------------------------------------------------------------------------------------------------
ADD_RQ_STAGES = 3


def residual_add(a: Stream, b: Stream, rq_stages: int = ADD_RQ_STAGES) -> Stream:
    lat = 2 * rq_stages + 1
    beats = max(a.beats, b.beats)
    return Stream(max(a.first, b.first) + lat, max(a.last, b.last) + lat, beats)


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
# rtl/attention.sv -- PROVISIONAL: the unit is being written; replace this with its header.
#   Assumed here (design.md §2/§7): per head h, scores q_h . K^T over L = pos+1 cached keys at
#   Lanes MACs/cycle (L*dh/Lanes cycles), then one softmax row (rtl/softmax.sv, above), then
#   p . V at Lanes MACs/cycle (L*dh/Lanes cycles); heads go one after another through the three
#   stages, pipelined (head h+1's scores overlap head h's softmax), with a fixed latency
#   ATTN_STAGE_LATENCY per stage. KV cache on chip (no weight-port traffic).
# --------------------------------------------------------------------------------------------------
ATTN_STAGE_LATENCY = 8  # PROVISIONAL, per dot-product stage


def attention_stage_cycles(length: int, d_head: int, lanes: int) -> dict:
    dot = math.ceil(length * d_head / lanes)
    return {"scores": dot, "softmax": softmax_occupancy(length), "pv": dot}


def attention(start: float, heads: int, d_head: int, length: int, lanes: int) -> Stream:
    """Output: the d = heads*d_head context vector, one element per beat (like linear)."""
    st = attention_stage_cycles(length, d_head, lanes)
    # one head through the three stages: scores, softmax (input tlast -> last p), p.V
    one_head = (st["scores"] + ATTN_STAGE_LATENCY) + (length + 56 + length) + (st["pv"] + ATTN_STAGE_LATENCY)
    bottleneck = max(st.values())
    last = start + one_head + (heads - 1) * bottleneck
    d = heads * d_head
    return Stream(last - d + 1, last, d)  # conservative: context emitted at the end, 1 element/cycle
