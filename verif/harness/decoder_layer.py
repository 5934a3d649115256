"""Python side of the decoder-layer harness (verif/sv/tb_decoder_layer.sv).

Shared by the layer's pyuvm testbench and by `make run`: it turns an integer parameter set (the
quantizer's format, docs/numerics.md) into the harness memory files, picks the layer the hardware
serves next, and reads the harness's cycle counters.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from cocotb.triggers import RisingEdge

from tbkit import memh
from tbkit.runner import sources

SOURCES = sources("tb_decoder_layer")
TOP = "tb_decoder_layer"

UNITS = ("qkv", "o", "fc1", "fc2")
# The per-layer scalars in tb_decoder_layer.sv's mem11 word, least significant field first.
SCALAR_FIELDS = (
    ("ln1.eps_v", 62), ("ln2.eps_v", 62),
    ("attn.score_mult", 32), ("attn.score_shift", 5), ("attn.out_mult", 32), ("attn.out_shift", 5),
    *((f"add{i}.{f}_{k}", bits) for i in (1, 2) for f in ("a", "b", "out") for k, bits in (("mult", 32), ("shift", 5))),
)


def rtl_parameters(cfg: dict, lanes: int = 16, attn_macs: int | None = None, num_layers: int | None = None) -> dict:
    """The harness parameters for a model config, with the same MACs per cycle in every unit."""
    d, heads = cfg["d_model"], cfg["n_head"]
    if cfg.get("resid_bits", 16) != 16 or cfg.get("branch_bits", 16) != 16:
        raise ValueError("the RTL layer is built for resid_bits = branch_bits = 16 (docs/numerics.md)")
    macs = attn_macs or min(lanes, d // heads)
    params = dict(
        D=d, Heads=heads, DFfn=cfg["d_ffn"], MaxSeq=cfg["max_seq"], NumLayers=num_layers or cfg["n_layer"],
        LanesQkv=lanes, LanesO=lanes, LanesFc1=lanes, LanesFc2=lanes, AttnMacs=macs,
    )
    for name, n in (("D", d), ("DFfn", cfg["d_ffn"])):
        if n % lanes:
            raise ValueError(f"{name}={n} is not a multiple of lanes={lanes}")
    return params


def write_memfiles(layers: list[dict], rtl: dict, directory: Path) -> None:
    """Every layer's parameters (quantize.layer_view dicts) as the harness's mem0..mem11 files."""
    if len(layers) != rtl["NumLayers"]:
        raise ValueError(f"{len(layers)} layers of parameters for a harness holding NumLayers={rtl['NumLayers']}")
    lanes = {"qkv": rtl["LanesQkv"], "o": rtl["LanesO"], "fc1": rtl["LanesFc1"], "fc2": rtl["LanesFc2"]}
    for i, unit in enumerate(UNITS):
        w_lines, p_lines = [], []
        for p in layers:
            w_lines += memh.linear_weight_lines(p[f"{unit}.weight"], lanes[unit])
            p_lines += memh.linear_param_lines(p[f"{unit}.bias"], p[f"{unit}.mult"], p[f"{unit}.shift"])
        memh.write_memh(directory / f"mem{2 * i}.memh", w_lines)
        memh.write_memh(directory / f"mem{2 * i + 1}.memh", p_lines)
    for mem, ln in ((8, "ln1"), (9, "ln2")):
        lines = []
        for p in layers:
            lines += memh.layernorm_param_lines(p[f"{ln}.g_mult"], p[f"{ln}.g_shift"], p[f"{ln}.g_neg"], p[f"{ln}.beta_q"])
        memh.write_memh(directory / f"mem{mem}.memh", lines)
    memh.write_memh(directory / "mem10.memh", [l for p in layers for l in memh.byte_lines(p["gelu.table"])])
    memh.write_memh(directory / "mem11.memh", [f"{scalar_word(p):0105x}" for p in layers])


def scalar_word(p: dict) -> int:
    word, offset = 0, 0
    for name, bits in SCALAR_FIELDS:
        value = int(np.asarray(p[name]))
        if not 0 <= value < (1 << bits):
            raise ValueError(f"{name}={value} does not fit the harness's {bits}-bit field")
        word |= value << offset
        offset += bits
    return word


def pos_beat(pos: int, layer: int) -> int:
    """The s_axis_pos beat: position in bits [15:0], layer in [31:16]."""
    return (pos & 0xFFFF) | ((layer & 0xFFFF) << 16)


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
        while int(dut.cfg_busy.value):
            await RisingEdge(dut.clk)

    def token_cycles(self) -> int:
        return int(self.dut.last_out_cycle.value) - int(self.dut.first_in_cycle.value) + 1

    def errors(self) -> list[str]:
        out = []
        if int(self.dut.pos_error.value):
            out.append("pos_error: a token's position was outside the KV cache")
        if int(self.dut.layer_error.value):
            out.append("layer_error: a token's layer has no KV-cache region")
        return out
