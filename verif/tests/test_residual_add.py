"""Launchers: rtl/residual_add.sv (with rtl/requant.sv) on both simulators."""

import pytest

from tbkit.runner import SIMS, expect_rejected, param_tag, run_block, sources

# The 4-lane default is at the widest widths (30-bit inputs are not shifted before their rescale,
# so every bit of every lane's datapath toggles); int16/int8 with 4 lanes is in the slow run.
# Shift=1 is the Llama add at llama_layer's int24 residual widths.
PARAMS = [dict(Lanes=1, ABits=16, BBits=8, OutBits=16), dict(Lanes=4, ABits=30, BBits=30, OutBits=24, RqStages=2),
          dict(Lanes=4, ABits=24, BBits=24, OutBits=24, Shift=1)]
SLOW = [dict(Lanes=2, ABits=8, BBits=8, OutBits=8, RqStages=1), dict(Lanes=8, ABits=16, BBits=8, OutBits=16),
        dict(Lanes=4, ABits=16, BBits=8, OutBits=16, RqStages=2)]


def run(sim, params):
    run_block("residual_add", sources("residual_add"), "tb_residual_add", sim, params)


@pytest.mark.parametrize("params", PARAMS, ids=param_tag)
@pytest.mark.parametrize("sim", SIMS)
def test_residual_add(sim, params):
    run(sim, params)


@pytest.mark.slow
@pytest.mark.parametrize("params", SLOW, ids=param_tag)
@pytest.mark.parametrize("sim", SIMS)
def test_residual_add_more(sim, params):
    run(sim, params)


@pytest.mark.parametrize("sim", SIMS)
def test_residual_add_rejects_bad_parameters(sim):
    """An add mode that does not exist is refused when the simulation is elaborated."""
    expect_rejected("residual_add", sources("residual_add"), "tb_residual_add", sim, dict(Shift=2),
                    "residual_add: Shift must be 0 or 1, got 2")
