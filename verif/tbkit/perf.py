"""Latency and throughput measurement: a log of every handshake on a block's streams.

`HandshakeLog(dut, prefixes, clock)` samples each stream at every falling clock edge, like the
protocol checker (the beat transfers at the next rising edge when tvalid && tready there), and groups the beats into vectors by tlast. A block's
timing test sends a few vectors without idle or backpressure, then compares `vectors(prefix)`
(first cycle, last cycle, beats) on its input and output ports with the latency and throughput
its RTL header states.
"""

from __future__ import annotations

from dataclasses import dataclass

import cocotb
from cocotb.triggers import FallingEdge


@dataclass
class VectorTiming:
    first: int  # cycle of the first beat's handshake
    last: int  # cycle of the tlast beat's handshake
    beats: int


class HandshakeLog:
    def __init__(self, dut, prefixes: list[str], clock):
        self.clock = clock
        self.cycle = 0
        self.streams = {
            p: (getattr(dut, f"{p}_tvalid"), getattr(dut, f"{p}_tready"), getattr(dut, f"{p}_tlast")) for p in prefixes
        }
        self.done = {p: [] for p in prefixes}
        self.open = {p: None for p in prefixes}
        self._task = cocotb.start_soon(self._run())

    def stop(self):
        self._task.cancel()

    async def _run(self):
        while True:
            await FallingEdge(self.clock)
            self.cycle += 1
            for p, (valid, ready, last) in self.streams.items():
                if str(valid.value) == "1" and str(ready.value) == "1":
                    cur = self.open[p] or VectorTiming(self.cycle, self.cycle, 0)
                    cur.last, cur.beats = self.cycle, cur.beats + 1
                    self.open[p] = cur
                    if str(last.value) == "1":
                        self.done[p].append(cur)
                        self.open[p] = None

    def vectors(self, prefix: str) -> list[VectorTiming]:
        return list(self.done[prefix])
