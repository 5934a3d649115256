"""Base pyuvm environment and tests shared by every block's testbench.

A block's testbench (verif/tests/tb_<block>.py) describes the block in a `BlockSpec` (its streams,
a numpy model, a stimulus generator and a covergroup) and gets the standard tests from
`standard_tests(spec)`: the stress matrix {no idle, random idle} x {no backpressure, random
backpressure}, a sink stalled at start and a reset in mid-stream. Every test ends by checking that
nothing is left in flight: every expected vector came out, no partial vector is left in any
agent, the handshake count on every stream equals the beats the scoreboard saw, and the block's
own idle check (e.g. a FIFO's level) holds.

Per-test state (a table, weights, scales, a cache mirror) lives in the environment, not in module
globals: a spec with a `state` factory gets a fresh state per test in `env.state`; its `configure`
writes it, and its model, stimulus and on_reset callbacks receive it as their last argument
(cover points see it as txn["state"]).

The test names `standard_tests` registers are in `STRESS` (name -> (description, knobs));
`scripts/sllm.py tests` lists them with each block's own tests (described by their docstrings).
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass, field, replace
from typing import Callable

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from pyuvm import ConfigDB, uvm_env, uvm_root, uvm_test

from tbkit.axis import AxisSinkAgent, AxisSourceAgent, VectorSequence, never, random_pauses, stalled_then, unsigned
from tbkit.checker import AxisProtocolChecker
from tbkit.coverage import Covergroup, CoverageCollector
from tbkit.scoreboard import VectorScoreboard


# The stress mode of a test, {no idle, random idle} x {no backpressure, random backpressure}: what
# every covergroup's "mode" point bins (CoverageCollector samples it with each transaction).
STRESS_MODES = ("noidle_nobp", "idle_nobp", "noidle_bp", "idle_bp")


def stress_mode(idle: bool, backpressure: bool) -> str:
    return STRESS_MODES[int(idle) + 2 * int(backpressure)]


# The cover point of the stress mode, the same in every block's covergroup.
MODE_POINT = (lambda txn: txn["mode"], list(STRESS_MODES))


def tb_config() -> dict:
    """What the runner passed to this simulation (parameters, sim, seed, test_dir, extras)."""
    return json.loads(os.environ.get("TB_CONFIG", "{}"))


@dataclass
class Port:
    elem_bits: int
    signed: bool = False


@dataclass
class BlockSpec:
    """What a block's testbench declares; everything else comes from the shared layer.

    model(inputs) maps {input port: vector} to {output port: [vectors]} (numpy int64, signed
    where the port is signed). stimulus(rng, index) returns one transaction {input port: vector}.
    With a `state` factory, a fresh state is made for every test (env.state) and passed as the
    last argument of model(inputs, state), stimulus(rng, index, state) and on_reset(state).
    """

    name: str
    inputs: dict[str, Port]
    outputs: dict[str, Port]
    model: Callable[[dict], dict]
    stimulus: Callable[[np.random.Generator, int], dict]
    transactions: int = 40
    covergroup: Callable[[], Covergroup] | None = None
    dut_idle: Callable[[object], str | None] | None = None  # returns why the DUT is not idle
    on_reset: Callable[[], None] | None = None  # forget model state (e.g. a KV cache) when the DUT is reset
    max_cycles_per_txn: int = 200  # drain timeout per transaction still in flight
    clock: str = "clk"
    reset_n: str = "rst_n"
    extra_tests: dict = field(default_factory=dict)
    # async configure(env, rng): per-test DUT set-up after the first reset, before any traffic
    # (load tables or parameter memories, drive configuration ports, set env.state for the model).
    configure: Callable | None = None
    state: Callable[[], object] | None = None  # a fresh per-test state (env.state), see above

    def bind(self, state) -> "BlockSpec":
        """This spec with `state` bound into its model, stimulus and on_reset callbacks."""
        if self.state is None:
            return self
        bound = lambda fn: None if fn is None else (lambda *args: fn(*args, state))  # noqa: E731
        return replace(self, model=bound(self.model), stimulus=bound(self.stimulus), on_reset=bound(self.on_reset))


class _StateCoverage(CoverageCollector):
    """The coverage collector, with the test's state in every sampled transaction."""

    def __init__(self, name, parent, group, mode, state):
        super().__init__(name, parent, group, mode)
        self.state = state

    def write(self, txn):
        super().write(dict(txn, state=self.state))


class BlockEnv(uvm_env):
    def build_phase(self):
        declared: BlockSpec = ConfigDB().get(self, "", "SPEC")
        self.state = declared.state() if declared.state else None  # this test's own state
        self.spec: BlockSpec = declared.bind(self.state)
        self.test_cfg = ConfigDB().get(self, "", "TEST")
        self.dut = cocotb.top
        self.seed = tb_config().get("seed", cocotb.RANDOM_SEED)  # the run's seed: what SEED= reproduces
        spec, dut = self.spec, self.dut
        clock, reset = getattr(dut, spec.clock), getattr(dut, spec.reset_n)
        self.sources = {
            p: AxisSourceAgent(f"src_{p}", self, dut, p, port.elem_bits, clock, reset) for p, port in spec.inputs.items()
        }
        self.sinks = {
            p: AxisSinkAgent(f"sink_{p}", self, dut, p, port.elem_bits, clock, reset) for p, port in spec.outputs.items()
        }
        self.agents = self.sources | self.sinks
        lanes = {p: a.lanes for p, a in self.agents.items()}
        ports = lambda d: {p: (port.elem_bits, port.signed, lanes[p]) for p, port in d.items()}
        self.scoreboard = VectorScoreboard("scoreboard", self, spec.model, ports(spec.inputs), ports(spec.outputs), self.seed)
        group = self.covergroup() if spec.covergroup else None
        self.coverage = _StateCoverage("coverage", self, group, self.test_cfg["mode"], self.state)

    _groups: dict = {}

    def covergroup(self):
        # Cover points live in a process-wide database: build each block's group once.
        if self.spec.name not in BlockEnv._groups:
            BlockEnv._groups[self.spec.name] = self.spec.covergroup()
        return BlockEnv._groups[self.spec.name]

    def connect_phase(self):
        for p, agent in self.sources.items():
            agent.monitor.ap.connect(self.scoreboard.taps[p].analysis_export)
        for p, agent in self.sinks.items():
            agent.monitor.ap.connect(self.scoreboard.taps[p].analysis_export)
        self.scoreboard.ap.connect(self.coverage.analysis_export)

    def start_checkers(self):
        clock, reset = getattr(self.dut, self.spec.clock), getattr(self.dut, self.spec.reset_n)
        self.checkers = {p: AxisProtocolChecker(self.dut, p, clock, reset, False, self.seed) for p in self.sources}
        self.checkers |= {p: AxisProtocolChecker(self.dut, p, clock, reset, True, self.seed) for p in self.sinks}

    async def reset(self, cycles: int = 5):
        clock, reset = getattr(self.dut, self.spec.clock), getattr(self.dut, self.spec.reset_n)
        reset.value = 0
        await ClockCycles(clock, cycles)
        for agent in self.sources.values():
            agent.source.clear()  # vectors queued before the reset are not sent after it
        reset.value = 1
        await RisingEdge(clock)
        self.scoreboard.flush()
        if self.spec.on_reset:
            self.spec.on_reset()
        for checker in getattr(self, "checkers", {}).values():
            checker.beats = 0
        for agent in self.agents.values():
            agent.monitor.beats = 0

    async def send(self, transactions: list[dict]):
        """Start one sequence per input port; returns once every vector is queued."""
        for p, agent in self.sources.items():
            vectors = [unsigned(t[p], self.spec.inputs[p].elem_bits) for t in transactions]
            await VectorSequence(f"seq_{p}", vectors).start(agent.seqr)

    def idle(self) -> bool:
        """Nothing owed, no agent busy, and every beat the protocol checkers counted on the bus is in
        a complete vector a monitor has published. drain() samples this right after a rising edge,
        when the cocotbext-axi monitors may not have run for that edge yet: at the edge a lone
        single-beat vector (K == Lanes) transfers, its source already reports idle while its monitor
        has neither started a frame nor published one, so the scoreboard owes nothing; the checker
        counted that handshake at the falling edge before."""
        return (
            self.scoreboard.outstanding() == 0
            and all(a.idle() for a in self.agents.values())
            and not self.unpublished_beats()
        )

    def unpublished_beats(self) -> dict:
        """{port: (handshakes the protocol checker counted, beats its monitor put in complete
        vectors)} for every port where the two differ."""
        counts = {p: (c.beats, self.agents[p].monitor.beats) for p, c in getattr(self, "checkers", {}).items()}
        return {p: n for p, n in counts.items() if n[0] != n[1]}

    async def drain(self, in_flight: int):
        """Wait for every expected output, then check nothing is left anywhere."""
        clock = getattr(self.dut, self.spec.clock)
        limit = self.spec.max_cycles_per_txn * max(in_flight, 1) + 1000
        for cycle in range(limit):
            if self.idle():
                break
            await RisingEdge(clock)
        else:
            state = [f"{p}: {self.checkers[p].beats} beats through, {agent.monitor.beats} in complete vectors, "
                     f"{'idle' if agent.idle() else 'busy'}" for p, agent in self.agents.items()]
            raise AssertionError(
                f"timeout: DUT stopped after {limit} cycles with {self.scoreboard.outstanding()} complete input "
                f"transactions still owed output; " + "; ".join(state) + f" (seed {self.seed})"
            )
        await ClockCycles(clock, 20)  # anything extra would arrive now and fail the scoreboard
        self.check_nothing_in_flight()

    def check_nothing_in_flight(self):
        self.scoreboard.check_phase()  # extra or missing vectors, with the scoreboard's own message
        problems = []
        for p, agent in self.agents.items():
            if not agent.idle():
                problems.append(f"{p}: agent not idle (partial vector)")
        for p, (handshakes, seen) in self.unpublished_beats().items():
            problems.append(f"{p}: {handshakes} handshakes but {seen} beats in complete vectors")
        if self.spec.dut_idle:
            why = self.spec.dut_idle(self.dut)
            if why:
                problems.append(why)
        if problems:
            raise AssertionError("left in flight at the end: " + "; ".join(problems) + f" (seed {self.seed})")


class BlockTest(uvm_test):
    """Base test: reset, optional mid-stream reset, random transactions, drain, checks."""

    spec: BlockSpec = None
    idle = False  # random idle cycles on the inputs
    backpressure = False  # random backpressure on the outputs
    stall_start = 0  # cycles the sinks refuse everything at the start
    reset_mid_stream = False

    def build_phase(self):
        ConfigDB().set(None, "*", "SPEC", self.spec)
        ConfigDB().set(None, "*", "TEST", {"mode": stress_mode(self.idle, self.backpressure)})
        self.env = BlockEnv("env", self)

    def rng(self) -> np.random.Generator:
        """Per-test randomness. cocotb mixes the run seed with the test name, so a test run alone
        (make waves) sees the same stimulus as in the whole module."""
        return np.random.default_rng(cocotb.RANDOM_SEED)

    def patterns(self, pyrng: random.Random):
        env = self.env
        # No pattern at all rather than an all-False one: a pause generator wakes Python every cycle.
        for agent in env.sources.values():
            agent.set_idle(random_pauses(pyrng, pyrng.uniform(0.2, 0.7)) if self.idle else None)
        for agent in env.sinks.values():
            tail = random_pauses(pyrng, pyrng.uniform(0.2, 0.7)) if self.backpressure else never()
            if self.stall_start:
                agent.set_backpressure(stalled_then(self.stall_start, tail))
            else:
                agent.set_backpressure(tail if self.backpressure else None)

    async def run_phase(self):
        self.raise_objection()
        env, spec = self.env, self.env.spec  # the env's spec: callbacks bound to this test's state
        rng = self.rng()
        pyrng = random.Random(int(rng.integers(2**63)))
        self.logger.info(f"{type(self).__name__}: seed {env.seed}")
        Clock(getattr(env.dut, spec.clock), 10, unit="ns", impl="gpi").start(start_high=False)
        await env.reset()
        env.start_checkers()
        if spec.configure:
            await spec.configure(env, rng)
        self.patterns(pyrng)
        if self.reset_mid_stream:
            # Half-sent traffic, then reset: nothing of it may come out afterwards.
            await env.send([spec.stimulus(rng, i) for i in range(max(spec.transactions // 4, 2))])
            await ClockCycles(getattr(env.dut, spec.clock), int(rng.integers(3, 60)))
            await env.reset()
        await self.body(rng)
        self.drop_objection()

    async def body(self, rng: np.random.Generator):
        spec = self.env.spec
        transactions = [spec.stimulus(rng, i) for i in range(spec.transactions)]
        await self.env.send(transactions)
        await self.env.drain(len(transactions))

    def report_phase(self):
        test_dir = tb_config().get("test_dir")
        self.env.coverage.export(test_dir)
        if test_dir and hasattr(self.env, "checkers"):
            # Handshakes per stream, for cross-checks against the dumped waves (tbkit.waves).
            path = os.path.join(test_dir, "handshakes.json")
            counts = json.load(open(path)) if os.path.exists(path) else {}
            counts[type(self).__name__] = {p: c.beats for p, c in self.env.checkers.items()}
            with open(path, "w") as f:
                json.dump(counts, f, indent=1)


# Every test class registered, per test module: {module name: {test name: class}} (for listings).
REGISTERED: dict[str, dict[str, type]] = {}


def register_tests(module_name: str, classes: list[type]) -> None:
    """Register pyuvm test classes with cocotb in `module_name` (what pyuvm.test() does for its caller)."""
    import sys

    module = sys.modules[module_name]
    REGISTERED.setdefault(module_name, {}).update({cls.__name__: cls for cls in classes})
    for cls in classes:

        async def run(_, cls=cls):
            await uvm_root().run_test(cls)

        run.__name__ = run.__qualname__ = cls.__name__
        run.__module__ = module_name
        setattr(module, cls.__name__, cocotb.test(name=cls.__name__)(run))


# The standard tests: name -> (what it does, BlockTest knobs).
STRESS = {
    "test_smoke": ("random transactions, no idle cycles on the inputs, no backpressure", dict()),
    "test_idle": ("random idle cycles on every input stream", dict(idle=True)),
    "test_backpressure": ("random backpressure on every output stream", dict(backpressure=True)),
    "test_idle_backpressure": ("random idle cycles on the inputs and random backpressure on the outputs",
                               dict(idle=True, backpressure=True)),
    "test_sink_stalled_at_start": ("the outputs refuse every beat for 200 cycles, then random backpressure",
                                   dict(backpressure=True, stall_start=200)),
    "test_reset_mid_stream": ("a reset with traffic half sent (idle + backpressure): nothing of it may come out, "
                              "then random transactions", dict(idle=True, backpressure=True, reset_mid_stream=True)),
}


def standard_tests(module_name: str, spec: BlockSpec, base: type = BlockTest) -> None:
    """Register the stress matrix plus stall-at-start and reset-in-mid-stream for `spec`."""
    classes = [type(name, (base,), dict(knobs, spec=spec, __doc__=doc)) for name, (doc, knobs) in STRESS.items()]
    classes += [type(name, (cls,), dict(spec=spec, __doc__=cls.__doc__)) for name, cls in spec.extra_tests.items()]
    register_tests(module_name, classes)


def vector_length(rng: np.random.Generator, index: int, max_beats: int, lanes: int = 1) -> int:
    """Elements in the index-th vector: 1 beat first, the longest second, then random lengths."""
    beats = 1 if index == 0 else max_beats if index == 1 else int(rng.integers(1, max_beats + 1))
    return beats * lanes
