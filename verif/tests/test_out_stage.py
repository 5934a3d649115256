"""Launchers: rtl/out_stage.sv (requant + credit-counted FIFO) through verif/sv/tb_out_stage.sv, on
both simulators, and its build-time parameter checks.

Parameter sets: Requant = 1 at OutBits 8 / 16 / 32, RqStages 1..3, Lanes 1 and 4; Requant = 0 at
Lanes 1 and 2; Depth 1, 2, one below the full-rate depth (Delay + RqStages + 2, where the header's
"Depth >= unit pipeline + requant + 1" would put it) and at or above it; producer delays 0..3.
"""

import pytest

from tbkit.runner import SIMS, expect_rejected, param_tag, run_block, sources

SOURCES = sources("tb_out_stage")

PARAMS = [dict(Requant=1, Lanes=1, OutBits=8, RqStages=3, Delay=2, Depth=7),   # full rate
          dict(Requant=1, Lanes=4, OutBits=16, RqStages=2, Delay=1, Depth=4),  # one below full rate
          dict(Requant=1, Lanes=1, OutBits=32, RqStages=1, Delay=0, Depth=1),
          dict(Requant=1, Lanes=4, OutBits=8, RqStages=1, Delay=3, Depth=2),
          dict(Requant=0, Lanes=1, OutBits=8, Delay=2, Depth=1),
          dict(Requant=0, Lanes=2, OutBits=16, Delay=0, Depth=3)]              # full rate


@pytest.mark.parametrize("params", PARAMS, ids=param_tag)
@pytest.mark.parametrize("sim", SIMS)
def test_out_stage(sim, params):
    run_block("tb_out_stage", SOURCES, "tb_out_stage", sim, params)


BAD = [(dict(Requant=2), "out_stage: Requant must be 0 or 1, got 2"),
       (dict(Requant=0, OutBits=1), "out_stage: OutBits must be in [2, 32], got 1"),
       (dict(Requant=1, RqStages=0), "out_stage: RqStages must be in [1, 3], got 0")]


@pytest.mark.parametrize("params,message", BAD, ids=[param_tag(b[0]) for b in BAD])
@pytest.mark.parametrize("sim", SIMS)
def test_out_stage_rejects_bad_parameters(sim, params, message):
    """Illegal parameters stop the simulation at elaboration with out_stage's $fatal message."""
    expect_rejected("tb_out_stage", SOURCES, "tb_out_stage", sim, params, message)

