"""Launchers: rtl/layernorm.sv on both simulators (d = 768 on Verilator, small d on Icarus)."""

import pytest

from tbkit.runner import param_tag, run_block, sources

DEFAULT = [
    ("verilator", dict(Lanes=4, InBits=16, MaxDim=768)),
    ("verilator", dict(Lanes=2, InBits=8, MaxDim=16, RqStages=1)),
    ("icarus", dict(Lanes=1, InBits=16, MaxDim=24)),
    ("icarus", dict(Lanes=4, InBits=8, MaxDim=32, RqStages=2)),
]
SLOW = [("icarus", dict(Lanes=8, InBits=16, MaxDim=768)), ("verilator", dict(Lanes=16, InBits=16, MaxDim=4096))]


def ident(v):
    return v if isinstance(v, str) else param_tag(v)


def run(sim, params, **config):
    run_block("layernorm", sources("layernorm"), "tb_layernorm", sim, params, tb_config=config)


@pytest.mark.parametrize("sim,params", DEFAULT, ids=ident)
def test_layernorm(sim, params):
    run(sim, params)


@pytest.mark.slow
@pytest.mark.parametrize("sim,params", SLOW, ids=ident)
def test_layernorm_large(sim, params):
    run(sim, params, transactions=6)
