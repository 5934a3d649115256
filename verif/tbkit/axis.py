"""pyuvm AXI-Stream agents on top of cocotbext-axi.

A stream carries vectors: each element is `elem_bits` wide, `lanes` elements per beat (lane 0 in
the low bits of tdata), and tlast ends a vector. Items on the Python side are lists of unsigned
element values, one list per vector; `signed()`/`unsigned()` convert.

- AxisSourceAgent: sequencer + driver (an AxiStreamSource with an idle pattern) + a monitor of
  the beats the DUT actually accepted.
- AxisSinkAgent: an AxiStreamSink with a backpressure pattern + a monitor of received vectors.
Both monitors publish every complete vector on their analysis port `ap`.
"""

from __future__ import annotations

import itertools
import logging
import random
from typing import Iterator

import numpy as np
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamMonitor, AxiStreamSink, AxiStreamSource
from pyuvm import uvm_agent, uvm_analysis_port, uvm_component, uvm_driver, uvm_sequence, uvm_sequence_item, uvm_sequencer

# cocotbext-axi logs every frame at INFO: far too slow and noisy for long vectors.
logging.getLogger("cocotb.axis").setLevel(logging.WARNING)


def signed(values, bits: int) -> np.ndarray:
    """Unsigned `bits`-wide element values as signed integers (int64)."""
    v = np.asarray(values, dtype=np.int64)
    return np.where(v >= 1 << (bits - 1), v - (1 << bits), v)


def unsigned(values, bits: int) -> list[int]:
    """Signed (or unsigned) integers as unsigned `bits`-wide element values."""
    return [int(x) & ((1 << bits) - 1) for x in np.asarray(values, dtype=np.int64).ravel()]


# ---- Idle and backpressure patterns: infinite generators of "pause this cycle" flags ----

def never() -> Iterator[bool]:
    return itertools.repeat(False)


def random_pauses(rng: random.Random, probability: float) -> Iterator[bool]:
    while True:
        yield rng.random() < probability


def stalled_then(cycles: int, then: Iterator[bool]) -> Iterator[bool]:
    """Pause for the first `cycles` cycles (a sink stalled at start), then follow `then`."""
    return itertools.chain(itertools.repeat(True, cycles), then)


class VectorItem(uvm_sequence_item):
    """One vector for one stream, as unsigned element values."""

    def __init__(self, name: str, data: list[int]):
        super().__init__(name)
        self.data = data

    def __str__(self):
        return f"{self.get_name()}: {len(self.data)} elements"


class VectorSequence(uvm_sequence):
    """Sends a list of vectors, in order, to one source agent's sequencer."""

    def __init__(self, name: str, vectors: list[list[int]]):
        super().__init__(name)
        self.vectors = vectors

    async def body(self):
        for i, data in enumerate(self.vectors):
            item = VectorItem(f"{self.get_name()}[{i}]", data)
            await self.start_item(item)
            await self.finish_item(item)


class AxisDriver(uvm_driver):
    """Hands each vector to a cocotbext-axi AxiStreamSource, which applies the idle pattern."""

    def __init__(self, name, parent, source: AxiStreamSource):
        super().__init__(name, parent)
        self.source = source

    async def run_phase(self):
        while True:
            item = await self.seq_item_port.get_next_item()
            await self.source.send(AxiStreamFrame(list(item.data)))
            self.seq_item_port.item_done()


class AxisVectorMonitor(uvm_component):
    """Publishes every complete vector seen by a cocotbext-axi monitor or sink."""

    def __init__(self, name, parent, mon: AxiStreamMonitor):
        super().__init__(name, parent)
        self.mon = mon
        self.ap = uvm_analysis_port("ap", self)
        self.beats = 0  # beats in complete vectors, checked against the handshake count

    async def run_phase(self):
        while True:
            frame = await self.mon.recv()
            self.beats += -(-len(frame.tdata) // self.mon.byte_lanes)
            self.ap.write(list(frame.tdata))


def _bus(dut, prefix: str) -> AxiStreamBus:
    return AxiStreamBus.from_prefix(dut, prefix)


class AxisSourceAgent(uvm_agent):
    """Drives vectors into a DUT input stream `prefix` and monitors what the DUT accepts."""

    def __init__(self, name, parent, dut, prefix: str, elem_bits: int, clock, reset):
        super().__init__(name, parent)
        self.prefix = prefix
        bus = _bus(dut, prefix)
        self.source = AxiStreamSource(bus, clock, reset, reset_active_level=False, byte_size=elem_bits)
        self.accepted = AxiStreamMonitor(bus, clock, reset, reset_active_level=False, byte_size=elem_bits)
        self.lanes = self.source.byte_lanes

    def build_phase(self):
        self.seqr = uvm_sequencer("seqr", self)
        self.driver = AxisDriver("driver", self, self.source)
        self.monitor = AxisVectorMonitor("monitor", self, self.accepted)

    def connect_phase(self):
        self.driver.seq_item_port.connect(self.seqr.seq_item_export)

    def set_idle(self, pattern: Iterator[bool] | None):
        """Idle cycles from `pattern` (True = hold back a beat); None: never idle."""
        self.source.set_pause_generator(pattern)
        if pattern is None:
            self.source.pause = False

    def idle(self) -> bool:
        return self.source.idle() and self.accepted.idle()


class AxisSinkAgent(uvm_agent):
    """Receives vectors from a DUT output stream `prefix` with a backpressure pattern."""

    def __init__(self, name, parent, dut, prefix: str, elem_bits: int, clock, reset):
        super().__init__(name, parent)
        self.prefix = prefix
        self.sink = AxiStreamSink(_bus(dut, prefix), clock, reset, reset_active_level=False, byte_size=elem_bits)
        self.lanes = self.sink.byte_lanes

    def build_phase(self):
        self.monitor = AxisVectorMonitor("monitor", self, self.sink)

    def set_backpressure(self, pattern: Iterator[bool] | None):
        """Backpressure from `pattern` (True = refuse a beat); None: always ready."""
        self.sink.set_pause_generator(pattern)
        if pattern is None:
            self.sink.pause = False

    def idle(self) -> bool:
        """No partial vector in progress and nothing received but not yet published."""
        return self.sink.idle() and self.sink.empty()
