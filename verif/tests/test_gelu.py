"""Launchers: rtl/gelu.sv on both simulators."""

import pytest

from tbkit.runner import SIMS, param_tag, run_block, sources

PARAMS = [dict(Lanes=1), dict(Lanes=4)]
SLOW = [dict(Lanes=16)]


def run(sim, params):
    run_block("gelu", sources("gelu"), "tb_gelu", sim, params)


@pytest.mark.parametrize("params", PARAMS, ids=param_tag)
@pytest.mark.parametrize("sim", SIMS)
def test_gelu(sim, params):
    run(sim, params)


@pytest.mark.slow
@pytest.mark.parametrize("params", SLOW, ids=param_tag)
@pytest.mark.parametrize("sim", SIMS)
def test_gelu_wide(sim, params):
    run(sim, params)
