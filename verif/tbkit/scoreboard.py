"""Scoreboard: the DUT's output vectors against a numpy model, beat by beat.

Input vectors come from the source agents' monitors (what the DUT really accepted). When every
input port has a vector, the model turns that transaction into the expected output vectors per
output port. Each received output vector is compared with the oldest expected one; a wrong
element, a missing or extra beat, an unexpected vector, or an expected vector that never came
out fails the test with the port, vector index, beat, lane, expected and actual values and seed.
"""

from __future__ import annotations

from collections import deque
from typing import Callable

import numpy as np
from pyuvm import uvm_analysis_port, uvm_component, uvm_subscriber

from tbkit.axis import signed, unsigned


class ScoreboardMismatch(AssertionError):
    pass


class _Tap(uvm_subscriber):
    """Routes one monitor's vectors to a scoreboard callback."""

    def __init__(self, name, parent, callback):
        super().__init__(name, parent)
        self.callback = callback

    def write(self, vector):
        self.callback(vector)


class VectorScoreboard(uvm_component):
    """`ports` maps each port name to its (elem_bits, signed, lanes)."""

    def __init__(self, name, parent, model: Callable, inputs: dict, outputs: dict, seed: int):
        super().__init__(name, parent)
        self.model = model
        self.inputs = inputs
        self.outputs = outputs
        self.seed = seed
        self.ap = uvm_analysis_port("ap", self)  # completed transactions, for coverage
        self.taps = {}
        self.flush()

    def flush(self):
        """Forget everything in flight (after a reset)."""
        self.pending_inputs = {p: deque() for p in self.inputs}
        self.expected = {p: deque() for p in self.outputs}
        # Outputs may complete before their input does (zero-latency blocks): held until matched.
        self.received = {p: deque() for p in self.outputs}
        self.in_count = {p: 0 for p in self.inputs}
        self.out_count = {p: 0 for p in self.outputs}
        self.open_txns = deque()  # transactions whose outputs are not all compared yet

    def build_phase(self):
        for port in list(self.inputs) + list(self.outputs):
            is_input = port in self.inputs
            cb = (lambda v, p=port: self.on_input(p, v)) if is_input else (lambda v, p=port: self.on_output(p, v))
            self.taps[port] = _Tap(f"tap_{port}", self, cb)

    def _value(self, port, vector):
        bits, is_signed, _ = (self.inputs | self.outputs)[port]
        return signed(vector, bits) if is_signed else np.asarray(vector, dtype=np.int64)

    def on_input(self, port, vector):
        self.in_count[port] += 1
        self.pending_inputs[port].append(self._value(port, vector))
        if all(self.pending_inputs.values()):
            txn = {p: q.popleft() for p, q in self.pending_inputs.items()}
            expected = self.model(txn)
            missing = set(self.outputs) - set(expected)
            if missing:
                raise ScoreboardMismatch(f"model returned no output for ports {sorted(missing)}")
            record = {"inputs": txn, "outputs": {}, "remaining": 0}
            for p, vectors in expected.items():
                for v in vectors:
                    self.expected[p].append((np.asarray(v, dtype=np.int64), record))
                    record["remaining"] += 1
            self.open_txns.append(record)
            for p in self.outputs:
                self._match(p)

    def on_output(self, port, vector):
        self.received[port].append((self.out_count[port], self._value(port, vector)))
        self.out_count[port] += 1
        self._match(port)

    def _match(self, port):
        while self.expected[port] and self.received[port]:
            self._compare(port, *self.received[port].popleft())

    def _compare(self, port, index, got):
        bits, _, lanes = self.outputs[port]
        where = f"{port} vector #{index}"
        want, record = self.expected[port].popleft()
        n = min(len(want), len(got))
        bad = np.nonzero(np.asarray(unsigned(want[:n], bits)) != np.asarray(unsigned(got[:n], bits)))[0]
        if len(bad):
            i = int(bad[0])
            raise ScoreboardMismatch(
                f"{where} beat {i // lanes} lane {i % lanes} (element {i}): expected {int(want[i])} "
                f"got {int(got[i])}; {len(bad)} of {n} elements differ (seed {self.seed})"
            )
        if len(got) != len(want):
            kind = "missing" if len(got) < len(want) else "extra"
            raise ScoreboardMismatch(
                f"{where}: expected {len(want)} elements ({_beats(len(want), lanes)} beats), got "
                f"{len(got)} ({_beats(len(got), lanes)} beats): {kind} beat(s) (seed {self.seed})"
            )
        record["outputs"].setdefault(port, []).append(got)
        record["remaining"] -= 1
        self._close_done()

    def _close_done(self):
        while self.open_txns and self.open_txns[0]["remaining"] == 0:
            self.ap.write(self.open_txns.popleft())

    def outstanding(self) -> int:
        """Vectors still expected out of the DUT, or inputs still waiting for their partners."""
        return sum(len(q) for q in self.expected.values()) + sum(len(q) for q in self.pending_inputs.values())

    def check_phase(self):
        for port, q in self.received.items():
            if q:
                index, got = q[0]
                lanes = self.outputs[port][2]
                raise ScoreboardMismatch(
                    f"{port} vector #{index}: unexpected vector of {len(got)} elements "
                    f"({_beats(len(got), lanes)} beats), nothing was expected: extra output (seed {self.seed})"
                )
        for port, q in self.expected.items():
            if q:
                raise ScoreboardMismatch(
                    f"{port}: {len(q)} expected vectors never came out "
                    f"(first {len(q[0][0])} elements long, after {self.out_count[port]} received) (seed {self.seed})"
                )
        for port, q in self.pending_inputs.items():
            if q:
                raise ScoreboardMismatch(f"{port}: {len(q)} input vectors without partners on the other inputs")


def _beats(elements: int, lanes: int) -> int:
    return -(-elements // lanes)
