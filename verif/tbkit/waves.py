"""Reading the FST waves a run wrote (pywellen) and making them pleasant to open (GTKWave view).

- stream_handshakes(): beats transferred on each AXI-Stream of the DUT, counted from the waves
  alone, for tests that cross-check the testbench's own counts against what was really dumped.
- write_gtkw(): a .gtkw save file beside the FST, with every AXI-Stream interface of the top
  grouped (valid, ready, data, last) and the top's clock, reset and state registers (*_q), opened
  zoomed to the whole run, with a marker at a given time (the first error: first_error()).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from pathlib import Path

import pywellen

_STREAM = re.compile(r"^(?P<prefix>\w+?)_t(?P<field>valid|ready|data|last)$")
_UNITS = {"fs": 1e-15, "ps": 1e-12, "ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
# cocotb starts every log line with the simulation time: "  2965.00ns WARNING  cocotb.regression
# tb_gelu.test_smoke failed", then the traceback, ending with the exception's message.
_LOG_ERROR = re.compile(r"^\s*(?P<time>\d+(?:\.\d+)?)(?P<unit>fs|ps|ns|us|ms|s)\s+"
                        r"(?:(?:ERROR|CRITICAL)\b|WARNING\s+cocotb\.regression\s+\S+ failed)")
_EXCEPTION = re.compile(r"^\s*[\w.]*(?:Error|Mismatch|Failure|Exception)\b.*?: \S")
GTKW_WAVE_PIXELS = 1000  # the wave pane width the zoom fits the run into ([size] 1400 minus the names)


def _top_vars(path: Path) -> tuple[str, dict]:
    """The DUT's top scope name and its variables {local name: Var} (Verilator's $rootio skipped)."""
    wave = pywellen.Waveform(str(path))
    by_scope = defaultdict(dict)
    for var in wave.all_vars():
        scope, _, name = var.full_name.rpartition(".")
        by_scope[scope][name] = var
    tops = [s for s in by_scope if s and "." not in s and not s.startswith("$")]
    if not tops:
        raise ValueError(f"{path}: no top-level scope found")
    return tops[0], by_scope[tops[0]], wave


def top_scope(path: Path) -> str:
    """The DUT's top scope name in an FST (the harness module, e.g. tb_decoder_layer)."""
    return _top_vars(path)[0]


def streams(names) -> dict[str, dict[str, str]]:
    """{prefix: {field: signal name}} for every prefix with at least tvalid and tready."""
    found = defaultdict(dict)
    for name in names:
        m = _STREAM.match(name)
        if m:
            found[m["prefix"]][m["field"]] = name
    return {p: f for p, f in sorted(found.items()) if {"valid", "ready"} <= set(f)}


def _at_rising_edges(wave, variables: dict, clock: str, on_edge) -> None:
    """Call on_edge(values) at every rising edge of `clock` with the value of every variable of
    `variables` ({name: Var}, the clock among them) as the edge samples it: everything dumped at
    the edge's own timestamp was driven by it, so the state of the previous timestamp is what the
    edge sees. X/Z read as 0."""
    ids = {str(v.signal_id): n for n, v in variables.items()}  # SignalId compares by str only
    state = dict.fromkeys(variables, 0)
    before = dict(state)
    current = {"time": None}

    def on_change(time, signal_id, value):
        if time != current["time"]:
            before.update(state)
            current["time"] = time
        name = ids[str(signal_id)]
        value = int(value) if isinstance(value, int) or str(value).isdigit() else 0
        if name == clock and value == 1 and before[clock] == 0:
            on_edge(before)
        state[name] = value

    wave.stream_changes(on_change, list(variables.values()))


def stream_handshakes(path: Path, clock: str = "clk", reset_n: str = "rst_n") -> dict[str, int]:
    """Count, per stream of the top, the rising clock edges with tvalid && tready outside reset."""
    top, variables, wave = _top_vars(path)
    groups = streams(variables)
    watched = {clock, reset_n} | {f[k] for f in groups.values() for k in ("valid", "ready")}
    counts = dict.fromkeys(groups, 0)

    def on_edge(v):
        if v[reset_n] == 1:
            for prefix, fields in groups.items():
                counts[prefix] += int(v[fields["valid"]] and v[fields["ready"]])

    _at_rising_edges(wave, {n: variables[n] for n in watched}, clock, on_edge)
    return counts


def sample_per_cycle(path: Path, names: list[str], clock: str = "clk") -> dict[str, list[int]]:
    """Every signal of `names` (full hierarchical names, e.g. "tb.u_layer.qkv_tvalid") sampled at
    each rising edge of `clock` (a full name too), as the edge sees it. One list entry per rising
    edge, in order; X/Z read as 0."""
    wave = pywellen.Waveform(str(path))
    by_name = {v.full_name: v for v in wave.all_vars()}
    missing = [n for n in [clock, *names] if n not in by_name]
    if missing:
        raise KeyError(f"{path}: no signal {missing[0]!r} in the waves")
    out = {n: [] for n in names}

    def on_edge(v):
        for n in names:
            out[n].append(v[n])

    _at_rising_edges(wave, {n: by_name[n] for n in dict.fromkeys([clock, *names])}, clock, on_edge)
    return out


def first_error(log: Path) -> tuple[float, str] | None:
    """(simulation time in seconds, message) of the first error or failed test in a cocotb sim.log."""
    if not log.is_file():
        return None
    lines = log.read_text(errors="replace").splitlines()
    for i, line in enumerate(lines):
        m = _LOG_ERROR.match(line)
        if m:
            why = next((ln.strip() for ln in lines[i + 1:i + 80] if _EXCEPTION.match(ln)), line.strip())
            return float(m["time"]) * _UNITS[m["unit"]], why[:300]
    return None


def _seconds_per_tick(wave) -> float:
    ts = wave.timescale
    return ts.factor * _UNITS[str(ts.unit).strip().lower()]


def _end_tick(wave, variables: dict) -> int:
    """The last timestamp with a change of the top's clock (or of any top variable)."""
    watched = [variables["clk"]] if "clk" in variables else list(variables.values())
    end = {"t": 0}
    wave.stream_changes(lambda time, _id, _value: end.update(t=max(end["t"], time)), watched)
    return end["t"]


def write_gtkw(fst: Path, marker_s: float | None = None) -> Path:
    """Write <fst>.gtkw: the top's streams grouped, then clock/reset and the state registers,
    zoomed to show the whole run; marker_s (seconds of simulation time) places the marker."""
    top, variables, wave = _top_vars(fst)
    tick = _seconds_per_tick(wave)
    end = max(_end_tick(wave, variables), 1)
    # GTKWave 3.3 save files: "*<zoom> <marker> <26 named markers>", time per pixel = 2^-zoom ticks.
    zoom = -math.log2(end / GTKW_WAVE_PIXELS)
    marker = round(marker_s / tick) if marker_s is not None else -1
    named = [marker] + [-1] * 25  # marker A at the same time, so it stays when the primary moves

    def line(name: str) -> str:
        width = variables[name].bitwidth
        return f"{top}.{name}" + (f"[{width - 1}:0]" if width and width > 1 else "")

    out = [f'[dumpfile] "{fst.resolve()}"', f'[savefile] "{fst.with_suffix(".gtkw").resolve()}"', "[timestart] 0",
           "[size] 1400 700", "[signals_width] 300", "[sst_expanded] 0",
           f"*{zoom:.6f} {marker} " + " ".join(map(str, named))]
    out += ["@28", line("clk")] if "clk" in variables else []
    out += [line("rst_n")] if "rst_n" in variables else []
    for prefix, fields in streams(variables).items():
        out += ["@800200", f"-{prefix}", "@28"]
        out += [line(fields[k]) for k in ("valid", "ready", "last") if k in fields]
        if "data" in fields:
            out += ["@22", line(fields["data"])]
        out += ["@1000200", f"-{prefix}"]
    state = sorted(n for n in variables if n.endswith("_q"))
    if state:
        out += ["@800200", "-state", "@22"] + [line(n) for n in state] + ["@1000200", "-state"]
    path = fst.with_suffix(".gtkw")
    path.write_text("\n".join(out) + "\n")
    return path
