"""Launchers: requant (rescale + saturate) on both simulators, for each pipeline depth."""

import pytest

from tbkit.runner import SIMS, VERIF, param_tag, rtl_sources, run_block

PARAMS = [dict(OutBits=8, Stages=3), dict(OutBits=16, Stages=2), dict(OutBits=4, Stages=1), dict(OutBits=24, Stages=0)]


@pytest.mark.parametrize("params", PARAMS, ids=param_tag)
@pytest.mark.parametrize("sim", SIMS)
def test_requant(sim, params):
    run_block("tb_requant", rtl_sources("requant") + [VERIF / "sv" / "tb_requant.sv"], "tb_requant", sim, params)
