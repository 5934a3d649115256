"""Launchers: linear (GEMV with streamed weights) on both simulators.

Default regression: small shapes on both simulators (every test of tb_linear), output-parallel
(Cols > 1) shapes among them, the two GPT-2-sized shapes on Verilator (a short subset: smoke, idle + backpressure,
weight starvation, perf; one vector each), a lone test_perf with one x beat per vector (K == Lanes),
and the build-time rejection
of K % Lanes != 0 and N % Cols != 0 on both simulators. The Lanes 1..64 sweep and GPT-2 on Icarus are marked slow.
"""

import pytest

from tbkit.runner import SIMS, expect_rejected, param_tag, run_block, sources

SOURCES = sources("tb_linear")

SMALL = [dict(Lanes=8, K=64, N=24), dict(Lanes=4, K=4, N=7, OutBits=16),  # O and FC2 output int16
         dict(Lanes=4, K=16, N=12, Cols=3, OutBits=32),  # output-parallel, outputs ~ the accumulators
         dict(Lanes=8, K=8, N=8, Cols=2, OutBits=16)]                        # one x beat per group
VERILATOR_ONLY = [dict(Lanes=1, K=48, N=5), dict(Lanes=32, K=96, N=33), dict(Lanes=16, K=64, N=40, Cols=8)]
GPT2 = [dict(Lanes=64, K=768, N=3072), dict(Lanes=64, K=3072, N=768, OutBits=16)]  # FC1, FC2
GPT2_TESTS = ["test_smoke", "test_idle_backpressure", "test_weight_starvation", "test_perf"]
SWEEP = [dict(Lanes=l, K=k, N=n) for l, k, n in
         [(1, 1, 1), (1, 7, 3), (2, 6, 11), (3, 9, 4), (5, 35, 17), (16, 16, 1), (16, 48, 40), (64, 64, 9),
          (64, 192, 65), (48, 96, 13)]]


def run_linear(sim, params, transactions=None, testcase=None):
    tb = {} if transactions is None else {"transactions": transactions}
    return run_block("tb_linear", SOURCES, "tb_linear", sim, params, testcase=testcase, tb_config=tb)


@pytest.mark.parametrize("params", SMALL, ids=param_tag)
@pytest.mark.parametrize("sim", SIMS)
def test_linear(sim, params):
    run_linear(sim, params, transactions=8)


@pytest.mark.parametrize("params", VERILATOR_ONLY, ids=param_tag)
def test_linear_verilator(params):
    run_linear("verilator", params, transactions=8)


@pytest.mark.parametrize("params", GPT2, ids=param_tag)
def test_linear_gpt2(params):
    run_linear("verilator", params, transactions=1, testcase=GPT2_TESTS)


# One x beat per vector (K == Lanes) and an output longer than drain's 20-cycle tail: a lone
# test_perf vector once slipped past env.drain (its source idle before its monitor saw the beat).
SINGLE_BEAT = [dict(Lanes=16, K=16, N=128), dict(Lanes=16, K=16, N=128, Cols=2)]


@pytest.mark.parametrize("params", SINGLE_BEAT, ids=param_tag)
def test_linear_single_beat_perf(params):
    run_linear("verilator", params, testcase="test_perf")


@pytest.mark.slow
@pytest.mark.parametrize("params", SWEEP, ids=param_tag)
@pytest.mark.parametrize("sim", SIMS)
def test_linear_sweep(sim, params):
    run_linear(sim, params, transactions=6)


@pytest.mark.slow
@pytest.mark.parametrize("params", GPT2, ids=param_tag)
def test_linear_gpt2_icarus(params):
    run_linear("icarus", params, transactions=1, testcase=["test_smoke", "test_perf"])


@pytest.mark.parametrize("sim", SIMS)
def test_linear_rejects_k_not_multiple_of_lanes(sim):
    """K % Lanes != 0 is refused when the simulation is elaborated, with a clear message."""
    expect_rejected("tb_linear", SOURCES, "tb_linear", sim, dict(Lanes=8, K=20, N=4),
                    "linear: K (20) must be a multiple of Lanes (8)")


@pytest.mark.parametrize("sim", SIMS)
def test_linear_rejects_n_not_multiple_of_cols(sim):
    """N % Cols != 0 is refused when the simulation is elaborated, with a clear message."""
    expect_rejected("tb_linear", SOURCES, "tb_linear", sim, dict(Lanes=4, K=8, N=6, Cols=4),
                    "linear: N (6) must be a multiple of Cols (4)")
