"""Launchers: requant (rescale + saturate) on both simulators, for each pipeline depth."""

import pytest

from tbkit.runner import SIMS, param_tag, run_block, sources

PARAMS = [dict(OutBits=8, Stages=3), dict(OutBits=16, Stages=2), dict(OutBits=4, Stages=1), dict(OutBits=24, Stages=0)]


@pytest.mark.parametrize("params", PARAMS, ids=param_tag)
@pytest.mark.parametrize("sim", SIMS)
def test_requant(sim, params):
    run_block("tb_requant", sources("tb_requant"), "tb_requant", sim, params)
