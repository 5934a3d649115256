"""Launchers: rtl/isqrt.sv on both simulators, at the LayerNorm unit's width (62 bits) and the
smallest legal one (4 bits)."""

import pytest

from tbkit.runner import SIMS, param_tag, run_block, sources

PARAMS = [dict(Bits=62), dict(Bits=4)]


@pytest.mark.parametrize("params", PARAMS, ids=param_tag)
@pytest.mark.parametrize("sim", SIMS)
def test_isqrt(sim, params):
    run_block("tb_isqrt", sources("tb_isqrt"), "tb_isqrt", sim, params)
