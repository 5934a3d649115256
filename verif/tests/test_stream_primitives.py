"""Launchers: the stream primitives on both simulators over a parameter sweep."""

import pytest

from tbkit.runner import SIMS, param_tag, run_block, sources

FIFO = [dict(DataWidth=8, Depth=1), dict(DataWidth=8, Depth=2), dict(DataWidth=1, Depth=5), dict(DataWidth=37, Depth=16)]
REGISTER = [dict(DataWidth=1), dict(DataWidth=8), dict(DataWidth=40)]
PACK = [dict(ElemBits=8, Ratio=1), dict(ElemBits=8, Ratio=4), dict(ElemBits=16, Ratio=3)]
FORK = [dict(DataWidth=8, NumOutputs=1), dict(DataWidth=8, NumOutputs=2), dict(DataWidth=13, NumOutputs=4)]


def run_primitive(top, sim, params):
    run_block(top, sources(top), "tb_stream_primitives", sim, params, tb_config={"top": top})


@pytest.mark.parametrize("params", FIFO, ids=param_tag)
@pytest.mark.parametrize("sim", SIMS)
def test_axis_fifo(sim, params):
    run_primitive("axis_fifo", sim, params)


@pytest.mark.parametrize("params", REGISTER, ids=param_tag)
@pytest.mark.parametrize("sim", SIMS)
def test_axis_register(sim, params):
    run_primitive("axis_register", sim, params)


@pytest.mark.parametrize("params", FORK, ids=param_tag)
@pytest.mark.parametrize("sim", SIMS)
def test_axis_fork(sim, params):
    run_primitive("tb_axis_fork", sim, params)


@pytest.mark.parametrize("params", PACK, ids=param_tag)
@pytest.mark.parametrize("sim", SIMS)
def test_axis_pack(sim, params):
    run_primitive("axis_pack", sim, params)
