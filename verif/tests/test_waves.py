"""The waves a run dumps agree with what its testbench saw: handshakes per stream, counted from the
FST with pywellen, equal the protocol checker's counts (which the scoreboard's beat count was
already checked against at the end of the test)."""

import json

import pytest

from tbkit.runner import SIMS, run_block, sources
from tbkit.waves import stream_handshakes, write_gtkw


@pytest.mark.parametrize("sim", SIMS)
def test_fst_handshakes_match_testbench(sim):
    run = run_block(
        "axis_fifo", sources("axis_fifo"), "tb_stream_primitives", sim, dict(DataWidth=8, Depth=4),
        testcase="test_idle_backpressure", waves=True, tb_config={"top": "axis_fifo"},
    )
    assert run.waves is not None, "no FST was written"
    seen = json.loads((run.test_dir / "handshakes.json").read_text())["test_idle_backpressure"]
    dumped = stream_handshakes(run.waves)
    assert seen["s_axis"] > 0 and seen["m_axis"] > 0
    assert dumped == seen, f"waves {dumped} != testbench {seen} ({run.waves})"
    assert "s_axis_tvalid" in write_gtkw(run.waves).read_text()
