"""Python side of the decoder-layer harness (verif/sv/tb_decoder_layer.sv).

Shared by the layer's pyuvm testbench and by `make run`: it turns an integer parameter set (the
quantizer's format, docs/numerics.md) into the harness memory files, picks the layer the hardware
serves next, and reads the harness's cycle counters.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from cocotb.triggers import FallingEdge, RisingEdge

from perfmodel.layer import RTL_NAME
from tbkit import memh
from tbkit.words import word
from tbkit.runner import sources

SOURCES = sources("tb_decoder_layer")
TOP = "tb_decoder_layer"

UNITS = ("qkv", "o", "fc1", "fc2")
# The quantizer's name of every field of sllm_pkg::layer_cfg_t (tb_decoder_layer.sv's mem8 word).
LAYER_CFG_NAMES = {
    "ln1_eps_v": "ln1.eps_v", "ln2_eps_v": "ln2.eps_v",
    **{f"attn.{s}.{k}": f"attn.{s}_{k}" for s in ("score", "out") for k in ("mult", "shift")},
    **{f"add{i}.{s}.{k}": f"add{i}.{s}_{k}" for i in (1, 2) for s in ("a", "b", "out") for k in ("mult", "shift")},
}


def rtl_parameters(cfg: dict, lanes: int = 128, attn_macs: int | None = None, num_layers: int | None = None,
                   bus_bytes: int = 64, prefetch_words: int = 256, resid_lanes: int = 16, cols: int = 1,
                   attn_slices: int = 1) -> dict:
    """The harness parameters for a model config: the same MACs per cycle in every Linear (`lanes`
    inputs by `cols` output columns per step, rtl/linear.sv), a weight bus of bus_bytes per cycle
    shared by them, prefetch_words bus words of FIFO in front of each, resid_lanes elements per
    beat of the residual stream (LayerNorms, adds), attention in attn_slices units side by side
    (rtl/attention_slices.sv)."""
    d, heads = cfg["d_model"], cfg["n_head"]
    if cfg.get("resid_bits", 16) != 16 or cfg.get("branch_bits", 16) != 16:
        raise ValueError("the RTL layer is built for resid_bits = branch_bits = 16 (docs/numerics.md)")
    macs = attn_macs or min(lanes, d // heads)
    params = dict(
        D=d, Heads=heads, DFfn=cfg["d_ffn"], MaxSeq=cfg["max_seq"], NumLayers=num_layers or cfg["n_layer"],
        ResidLanes=resid_lanes, WeightBusBytes=bus_bytes, PrefetchWords=prefetch_words,
        LanesQkv=lanes, LanesO=lanes, LanesFc1=lanes, LanesFc2=lanes, AttnMacs=macs,
        **({} if cols == 1 else dict(ColsQkv=cols, ColsO=cols, ColsFc1=cols, ColsFc2=cols)),
        **({} if attn_slices == 1 else dict(AttnSlices=attn_slices)),
    )
    for name, n in (("D", d), ("DFfn", cfg["d_ffn"])):
        if n % lanes:
            raise ValueError(f"{name}={n} is not a multiple of lanes={lanes}")
    if d % resid_lanes or lanes % resid_lanes or resid_lanes & (resid_lanes - 1):
        raise ValueError(f"resid_lanes={resid_lanes} must be a power of two dividing D={d} and lanes={lanes}")
    if attn_slices > 1 and (heads % attn_slices or (lanes > d // attn_slices and lanes % (d // attn_slices)) or
                            (lanes < d // attn_slices and (d // attn_slices) % lanes)):
        raise ValueError(f"attn_slices={attn_slices} must divide n_head={heads}, and lanes={lanes} must divide "
                         f"a slice's {d // attn_slices} outputs or be a multiple of them")
    if d % cols or cfg["d_ffn"] % cols or macs % cols or resid_lanes % cols or lanes % cols:
        raise ValueError(f"cols={cols} must divide D={d}, d_ffn={cfg['d_ffn']}, the attention MACs ({macs}), "
                         f"resid_lanes={resid_lanes} and lanes={lanes}")
    for unit, (k, n) in matrix_shapes(params).items():
        if k * n % bus_bytes:
            raise ValueError(f"the {unit} matrix ({k}x{n} bytes) is not a whole number of {bus_bytes}-byte bus words")
    return params


def matrix_shapes(rtl: dict) -> dict:
    """(K, N) of each Linear, in the order their matrices follow each other on the weight bus."""
    d, f = rtl["D"], rtl["DFfn"]
    return {"qkv": (d, 3 * d), "o": (d, d), "fc1": (d, f), "fc2": (f, d)}


def bus_words_per_layer(rtl: dict) -> int:
    return sum(k * n for k, n in matrix_shapes(rtl).values()) // rtl["WeightBusBytes"]


def unit_cols(rtl: dict, unit: str) -> int:
    """Output columns per step of a Linear (rtl/decoder_layer.sv Cols<Unit>, 1 if not given)."""
    return rtl.get("Cols" + RTL_NAME[unit], 1)


def weight_bus_lines(layer: dict, rtl: dict) -> list[str]:
    """One layer's weights as weight-bus words (mem0): each matrix in its Linear's output-major byte
    order (memh.linear_weight_order; with Cols = 1 byte n*K + k is W[k, n], whatever the Lanes),
    cut into bus words; the bit above each word is tlast, set on each matrix's last word."""
    lines = []
    for unit in UNITS:
        order = memh.linear_weight_order(layer[f"{unit}.weight"], rtl["Lanes" + RTL_NAME[unit]], unit_cols(rtl, unit))
        words = memh.lanes_to_lines(order, rtl["WeightBusBytes"])
        lines += ["0" + w for w in words[:-1]] + ["1" + words[-1]]
    return lines


def write_memfiles(layers: list[dict], rtl: dict, directory: Path) -> None:
    """Every layer's parameters (quantize.layer_view dicts) as the harness's mem0..mem8 files."""
    if len(layers) != rtl["NumLayers"]:
        raise ValueError(f"{len(layers)} layers of parameters for a harness holding NumLayers={rtl['NumLayers']}")
    memh.write_memh(directory / "mem0.memh", [l for p in layers for l in weight_bus_lines(p, rtl)])
    for i, unit in enumerate(UNITS):
        p_lines = []
        for p in layers:
            p_lines += memh.linear_param_lines(p[f"{unit}.bias"], p[f"{unit}.mult"], p[f"{unit}.shift"],
                                               unit_cols(rtl, unit))
        memh.write_memh(directory / f"mem{i + 1}.memh", p_lines)
    for mem, ln in ((5, "ln1"), (6, "ln2")):
        lines = []
        for p in layers:
            lines += memh.layernorm_param_lines(p[f"{ln}.g_mult"], p[f"{ln}.g_shift"], p[f"{ln}.g_neg"], p[f"{ln}.beta_q"])
        memh.write_memh(directory / f"mem{mem}.memh", lines)
    memh.write_memh(directory / "mem7.memh", [l for p in layers for l in memh.byte_lines(p["gelu.table"])])
    memh.write_memh(directory / "mem8.memh", [layer_cfg_line(p) for p in layers])


def layer_cfg_line(p: dict) -> str:
    """A layer's scalars as one sllm_pkg::layer_cfg_t line."""
    return word("layer_cfg_t").hex({field: np.asarray(p[name]) for field, name in LAYER_CFG_NAMES.items()})


def pos_beat(pos: int, layer: int) -> int:
    """The s_axis_pos beat (sllm_pkg::token_t)."""
    return word("token_t").pack({"pos": pos, "layer": layer})


class LayerHarness:
    """Drives tb_decoder_layer's control pins (not its streams)."""

    def __init__(self, dut):
        self.dut = dut
        dut.load.value = 0
        dut.restart.value = 0
        dut.cfg_load.value = 0
        dut.layer.value = 0
        dut.w_stall.value = 0

    async def load_memories(self):
        """Read the mem*.memh files (written beforehand) into the harness memories."""
        self.dut.load.value = 1
        await RisingEdge(self.dut.clk)
        self.dut.load.value = 0
        await RisingEdge(self.dut.clk)

    async def select_layer(self, layer: int):
        """Point the weight streams and the units' parameters at `layer` (between tokens)."""
        dut = self.dut
        dut.layer.value = layer
        dut.restart.value = 1
        dut.cfg_load.value = 1
        await RisingEdge(dut.clk)
        dut.restart.value = 0
        dut.cfg_load.value = 0
        await RisingEdge(dut.clk)
        if int(dut.cfg_busy.value):  # one wake-up, not one per loader cycle
            await FallingEdge(dut.cfg_busy)
            await RisingEdge(dut.clk)

    def weight_words(self) -> int:
        """Weight-bus words the layer has taken since reset."""
        return int(self.dut.weight_words.value)

    def token_cycles(self) -> int:
        return int(self.dut.last_out_cycle.value) - int(self.dut.first_in_cycle.value) + 1

    def errors(self) -> list[str]:
        out = []
        if int(self.dut.pos_error.value):
            out.append("pos_error: a token's position was outside the KV cache")
        if int(self.dut.layer_error.value):
            out.append("layer_error: a token's layer has no KV-cache region")
        return out
