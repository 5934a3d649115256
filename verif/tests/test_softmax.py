"""Launchers: rtl/softmax.sv on both simulators (the 1024-long row on Verilator only)."""

import pytest

from tbkit.runner import param_tag, run_block, sources

DEFAULT = [("verilator", dict(MaxLen=1024)), ("verilator", dict(MaxLen=1)), ("icarus", dict(MaxLen=1)),
           ("icarus", dict(MaxLen=37))]
SLOW = [("icarus", dict(MaxLen=1024)), ("verilator", dict(MaxLen=4096))]


def run(sim, params, **config):
    run_block("softmax", sources("softmax"), "tb_softmax", sim, params, tb_config=config)


@pytest.mark.parametrize("sim,params", DEFAULT, ids=lambda v: v if isinstance(v, str) else param_tag(v))
def test_softmax(sim, params):
    run(sim, params)


@pytest.mark.slow
@pytest.mark.parametrize("sim,params", SLOW, ids=lambda v: v if isinstance(v, str) else param_tag(v))
def test_softmax_long(sim, params):
    run(sim, params, transactions=6)
