"""The one source list (tbkit.runner.sources) and the library's FuseSoC core built from it.

- sources(): packages first, a module's files after the files it instantiates, comments ignored,
  unknown tops refused with a one-line error;
- spatial_llm_rtl.core is exactly what `scripts/sllm.py core` generates from the closure now
  (a file added to rtl/ without regenerating the core fails here);
- FuseSoC 2.4.7 itself parses the core, lists it, and sets up a target whose file list (read from
  the EDAM file it writes, in a temporary work dir) is the library's closure with the header as
  an include file.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tbkit.runner import (CORE, DEFAULT_TOP, RTL, ROOT, _instantiated, fusesoc_core, headers, library_files,
                          module_files, packages, sources)

VLNV = "spatial-llm-rtl:lib:rtl:0.1.0"
FUSESOC = Path(sys.executable).parent / "fusesoc"


def test_sources_packages_first_and_leaves_first():
    for top in ("attention", "tb_linear", "tb_decoder_layer", "gelu"):
        files = sources(top)
        pkgs = packages()
        assert files[:len(pkgs)] == pkgs, f"{top}: packages are not first: {files}"
        assert files[-1] == module_files()[top], f"{top}: its own file is not last"
        assert len(files) == len(set(files)), f"{top}: a file is listed twice"


def test_sources_of_the_decoder_layer_cover_every_unit():
    names = {f.name for f in sources("tb_decoder_layer")}
    for unit in ("linear.sv", "layernorm.sv", "softmax.sv", "gelu.sv", "residual_add.sv", "attention.sv",
                 "decoder_layer.sv", "weight_stream.sv", "tb_decoder_layer.sv"):
        assert unit in names, f"{unit} missing from the decoder layer's closure: {sorted(names)}"


def test_instantiations_are_found_and_comments_ignored():
    known = {"linear": RTL / "linear.sv", "requant": RTL / "requant.sv", "axis_fifo": RTL / "axis_fifo.sv",
             "gelu": RTL / "gelu.sv"}
    text = """module top #(parameter int A = 1) (input logic clk);
      requant #(.Stages(2)) u_rq (.clk);
      axis_fifo u_fifo [1:0] (.clk);
      // gelu u_commented (.clk);
      /* linear #(.K(4)) u_block_comment (.clk); */
    endmodule"""
    assert _instantiated(text, known) == ["requant", "axis_fifo"]


def test_unknown_top_is_refused():
    with pytest.raises(ValueError, match="no module 'no_such_unit' in rtl, verif/sv"):
        sources("no_such_unit")


def test_committed_core_equals_the_closure():
    want = fusesoc_core()
    got = CORE.read_text() if CORE.is_file() else ""
    if got != want:
        missing = sorted(set(want.splitlines()) - set(got.splitlines()))
        extra = sorted(set(got.splitlines()) - set(want.splitlines()))
        pytest.fail(f"{CORE.name} disagrees with the source closure (regenerate: scripts/sllm.py core): "
                    f"missing {missing}, not in the closure {extra}")


def core_file_problems(listed: list[dict]) -> list[str]:
    """What is wrong with the files FuseSoC reports ({name, is_include_file}) against the closure."""
    want = [f.relative_to(ROOT).as_posix() for f in library_files()]
    incs = [f.relative_to(ROOT).as_posix() for f in headers()]
    names = [e["name"].split("/", 2)[-1] for e in listed]  # src/<core>/rtl/x.sv -> rtl/x.sv
    problems = [f"missing {f}" for f in want + incs if f not in names]
    problems += [f"not in the closure: {n}" for n in names if n not in want + incs]
    problems += [f"{e['name']} is not an include file" for e, n in zip(listed, names)
                 if n in incs and not e.get("is_include_file")]
    sv = [n for n in names if n in want]
    if sv != want and not problems:
        problems.append(f"order differs from the closure: {sv} != {want}")
    pkgs = [f.relative_to(ROOT).as_posix() for f in packages()]
    if names[:len(pkgs)] != pkgs:
        problems.append(f"packages are not first: {names[:len(pkgs)]}")
    return problems


def _fusesoc(tmp_path: Path, *args: str) -> str:
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_CACHE_HOME=str(tmp_path / "cache"),
               XDG_DATA_HOME=str(tmp_path / "data"))
    proc = subprocess.run([str(FUSESOC), "--cores-root", str(ROOT), *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"fusesoc {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def fusesoc_files(tmp_path_factory) -> dict[str, list[dict]]:
    """{target: the files FuseSoC sets up for it}, for the default target (decoder_layer) and two tops."""
    tmp = tmp_path_factory.mktemp("fusesoc")
    out = {}
    for target in ("default", "attention", "linear"):
        _fusesoc(tmp, "run", "--setup", "--target", target, "--tool", "icarus", "--build-root", str(tmp / "build"), VLNV)
        eda = next((tmp / "build").glob(f"*/{target}-icarus/*.eda.yml"))
        edam = yaml.safe_load(eda.read_text())
        top = DEFAULT_TOP if target == "default" else target
        assert edam["toplevel"] == top, f"target {target} sets up toplevel {edam['toplevel']}, not {top}"
        out[target] = edam["files"]
    return out


def test_fusesoc_lists_the_core(tmp_path):
    listing = _fusesoc(tmp_path, "core", "list")
    assert VLNV in listing, f"fusesoc core list does not show {VLNV}:\n{listing}"
    info = _fusesoc(tmp_path, "core-info", VLNV)
    for target in ("default", "attention", "decoder_layer", "linear"):
        assert f"\n{target} " in info, f"target {target} missing from fusesoc core-info:\n{info}"


@pytest.mark.parametrize("target", ["default", "attention", "linear"])
def test_fusesoc_files_are_the_closure(fusesoc_files, target):
    problems = core_file_problems(fusesoc_files[target])
    assert not problems, f"target {target}: " + "; ".join(problems)


def test_a_file_missing_from_the_core_is_caught(fusesoc_files):
    """The check above can fail: drop one file and the header's include flag from what FuseSoC listed."""
    listed = [dict(e) for e in fusesoc_files["default"]]
    dropped = listed.pop(len(listed) // 2)["name"].split("/", 2)[-1]
    for e in listed:
        e.pop("is_include_file", None)
    problems = core_file_problems(listed)
    assert f"missing {dropped}" in problems, problems
    assert any("is not an include file" in p for p in problems), problems
