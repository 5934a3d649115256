"""Launchers: rtl/layernorm.sv on both simulators (d = 768 on Verilator, small d on Icarus)."""

import pytest

from tbkit.runner import expect_rejected, param_tag, run_block, sources

DEFAULT = [
    ("verilator", dict(Lanes=4, InBits=16, MaxDim=768)),
    ("verilator", dict(Lanes=2, InBits=8, MaxDim=16, RqStages=1)),
    ("icarus", dict(Lanes=1, InBits=16, MaxDim=24)),
    ("icarus", dict(Lanes=4, InBits=8, MaxDim=32, RqStages=2)),
]
# RMSNorm (Rms = 1): SmolLM2's shape (int24 residual in, int16 out, d = 576) on Verilator, small on Icarus.
RMS = [
    ("verilator", dict(Lanes=4, InBits=24, MaxDim=576, Rms=1, OutBits=16)),
    ("icarus", dict(Lanes=2, InBits=24, MaxDim=16, Rms=1, OutBits=16, RqStages=2)),
]
SLOW = [("icarus", dict(Lanes=8, InBits=16, MaxDim=768)), ("verilator", dict(Lanes=16, InBits=16, MaxDim=4096))]


def run(sim, params, **config):
    run_block("layernorm", sources("layernorm"), "tb_layernorm", sim, params, tb_config=config)


@pytest.mark.parametrize("sim,params", DEFAULT, ids=param_tag)
def test_layernorm(sim, params):
    run(sim, params)


@pytest.mark.parametrize("sim,params", RMS, ids=param_tag)
def test_rmsnorm(sim, params):
    run(sim, params)


BAD = [(dict(Rms=0, OutBits=16), "layernorm: OutBits must be 8 for LayerNorm (Rms = 0), got 16"),
       (dict(Rms=1, InBits=25, OutBits=16), "layernorm: InBits must be in [2, 24] (Rms = 1), got 25")]


@pytest.mark.parametrize("params,message", BAD, ids=[param_tag(b[0]) for b in BAD])
@pytest.mark.parametrize("sim", ["verilator", "icarus"])
def test_layernorm_rejects_bad_parameters(sim, params, message):
    """Illegal modes are refused when the simulation is elaborated, with a clear message."""
    expect_rejected("layernorm", sources("layernorm"), "tb_layernorm", sim, dict(MaxDim=16, **params), message)


@pytest.mark.slow
@pytest.mark.parametrize("sim,params", SLOW, ids=param_tag)
def test_layernorm_large(sim, params):
    run(sim, params, transactions=6)
