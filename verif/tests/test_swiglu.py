"""Launchers: rtl/swiglu.sv on both simulators (SmolLM2's FFN width 1536 on Verilator, small on
Icarus), and its parameter checks."""

import pytest

from tbkit.runner import SIMS, expect_rejected, param_tag, run_block, sources

DEFAULT = [
    ("verilator", dict(Lanes=8, MaxDim=1536)),
    ("verilator", dict(Lanes=1, MaxDim=1, IndexBits=4)),
    ("icarus", dict(Lanes=2, MaxDim=16)),
    ("icarus", dict(Lanes=1, MaxDim=5, IndexBits=6)),
]


@pytest.mark.parametrize("sim,params", DEFAULT, ids=param_tag)
def test_swiglu(sim, params):
    run_block("swiglu", sources("swiglu"), "tb_swiglu", sim, params)


BAD = [(dict(Lanes=4, MaxDim=6), "swiglu: MaxDim (6) must be a positive multiple of Lanes (4)"),
       (dict(IndexBits=16), "swiglu: IndexBits must be in [1, 15], got 16")]


@pytest.mark.parametrize("params,message", BAD, ids=[param_tag(b[0]) for b in BAD])
@pytest.mark.parametrize("sim", SIMS)
def test_swiglu_rejects_bad_parameters(sim, params, message):
    """Illegal shapes are refused when the simulation is elaborated, with a clear message."""
    expect_rejected("swiglu", sources("swiglu"), "tb_swiglu", sim, {"MaxDim": 16, **params}, message)
