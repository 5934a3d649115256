"""The main job (make run, scripts/run_gpt2.py): bad requests get a clear error before any
simulation, and decoding up to the full context stays bit-exact, then the next token is refused."""

import json
import sys

import pytest

from tbkit.runner import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import run_gpt2  # noqa: E402


@pytest.mark.parametrize("args, message", [
    (["--prompt", ""], "the prompt is empty"),
    (["--tokens", "0"], "--tokens=0 is out of range; accepted: a whole number >= 1"),
    (["--prompt", "x" * 128], "the prompt is 128 tokens; the context holds 128"),
    (["--params", "/nonexistent/params.npz"], "cannot load the parameter file"),
    (["--lanes", "3"], "is not a multiple of lanes=3"),
])
def test_run_rejects_bad_requests(args, message, capsys, tmp_path):
    """Refused before any build, in one line; the stale report of an earlier run is removed (a
    run.json on disk is always a finished run's)."""
    report = tmp_path / "run.json"
    report.write_text('{"stale": true}')
    assert run_gpt2.main(args + ["--report", str(report)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert not report.exists()


def test_run_to_full_context_then_refuses(capsys, tmp_path):
    """A 124-byte prompt and 10 requested tokens: 4 fit (positions 124..127), all bit-exact; the
    5th would need position 128 of the 128-entry cache and is refused with exit status 2."""
    report = tmp_path / "run.json"
    prompt = ("The standard library " * 6)[:124]
    code = run_gpt2.main(["--prompt", prompt, "--tokens", "10", "--report", str(report)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "context full" in err and "position 128" in err
    r = json.loads(report.read_text())
    assert r["tokens"] == 4 and r["requested_tokens"] == 10
    assert r["bit_exact"] is True and r["mismatches"] == []
    assert r["layer_steps"] == 2 * 128  # every position 0..127 through both layers
    for key in ("cycles_per_token_layer", "predicted_cycles_per_token_layer", "sim", "sim_cycles_per_second", "text"):
        assert r[key] is not None, key
    # the weight-streaming bound: the tiny GPT-2's 4d^2 + 2*d*d_ffn int8 weights (d=128, d_ffn=512)
    # over the shared weight bus's bytes per cycle, as issue 13 defines the ratio
    bus = r["rtl_parameters"]["WeightBusBytes"]
    assert r["weight_bound"]["weight_bytes"] == 4 * 128 * 128 + 2 * 128 * 512
    assert r["bound_ratio"] == pytest.approx(r["cycles_per_token_layer"] * bus / r["weight_bound"]["weight_bytes"])
    assert r["bound_ratio"] >= 1.0  # no token faster than its weights can arrive


@pytest.mark.slow
def test_run_smollm2_answers_like_float(tmp_path):
    """make run MODEL=smollm2 with the default prompt (about 6 minutes): every layer of every
    token bit-exact on the RTL, and the answer token for token transformers' float greedy answer
    from the same GGUF."""
    report = tmp_path / "run.json"
    assert run_gpt2.main(["--model", "smollm2", "--report", str(report)]) == 0
    r = json.loads(report.read_text())
    assert r["model"] == "smollm2" and r["bit_exact"] is True and r["mismatches"] == []
    assert r["float_tokens"] is not None and r["tokens"] == r["float_tokens"], (r["text"], r["float_text"])
    assert r["text"] == r["float_text"] and r["text"]
    # every position of the prompt and of the answer (but its last token) through all 30 layers
    assert r["layer_steps"] == 30 * (r["prompt_tokens"] + len(r["tokens"]) - 1)
    assert r["bound_ratio"] >= 1.0  # no token faster than its weights can arrive
