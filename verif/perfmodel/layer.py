"""The decoder layer: the units of verif/perfmodel/units.py composed as in rtl/decoder_layer.sv.

    x -> LN1 -> QKV -> [sync] attention -> O -> add1 -> LN2 -> FC1 -> GELU -> FIFO -> FC2 -> add2 -> x'
    x -> residual FIFO -> add1;   add1 output -> residual FIFO -> add2

With `bus_bytes` set (the RTL since issue 13), the four Linears share one weight bus
(units.WeightBus, replayed word by word: QKV's matrix, then O's, FC1's, FC2's, each unit behind a
prefetch FIFO of `prefetch_words`); LN/add streams carry lanes["ln"] elements per beat.
  - Every Linear consumes its x stream in column 0 while the producer is still emitting it.
  - QKV is the synchronisation point: attention starts when QKV's last output has left.
  - FC2 takes x from its input FIFO once its first weight words arrive, after FC1's.
Without `bus_bytes`: the layer before the shared bus (one weight port per Linear at port_gbps;
`ffn_order="input_major"` models an FC2 that accumulates as FC1 produces); no RTL build has that
structure any more.

Cycles per token per layer = first x beat in -> last x' beat out, inclusive (the same convention
as perf_linear.py). Layers run one after another on the one layer's hardware, so a token costs
n_layers times that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from . import units
from .units import Stream

LINEARS = ("qkv", "o", "fc1", "fc2")
RTL_NAME = {"qkv": "Qkv", "o": "O", "fc1": "Fc1", "fc2": "Fc2"}  # decoder_layer.sv's Lanes<U>, Cols<U>
UNITS = LINEARS + ("attn",)


@dataclass(frozen=True)
class LayerConfig:
    d: int = 128
    heads: int = 4
    d_ffn: int = 512
    layers: int = 2
    pos: int = 0  # position of the token being decoded; attention covers pos+1 keys
    # MACs/cycle per unit; "attn" = attention.sv Macs; "ln" = elements per beat of LN/GELU/add
    # (decoder_layer.sv: 1)
    lanes: dict = field(default_factory=lambda: {"qkv": 16, "o": 16, "fc1": 16, "fc2": 16, "attn": 16, "ln": 1})
    softmax_units: int = 2  # attention.sv SoftmaxUnits (per slice)
    attn_slices: int = 1  # attention_slices.sv Slices: attention units side by side, Heads/Slices heads each
    # output columns per step of each Linear (linear.sv Cols; absent = 1): a Linear computes
    # lanes x cols MACs per cycle and takes lanes x cols weight bytes per step
    cols: dict = field(default_factory=dict)
    weight_bits: int = 8
    clock_hz: float = 250e6  # ASSUMED clock: every projection states it
    port_gbps: float = math.inf  # memory bandwidth per weight port (GB/s, 1e9 bytes/s); inf = unbounded
    ffn_order: str = "output_major"  # FC2 weight order: "output_major" (this RTL) or "input_major"
    # decoder_layer.sv's shared weight bus (WeightBusBytes, PrefetchWords); None = one port per
    # Linear at port_gbps each (the layer before the shared bus; the projection's model)
    bus_bytes: int | None = None
    prefetch_words: int = 256

    @property
    def d_head(self) -> int:
        return self.d // self.heads

    @property
    def length(self) -> int:
        return self.pos + 1

    @property
    def port_bytes_per_cycle(self) -> float:
        return self.port_gbps * 1e9 / self.clock_hz

    def lane(self, unit: str) -> int:
        return int(self.lanes[unit])

    def col(self, unit: str) -> int:
        return int(self.cols.get(unit, 1))

    def with_lanes(self, **lanes) -> "LayerConfig":
        return replace(self, lanes={**self.lanes, **lanes})

    def describe(self) -> str:
        ln = "/".join(f"{u}{self.lanes[u]}" + (f"x{self.col(u)}" if self.col(u) > 1 else "")
                      for u in UNITS if u in self.lanes)
        bus = f" bus{self.bus_bytes}B pf{self.prefetch_words}" if self.bus_bytes else ""
        sl = f" slices{self.attn_slices}" if self.attn_slices > 1 else ""
        return f"d{self.d} h{self.heads} ffn{self.d_ffn} pos{self.pos} lanes[{ln}] sm{self.softmax_units}{sl}{bus}"


def layer_config_from_rtl(params: dict, pos: int) -> LayerConfig:
    """decoder_layer.sv parameters (its defaults where absent) -> LayerConfig (LN/add at ResidLanes
    elements per beat)."""
    lanes = {u: params.get(f"Lanes{n}", 128) for u, n in RTL_NAME.items()}
    lanes.update(attn=params.get("AttnMacs", 16), ln=params.get("ResidLanes", 16))
    cols = {u: params[f"Cols{n}"] for u, n in RTL_NAME.items() if params.get(f"Cols{n}", 1) != 1}
    return LayerConfig(d=params.get("D", 128), heads=params.get("Heads", 4), d_ffn=params.get("DFfn", 512),
                       layers=params.get("NumLayers", 1), pos=pos, lanes=lanes, cols=cols,
                       softmax_units=params.get("SoftmaxUnits", 2), attn_slices=params.get("AttnSlices", 1),
                       bus_bytes=params.get("WeightBusBytes", 64), prefetch_words=params.get("PrefetchWords", 256))


# Shapes of the four Linear units: (K, N)
def linear_shapes(cfg: LayerConfig) -> dict:
    d, f = cfg.d, cfg.d_ffn
    return {"qkv": (d, 3 * d), "o": (d, d), "fc1": (d, f), "fc2": (f, d)}


def macs_per_token(cfg: LayerConfig) -> dict:
    """docs/architecture.md §2's analytical model: QKV 3d^2, O d^2, FC1 and FC2 d*d_FFN, q.K^T and .V (l+1)*d each."""
    m = {u: k * n for u, (k, n) in linear_shapes(cfg).items()}
    m["attn"] = 2 * cfg.length * cfg.d
    return m


def weight_bytes_per_layer(cfg: LayerConfig) -> float:
    return sum(k * n for k, n in linear_shapes(cfg).values()) * cfg.weight_bits / 8


@dataclass
class LayerTiming:
    cfg: LayerConfig
    cycles: float  # first x beat -> last x' beat, inclusive
    stages: dict  # stage name -> output Stream
    contributions: dict  # stage name -> cycles this stage adds to the critical path
    bound: str  # "compute", "memory", "attention" (or "latency" when the fixed latencies dominate)
    shares: dict  # class -> cycles on the critical path

    @property
    def tokens_per_s(self) -> float:
        return self.cfg.clock_hz / (self.cycles * self.cfg.layers)


def _linear_class(cfg: LayerConfig, unit: str) -> str:
    bw = cfg.bus_bytes if cfg.bus_bytes else cfg.port_bytes_per_cycle
    s = units.linear_step_cycles(cfg.lane(unit), cfg.weight_bits, bw, cfg.col(unit))
    return "memory" if s > 1.0 else "compute"


def layer_timing(cfg: LayerConfig) -> LayerTiming:
    """Predicted cycles for one token through one layer, with the critical-path breakdown."""
    if cfg.d % cfg.heads:
        raise ValueError(f"d={cfg.d} is not a multiple of heads={cfg.heads}")
    shapes = linear_shapes(cfg)
    wb, bw = cfg.weight_bits, cfg.port_bytes_per_cycle
    ln_lanes = cfg.lane("ln")
    st: dict[str, Stream] = {}

    bus = units.WeightBus(cfg.bus_bytes, cfg.prefetch_words) if cfg.bus_bytes else None

    def lin(name: str, x: Stream) -> Stream:
        k, n = shapes[name]
        lanes, cols = cfg.lane(name), cfg.col(name)
        x = units.pack(x, lanes) if x.beats == k else x  # 1-element beats
        return bus.linear(x, k, n, lanes, wb, cols=cols) if bus else units.linear(x, k, n, lanes, wb, bw, cols=cols)

    x = units.source(cfg.d // ln_lanes)
    st["ln1"] = units.layernorm(x)
    st["qkv"] = lin("qkv", units.pack(st["ln1"], cfg.lane("qkv") // ln_lanes))
    st["attn"] = units.attention_slices(st["qkv"], cfg.heads, cfg.d_head, cfg.length, cfg.lane("attn"),
                                        cfg.softmax_units, cfg.lane("o"), cfg.attn_slices)
    st["o"] = lin("o", st["attn"])
    st["add1"] = units.residual_add(x, units.pack(st["o"], ln_lanes // cfg.col("o")))
    st["ln2"] = units.layernorm(st["add1"])
    st["fc1"] = lin("fc1", units.pack(st["ln2"], cfg.lane("fc1") // ln_lanes))
    st["gelu"] = units.gelu(st["fc1"])
    if bus:  # FC2's input FIFO (decoder_layer.sv u_fc2_x): one cycle, first word fall-through
        g = units.pack(st["gelu"], cfg.lane("fc2") // cfg.col("fc1"))
        st["fc2"] = lin("fc2", Stream(g.first + 1, g.last + 1, g.beats))
    elif cfg.ffn_order == "output_major":
        st["fc2"] = lin("fc2", st["gelu"])
    elif cfg.ffn_order == "input_major":
        # NOT in linear.sv (see its header): FC2 accumulates x[k] as it arrives, Lanes columns per
        # cycle (N/Lanes cycles per input element), then drains N outputs.
        k, n = shapes["fc2"]
        per_elem = math.ceil(n / cfg.lane("fc2")) * units.linear_step_cycles(cfg.lane("fc2"), wb, bw)
        end = max(st["gelu"].first + k * per_elem, st["gelu"].last + per_elem)
        st["fc2"] = Stream(end + units.LINEAR_LATENCY, end + units.LINEAR_LATENCY + n - 1, n)
    else:
        raise ValueError(f"ffn_order must be output_major or input_major, got {cfg.ffn_order!r}")
    st["add2"] = units.residual_add(st["add1"], units.pack(st["fc2"], ln_lanes // cfg.col("fc2")))
    cycles = st["add2"].last + 1

    # Critical path: each stage's output end minus its input's end (how much later it makes the chain).
    order = [("ln1", None), ("qkv", "ln1"), ("attn", "qkv"), ("o", "attn"), ("add1", "o"), ("ln2", "add1"),
             ("fc1", "ln2"), ("gelu", "fc1"), ("fc2", "gelu"), ("add2", "fc2")]
    contrib = {}
    for name, prev in order:
        contrib[name] = st[name].last - (st[prev].last if prev else -1)
    cls = {"qkv": _linear_class(cfg, "qkv"), "o": _linear_class(cfg, "o"), "fc1": _linear_class(cfg, "fc1"),
           "fc2": _linear_class(cfg, "fc2"), "attn": "attention"}
    shares: dict[str, float] = {"compute": 0.0, "memory": 0.0, "attention": 0.0, "latency": 0.0}
    for name, c in contrib.items():
        shares[cls.get(name, "latency")] += c
    bound = max(shares, key=shares.get)
    return LayerTiming(cfg, cycles, st, contrib, bound, shares)


def layer_cycles(cfg: LayerConfig) -> float:
    return layer_timing(cfg).cycles


def paper_t_decode_cycles(cfg: LayerConfig, layers_per_device: int = 1) -> float:
    """the seed paper's model, docs/architecture.md §2, per token for the whole model, in cycles:
        (N/C) * [d^2/M_k + C * max(d^2/M_k, (l+1)*d/M_a, d*d_FFN/M_f, T_mem)]
    a steady-state bound for a pipeline of C layers; M_k = QKV lanes, M_f = min(FC1, FC2) lanes.
    The RTL, one token through one layer at a time, follows layer_timing() instead."""
    d, f, n = cfg.d, cfg.d_ffn, cfg.layers
    mk, ma, mf = cfg.lane("qkv"), cfg.lane("attn"), min(cfg.lane("fc1"), cfg.lane("fc2"))
    t_mem = weight_bytes_per_layer(cfg) / (4 * cfg.port_bytes_per_cycle)  # four weight ports
    c = layers_per_device
    return (n / c) * (d * d / mk + c * max(d * d / mk, cfg.length * d / ma, d * f / mf, t_mem))


def roofline_tokens_per_s(weight_bytes_per_token: float, hbm_gbps: float) -> float:
    """Decode with every weight read once per token: tokens/s <= bandwidth / weight bytes."""
    return hbm_gbps * 1e9 / weight_bytes_per_token


# ------------------------------------------------------------------------------------------------
# Balanced lanes for a MAC budget and a bandwidth per weight port
# ------------------------------------------------------------------------------------------------
def _legal(cfg: LayerConfig, unit: str, lanes: int) -> bool:
    if unit == "attn":  # attention.sv: Macs divides HeadDim (one K word per cycle)
        return lanes <= cfg.d_head and cfg.d_head % lanes == 0
    k, _ = linear_shapes(cfg)[unit]
    return k % lanes == 0


def balance_lanes(cfg: LayerConfig, mac_budget: int, units_: tuple = UNITS) -> tuple[dict, LayerTiming]:
    """Lanes (powers of two) per unit with sum <= mac_budget that minimise layer cycles.

    The layer's cycles are, to within the small overlaps, a sum of one term per unit (the chain of
    docs/architecture.md §2), so: (1) price every unit at every legal power of two with the others held at
    a reference allocation; (2) a knapsack over the budget picks the cheapest combination of those
    prices (exact for a separable sum); (3) starting from it, move lanes between pairs of units
    (halve one, double another, or just double one) while the real model improves. Lanes a weight
    port cannot feed (Lanes*WeightBits/8 > port bytes/cycle) save nothing, so they are not bought.
    """
    base = dict(cfg.lanes)
    if len(units_) > mac_budget:
        raise ValueError(f"a budget of {mac_budget} MACs/cycle cannot give {len(units_)} units one lane each")

    def timing(ls):
        return layer_timing(replace(cfg, lanes={**base, **ls}))

    choices = {u: [v for v in (2 ** i for i in range(mac_budget.bit_length())) if v <= mac_budget and _legal(cfg, u, v)]
               for u in units_}
    ref = {u: 1 for u in units_}
    for _ in range(2):  # price around the reference, then around the first answer
        price = {u: {v: timing({**ref, u: v}).cycles for v in choices[u]} for u in units_}
        states = {0: (0.0, {})}  # lanes used -> (summed price, allocation)
        for u in units_:
            nxt = {}
            for used, (cost, alloc) in states.items():
                for v in choices[u]:
                    if used + v > mac_budget:
                        break
                    c = cost + price[u][v]
                    if used + v not in nxt or c < nxt[used + v][0] - 1e-9:
                        nxt[used + v] = (c, {**alloc, u: v})
            states = nxt
        ref = min(states.values(), key=lambda cv: (cv[0], sum(cv[1].values())))[1]
    lanes, cur = ref, timing(ref).cycles
    improved = True
    while improved:
        improved = False
        moves = [{**lanes, b: lanes[b] * 2} for b in units_]
        moves += [{**lanes, a: lanes[a] // 2, b: lanes[b] * 2} for a in units_ for b in units_ if a != b and lanes[a] > 1]
        for trial in moves:
            if sum(trial.values()) > mac_budget or any(not _legal(cfg, u, v) for u, v in trial.items()):
                continue
            c = timing(trial).cycles
            if c < cur - 1e-9:
                lanes, cur, improved = trial, c, True
    # Give back lanes that buy less than 0.1% (e.g. past a weight port's bandwidth, where only a few
    # cycles of pipeline overlap change).
    for u in units_:
        while lanes[u] > 1:
            trial = {**lanes, u: lanes[u] // 2}
            c = timing(trial).cycles
            if c > cur * 1.001:
                break
            lanes, cur = trial, c
    return lanes, timing(lanes)
