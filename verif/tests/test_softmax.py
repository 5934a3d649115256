"""Launchers: rtl/softmax.sv on both simulators (the 1024-long row on Verilator only)."""

import pytest

from tbkit.runner import param_tag, rtl_sources, run_block

SOURCES = ("softmax", "divider", "axis_fifo")
DEFAULT = [("verilator", dict(MaxLen=1024)), ("verilator", dict(MaxLen=1)), ("icarus", dict(MaxLen=1)),
           ("icarus", dict(MaxLen=37))]
SLOW = [("icarus", dict(MaxLen=1024)), ("verilator", dict(MaxLen=4096))]


def run(sim, params, **config):
    run_block("softmax", rtl_sources(*SOURCES), "tb_softmax", sim, params, tb_config=config)


@pytest.mark.parametrize("sim,params", DEFAULT, ids=lambda v: v if isinstance(v, str) else param_tag(v))
def test_softmax(sim, params):
    run(sim, params)


@pytest.mark.slow
@pytest.mark.parametrize("sim,params", SLOW, ids=lambda v: v if isinstance(v, str) else param_tag(v))
def test_softmax_long(sim, params):
    run(sim, params, transactions=6)
