"""Functional coverage on cocotb-coverage: covergroups per block, sampled per transaction.

A block declares its cover points as functions of a completed transaction (the dict the
scoreboard publishes: inputs, outputs, and the test's stress mode) with explicit bins. The
collector is a pyuvm subscriber on the scoreboard; at the end of every test it writes the
cumulative hits of the simulation to <test_dir>/functional_coverage.json and logs the holes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_db, coverage_section
from pyuvm import uvm_subscriber


class Covergroup:
    """points: name -> (function of the transaction, bins); crosses: name -> [point names]."""

    def __init__(self, block: str, points: dict[str, tuple[Callable, list]], crosses: dict[str, list[str]] | None = None):
        self.block = block
        items = [CoverPoint(f"{block}.{name}", xf=fn, bins=list(bins)) for name, (fn, bins) in points.items()]
        for name, parts in (crosses or {}).items():
            items.append(CoverCross(f"{block}.{name}", items=[f"{block}.{p}" for p in parts]))

        @coverage_section(*items)
        def sample(txn):
            pass

        self.sample = sample

    def report(self) -> dict:
        """{point: {"bins": {bin: hits}, "covered": n, "size": n}} for this block's items."""
        out = {}
        for name, item in coverage_db.items():
            if not name.startswith(self.block + ".") or not hasattr(item, "detailed_coverage"):
                continue
            bins = {str(k): int(v) for k, v in item.detailed_coverage.items()}
            out[name] = {"bins": bins, "covered": sum(1 for v in bins.values() if v), "size": len(bins)}
        return out


class CoverageCollector(uvm_subscriber):
    def __init__(self, name, parent, group: Covergroup | None, mode: str):
        super().__init__(name, parent)
        self.group = group
        self.mode = mode

    def write(self, txn):
        if self.group is not None:
            self.group.sample(dict(txn, mode=self.mode))

    def export(self, test_dir: str | None):
        if self.group is None:
            return
        report = self.group.report()
        holes = [f"{name}:{b}" for name, item in report.items() for b, hits in item["bins"].items() if not hits]
        covered = sum(i["covered"] for i in report.values())
        size = sum(i["size"] for i in report.values())
        self.logger.info(f"functional coverage {covered}/{size} bins; holes so far: {holes or 'none'}")
        if test_dir:
            Path(test_dir, "functional_coverage.json").write_text(json.dumps(report, indent=1))
