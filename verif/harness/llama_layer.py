"""Python side of the Llama decoder-layer harness (verif/sv/tb_llama_layer.sv).

Shared by the layer's pyuvm testbench and by `make run MODEL=smollm2`: it turns an integer Llama
parameter set (models.llama_quant's format, docs/numerics.md) into the harness memory files.
The harness's control pins are those of tb_decoder_layer.sv (harness.decoder_layer's
LayerHarness and pos_beat), plus the self-drive pins that LlamaHarness.decode_token uses.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from cocotb.triggers import RisingEdge, with_timeout

from models import llama_ops
from tbkit import memh
from tbkit.runner import sources
from tbkit.words import word

from .decoder_layer import LayerHarness, pos_beat

SOURCES = sources("tb_llama_layer")
TOP = "tb_llama_layer"

UNITS = ("qkv", "o", "gateup", "down")  # the Linear units, in their order on the weight bus
BLOCK_BYTES = 21  # one Q4_1 block on the bus: 16 bytes of codes, then a 5-byte sllm_pkg::q4_group_t
GROUP = llama_ops.Q4_GROUP
SIG_ENTRIES = 257
# The parameter file's name of every field of sllm_pkg::llama_cfg_t (the mem8 word).
LLAMA_CFG_NAMES = {
    "attn_norm_eps_v": "attn_norm.eps_v", "ffn_norm_eps_v": "ffn_norm.eps_v",
    "add1_shift": "add1.a_shift", "add2_shift": "add2.a_shift",
    **{f"attn.{s}.pre": f"attn.{s}_pre" for s in ("score", "out")},
    **{f"attn.{s}.scale.{k}": f"attn.{s}_{k}" for s in ("score", "out") for k in ("mult", "shift")},
}


def rtl_parameters(cfg: dict, lanes: int = 192, bus_bytes: int = 84, num_layers: int | None = None,
                   max_seq: int | None = None, prefetch_words: int = 256, resid_lanes: int = 16,
                   attn_macs: int | None = None) -> dict:
    """The harness parameters for a Llama config: `lanes` codes per cycle in every Q4_1 Linear (a
    multiple of 32 dividing d_model and d_ffn), a weight bus of bus_bytes per cycle shared by them,
    prefetch_words bus words of FIFO in front of each, resid_lanes elements per beat of the
    residual stream (RMSNorms, adds), max_seq KV-cache rows (default: the parameter file's)."""
    d, heads, kv_heads, f = cfg["d_model"], cfg["n_head"], cfg["n_kv_head"], cfg["d_ffn"]
    head_dim = cfg["head_dim"]
    if heads * head_dim != d:
        raise ValueError(f"the RTL layer needs n_head * head_dim = d_model ({heads} * {head_dim} != {d})")
    max_seq = int(max_seq or cfg["max_seq"])
    if not 1 <= max_seq <= cfg["max_seq"]:
        raise ValueError(f"max_seq={max_seq} outside [1, {cfg['max_seq']}] (the parameter file's RoPE table)")
    if lanes % GROUP or d % lanes or f % lanes:
        raise ValueError(f"lanes={lanes} must be a multiple of {GROUP} dividing d_model={d} and d_ffn={f}")
    if d % resid_lanes or lanes % resid_lanes or resid_lanes & (resid_lanes - 1):
        raise ValueError(f"resid_lanes={resid_lanes} must be a power of two dividing d_model={d} and lanes={lanes}")
    params = dict(
        D=d, Heads=heads, KvHeads=kv_heads, DFfn=f, MaxSeq=max_seq, NumLayers=num_layers or cfg["n_layer"],
        ResidLanes=resid_lanes, WeightBusBytes=bus_bytes, PrefetchWords=prefetch_words,
        LanesQkv=lanes, LanesO=lanes, LanesGateUp=lanes, LanesDown=lanes,
        AttnMacs=attn_macs or min(lanes, head_dim), SoftmaxUnits=min(heads, 4),
    )
    for unit, (k, n) in matrix_shapes(params).items():
        if k * n // GROUP * BLOCK_BYTES % bus_bytes:
            raise ValueError(f"the {unit} matrix ({n} rows of {k // GROUP} {BLOCK_BYTES}-byte blocks) is not a "
                             f"whole number of {bus_bytes}-byte bus words")
    return params


def matrix_shapes(rtl: dict) -> dict:
    """(K, N) of each Q4_1 Linear, in the order their matrices follow each other on the weight bus."""
    d, f = rtl["D"], rtl["DFfn"]
    kvd = rtl["KvHeads"] * d // rtl["Heads"]
    return {"qkv": (d, d + 2 * kvd), "o": (d, d), "gateup": (d, 2 * f), "down": (f, d)}


def bus_words_per_layer(rtl: dict) -> int:
    return sum(k * n // GROUP * BLOCK_BYTES for k, n in matrix_shapes(rtl).values()) // rtl["WeightBusBytes"]


def unit_rows(p: dict, unit: str, key: str) -> np.ndarray:
    """A Linear unit's per-row array `key` (codes, D, C, pre, mult, shift) in the unit's row order:
    QKV is q, k, v back to back; gate/up interleaves gate row n and up row n."""
    if unit == "qkv":
        return np.concatenate([np.asarray(p[f"{n}.{key}"]) for n in ("q", "k", "v")])
    if unit == "gateup":
        g, u = np.asarray(p[f"gate.{key}"]), np.asarray(p[f"up.{key}"])
        return np.stack([g, u], axis=1).reshape((2 * g.shape[0],) + g.shape[1:])
    return np.asarray(p[f"{unit}.{key}"])


def q4_blocks(codes, D, C) -> np.ndarray:
    """Q4_1 rows as the bus carries them: uint8 [N, K/32, 21], per block 16 bytes of codes (code i
    in nibble i: bits 4i+3..4i) then sllm_pkg::q4_group_t {c, d} (int20 each), least significant
    byte first."""
    codes = np.asarray(codes, np.uint8)
    n, k = codes.shape
    nib = codes.reshape(n, k // GROUP, GROUP // 2, 2)
    code_bytes = nib[..., 0] | (nib[..., 1] << 4)
    g = word("q4_group_t")
    c_f, d_f = g.field("c"), g.field("d")
    mask = (1 << 20) - 1
    val = ((np.asarray(C, np.int64) & mask) << c_f.offset) | ((np.asarray(D, np.int64) & mask) << d_f.offset)
    group_bytes = (val[..., None] >> (8 * np.arange(5))) & 0xFF
    return np.concatenate([code_bytes, group_bytes.astype(np.uint8)], axis=-1)


def weight_bus_lines(layer: dict, bus_bytes: int) -> list[str]:
    """One layer's weights as weight-bus words (mem0): each unit's Q4_1 blocks in output-major order,
    cut into bus words; the bit above each word is tlast, set on each matrix's last word."""
    lines = []
    for unit in UNITS:
        blocks = q4_blocks(unit_rows(layer, unit, "codes"), unit_rows(layer, unit, "D"), unit_rows(layer, unit, "C"))
        words = memh.lanes_to_lines(blocks.reshape(-1, bus_bytes), bus_bytes)
        lines += ["0" + w for w in words[:-1]] + ["1" + words[-1]]
    return lines


def row_param_lines(layer: dict, unit: str) -> list[str]:
    return memh.struct_lines("rq_wide_t", {"pre": unit_rows(layer, unit, "pre"),
                                           "scale.mult": unit_rows(layer, unit, "mult"),
                                           "scale.shift": unit_rows(layer, unit, "shift")})


def norm_lines(layer: dict, norm: str) -> list[str]:
    g = layer[f"{norm}.g_mult"]
    return memh.layernorm_param_lines(g, layer[f"{norm}.g_shift"], layer[f"{norm}.g_neg"], np.zeros(len(g), np.int64))


def layer_cfg_line(p: dict) -> str:
    """A layer's scalars as one sllm_pkg::llama_cfg_t line."""
    for add in ("add1", "add2"):
        if not 0 <= int(p[f"{add}.a_shift"]) < 32:
            raise ValueError(f"{add}.a_shift={int(p[f'{add}.a_shift'])} outside the RTL's 5-bit field [0, 31]")
    return word("llama_cfg_t").hex({field: np.asarray(p[name]) for field, name in LLAMA_CFG_NAMES.items()})


def rope_lines(p: dict, max_seq: int) -> list[str]:
    """The RoPE table for positions 0..max_seq-1: entry pos * head_dim/2 + i (rope.sv)."""
    return memh.struct_lines("rope_entry_t", {"cos": np.asarray(p["rope.cos"])[:max_seq],
                                              "sin": np.asarray(p["rope.sin"])[:max_seq]})


def write_memfiles(layers: list[dict], rtl: dict, directory: Path) -> None:
    """Every layer's parameters (llama_quant.layer_view dicts plus rope.cos/sin) as mem0..mem9."""
    if len(layers) != rtl["NumLayers"]:
        raise ValueError(f"{len(layers)} layers of parameters for a harness holding NumLayers={rtl['NumLayers']}")
    directory = Path(directory)
    memh.write_memh(directory / "mem0.memh", [l for p in layers for l in weight_bus_lines(p, rtl["WeightBusBytes"])])
    for i, unit in enumerate(UNITS):
        memh.write_memh(directory / f"mem{i + 1}.memh", [l for p in layers for l in row_param_lines(p, unit)])
    for mem, norm in ((5, "attn_norm"), (6, "ffn_norm")):
        memh.write_memh(directory / f"mem{mem}.memh", [l for p in layers for l in norm_lines(p, norm)])
    sig = []
    for p in layers:
        t = np.asarray(p["swiglu.sig_table"])
        if t.shape != (SIG_ENTRIES,):
            raise ValueError(f"swiglu.sig_table has {t.shape} entries; the RTL table holds {SIG_ENTRIES}")
        sig += [f"{int(v) & 0xFFFF:04x}" for v in t]
    memh.write_memh(directory / "mem7.memh", sig)
    memh.write_memh(directory / "mem8.memh", [layer_cfg_line(p) for p in layers])
    memh.write_memh(directory / "mem9.memh", rope_lines(layers[0], rtl["MaxSeq"]))


RESID_BYTES = 3  # an int24 element of x / x' on the harness's drive_x / drive_y


def pack_vector(x) -> int:
    """An int24 vector as the integer value of drive_x (element i in bits 24i+23..24i)."""
    b = (np.asarray(x, np.int64) & 0xFFFFFF).astype("<u4").view(np.uint8).reshape(-1, 4)[:, :RESID_BYTES]
    return int.from_bytes(b.tobytes(), "little")


def unpack_vector(value: int, d: int) -> np.ndarray:
    b = np.frombuffer(int(value).to_bytes(d * RESID_BYTES, "little"), np.uint8).reshape(d, RESID_BYTES).astype(np.int64)
    u = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
    return u - ((u & 0x800000) << 1)


class LlamaHarness(LayerHarness):
    """tb_llama_layer's pins: LayerHarness's, and the self-drive path (a whole token per call, so
    Python wakes a few times per layer instead of once per beat)."""

    def __init__(self, dut):
        super().__init__(dut)
        dut.drive.value = 0
        dut.drive_go.value = 0

    async def decode_token(self, x, pos: int, layer: int, timeout_cycles: int) -> np.ndarray:
        """x' of one token through the currently selected layer (the s_axis / m_axis ports idle)."""
        dut = self.dut
        dut.drive.value = 1
        dut.drive_x.value = pack_vector(x)
        dut.drive_pos.value = pos_beat(pos, layer)
        dut.drive_go.value = 1
        await RisingEdge(dut.clk)
        dut.drive_go.value = 0
        for _ in range(2):  # the harness registers go, then clears drive_done: past both edges
            await RisingEdge(dut.clk)
        if not int(dut.drive_done.value):
            await with_timeout(RisingEdge(dut.drive_done), timeout_cycles * 10, "ns")
        await RisingEdge(dut.clk)  # the counters register the last beat at that edge
        return unpack_vector(dut.drive_y.value.to_unsigned(), len(x))
