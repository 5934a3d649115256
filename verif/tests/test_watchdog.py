"""The runner's wall-clock watchdog (tbkit.runner, SIM_TIMEOUT), on a cheap block."""

import pytest

from tbkit.runner import SimulationFailure, run_block, sources


def test_watchdog_kills_a_simulation_that_runs_too_long(monkeypatch):
    """A hung or crawling simulation fails with its seed after SIM_TIMEOUT seconds of wall time
    (the runner's watchdog), instead of holding a CI worker until the job's limit."""
    monkeypatch.setattr("tbkit.runner._sim_timeout", lambda live: 0.01)  # less than a start needs
    with pytest.raises(SimulationFailure) as failure:
        run_block("tb_out_stage", sources("tb_out_stage"), "tb_out_stage", "icarus",
                  dict(Requant=1, Lanes=1, OutBits=8, RqStages=3, Delay=2, Depth=7), record=False)
    assert "killed after 0.01 s of wall time" in str(failure.value)
    assert "SEED=" in str(failure.value)
