"""Launchers: rtl/q4_linear.sv on both simulators (SmolLM2's projection shapes on Verilator: K = 576
into the q/k/v/gate/up rows and K = 1536 into the down projection with its x_shift; small shapes
on Icarus, Lanes below, at and above the 32-code block), and its parameter checks."""

import pytest

from tbkit.runner import SIMS, expect_rejected, param_tag, run_block, sources

DEFAULT = [
    ("verilator", dict(Lanes=64, K=576, N=64), {"transactions": 5}),                          # q/k/v, gate/up rows
    ("verilator", dict(Lanes=32, K=1536, N=24, XShift=1, OutBits=24), {"transactions": 4}),  # down into the int24 residual
    ("verilator", dict(Lanes=8, K=64, N=5, OutBits=8), {"transactions": 12}),
    ("icarus", dict(Lanes=4, K=64, N=3, XShift=1), {"transactions": 4}),
    ("icarus", dict(Lanes=64, K=128, N=4), {"transactions": 4}),
]



@pytest.mark.parametrize("sim,params,tb", DEFAULT, ids=[f"{s}-{param_tag(p)}" for s, p, _ in DEFAULT])
def test_q4_linear(sim, params, tb):
    run_block("q4_linear", sources("q4_linear"), "tb_q4_linear", sim, params, tb_config=tb)


BAD = [(dict(Lanes=48), "q4_linear: Lanes (48) must divide 32 or be a multiple of 32"),
       (dict(K=48, Lanes=16), "q4_linear: K (48) must be a multiple of 32 and of Lanes (16)"),
       (dict(OutBits=40), "q4_linear: OutBits must be in [2, 32], got 40"),
       (dict(XShift=2), "q4_linear: XShift must be 0 or 1, got 2")]


@pytest.mark.parametrize("params,message", BAD, ids=[param_tag(b[0]) for b in BAD])
@pytest.mark.parametrize("sim", SIMS)
def test_q4_linear_rejects_bad_parameters(sim, params, message):
    """Illegal shapes are refused when the simulation is elaborated, with a clear message."""
    expect_rejected("q4_linear", sources("q4_linear"), "tb_q4_linear", sim, {"K": 64, "N": 2, **params}, message)
