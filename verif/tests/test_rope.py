"""Launchers: rtl/rope.sv on both simulators (SmolLM2's head_dim 64 and a 64-position table on
Verilator; small heads on Icarus), and its parameter checks."""

import pytest

from tbkit.runner import SIMS, expect_rejected, param_tag, run_block, sources

DEFAULT = [
    ("verilator", dict(Lanes=8, HeadDim=64, MaxSeq=64)),
    ("verilator", dict(Lanes=2, HeadDim=2, MaxSeq=1)),
    ("icarus", dict(Lanes=2, HeadDim=8, MaxSeq=5)),
    ("icarus", dict(Lanes=4, HeadDim=16, MaxSeq=3)),
    ("verilator", dict(Lanes=4, HeadDim=8, MaxSeq=4, RotElems=16)),  # llama_layer's fused q|k|v
    ("icarus", dict(Lanes=2, HeadDim=4, MaxSeq=3, RotElems=8)),
]


@pytest.mark.parametrize("sim,params", DEFAULT, ids=param_tag)
def test_rope(sim, params):
    run_block("rope", sources("rope"), "tb_rope", sim, params)


BAD = [(dict(Lanes=3, HeadDim=6), "rope: Lanes must be even and >= 2, got 3"),
       (dict(Lanes=4, HeadDim=6), "rope: HeadDim (6) must be a multiple of Lanes (4)"),
       (dict(Lanes=2, HeadDim=4, RotElems=6), "rope: RotElems (6) must be 0 or a multiple of HeadDim (4)")]


@pytest.mark.parametrize("params,message", BAD, ids=[param_tag(b[0]) for b in BAD])
@pytest.mark.parametrize("sim", SIMS)
def test_rope_rejects_bad_parameters(sim, params, message):
    """Illegal shapes are refused when the simulation is elaborated, with a clear message."""
    expect_rejected("rope", sources("rope"), "tb_rope", sim, params, message)
