"""AXI4-Stream protocol checker, in Python so that it runs on both simulators.

Sampled at every falling clock edge, when the cycle's values are settled (the testbench drives on
rising edges), so a beat transfers at the next rising edge iff tvalid && tready in that sample.
While tvalid is low and nothing is pending it sleeps until tvalid changes, so a unit busy
computing for thousands of cycles costs the simulation nothing here.
Rules, outside reset:
- the side the DUT drives (tvalid/tdata/tlast of an output stream, tready of an input stream)
  is never X or Z; tdata/tlast only when tvalid is high;
- once tvalid is high and tready low, tvalid stays high and tdata/tlast stay stable until the
  beat is accepted.
A violation raises at once, naming the signal and the simulation time.
"""

from __future__ import annotations

import cocotb
from cocotb.triggers import FallingEdge, ValueChange
from cocotb.utils import get_sim_time


def _known(value) -> bool:
    resolvable = getattr(value, "is_resolvable", None)
    if resolvable is not None:
        return bool(resolvable)
    return str(value) in ("0", "1")


class ProtocolViolation(AssertionError):
    pass


class AxisProtocolChecker:
    """Checks one stream `prefix` of `dut`; `dut_drives_valid` is True for the DUT's output streams."""

    def __init__(self, dut, prefix: str, clock, reset_n, dut_drives_valid: bool, seed: int | None = None):
        self.prefix = prefix
        self.valid = getattr(dut, f"{prefix}_tvalid")
        self.ready = getattr(dut, f"{prefix}_tready")
        self.data = getattr(dut, f"{prefix}_tdata")
        self.last = getattr(dut, f"{prefix}_tlast", None)
        self.clock = clock
        self.reset_n = reset_n
        self.dut_drives_valid = dut_drives_valid
        self.seed = seed
        self.beats = 0  # handshakes seen, for cross-checks against scoreboards and waves
        self._task = cocotb.start_soon(self._run())

    def stop(self):
        self._task.cancel()

    def _fail(self, what: str):
        seed = f" (seed {self.seed})" if self.seed is not None else ""
        raise ProtocolViolation(f"AXI-Stream protocol: {what} at {get_sim_time('ns'):.0f} ns{seed}")

    def _check_known(self, signal, name: str):
        if not _known(signal.value):
            self._fail(f"{self.prefix}_{name} is {signal.value} (X/Z)")

    async def _run(self):
        pending = None  # (data, last) of a beat offered but not yet accepted
        edge = FallingEdge(self.clock)
        while True:
            await edge
            if not _known(self.reset_n.value) or not int(self.reset_n.value):
                pending = None
                continue
            if self.dut_drives_valid:
                self._check_known(self.valid, "tvalid")
            else:
                self._check_known(self.ready, "tready")
            if not _known(self.valid.value) or not _known(self.ready.value):
                continue
            valid, ready = int(self.valid.value), int(self.ready.value)
            if pending is not None and not valid:
                self._fail(f"{self.prefix}_tvalid dropped before the beat was accepted")
            if valid:
                if self.dut_drives_valid:
                    self._check_known(self.data, "tdata")
                    if self.last is not None:
                        self._check_known(self.last, "tlast")
                beat = (str(self.data.value), str(self.last.value) if self.last is not None else "")
                if pending is not None and beat != pending:
                    self._fail(
                        f"{self.prefix}_tdata/tlast changed while stalled: {pending} -> {beat}"
                    )
                pending = None if ready else beat
                self.beats += int(ready)
            elif pending is None:
                await ValueChange(self.valid)
