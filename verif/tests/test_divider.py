"""Launchers: rtl/divider.sv on both simulators, at the LayerNorm unit's widths (62 / 31, which
also covers softmax's 48 / 26 bit for bit) and at a small width with a divisor wider than the
dividend."""

import pytest

from tbkit.runner import SIMS, param_tag, run_block, sources

PARAMS = [dict(DividendWidth=62, DivisorWidth=31), dict(DividendWidth=8, DivisorWidth=12)]


@pytest.mark.parametrize("params", PARAMS, ids=param_tag)
@pytest.mark.parametrize("sim", SIMS)
def test_divider(sim, params):
    run_block("tb_divider", sources("tb_divider"), "tb_divider", sim, params)
