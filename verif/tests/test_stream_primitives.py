"""Launchers: the stream primitives on both simulators over a parameter sweep."""

import pytest

from tbkit.runner import SIMS, param_tag, run_block, sources

FIFO = [dict(DataWidth=8, Depth=1), dict(DataWidth=8, Depth=2), dict(DataWidth=1, Depth=5), dict(DataWidth=37, Depth=16)]
REGISTER = [dict(DataWidth=1), dict(DataWidth=8), dict(DataWidth=40)]
PACK = [dict(ElemBits=8, Ratio=1), dict(ElemBits=8, Ratio=4), dict(ElemBits=16, Ratio=3)]
# Width converters: 2:3 (the GPT-2-small weight bus into 768 lanes), 1:2, 4:1, 3:3 (a wire)
RESIZE = [dict(UnitBits=8, InUnits=2, OutUnits=3), dict(UnitBits=4, InUnits=1, OutUnits=2),
          dict(UnitBits=8, InUnits=4, OutUnits=1), dict(UnitBits=8, InUnits=3, OutUnits=3)]
PREFETCH = [dict(BusBytes=4, Lanes=6, Depth=3), dict(BusBytes=4, Lanes=2, Depth=1), dict(BusBytes=2, Lanes=2, Depth=4)]
ROUTER = [dict(Width=8, NumUnits=1), dict(Width=16, NumUnits=4), dict(Width=5, NumUnits=3)]
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


@pytest.mark.parametrize("params", RESIZE, ids=param_tag)
@pytest.mark.parametrize("sim", SIMS)
def test_axis_resize(sim, params):
    run_primitive("axis_resize", sim, params)


@pytest.mark.parametrize("params", PREFETCH, ids=param_tag)
@pytest.mark.parametrize("sim", SIMS)
def test_weight_prefetch(sim, params):
    run_primitive("weight_prefetch", sim, params)


@pytest.mark.parametrize("params", ROUTER, ids=param_tag)
@pytest.mark.parametrize("sim", SIMS)
def test_weight_router(sim, params):
    run_primitive("tb_weight_router", sim, params)
