"""Merging coverage across runs: Verilator code coverage (.dat) and cocotb-coverage bins (.json).

Code coverage: each Verilator run writes coverage.dat (`C '<\\x01key\\x02value...>' count` lines).
Points are merged over runs *and instances* (a point is keyed by file, line, column, type and
comment, not by hierarchy), so a block counts as covered wherever it was exercised. Only files
under rtl/ count. A line in the lcov file is covered only if every point on it was hit.

Functional coverage: each run writes functional_coverage.json ({point: {bins: {bin: hits}}}),
cumulative over that simulation; bins are summed over runs and simulators.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

_LINE = re.compile(r"^C '(.*)' (\d+)$")


def parse_dat(path: Path) -> dict[tuple, int]:
    points = {}
    for raw in Path(path).read_text(errors="replace").splitlines():
        m = _LINE.match(raw)
        if not m:
            continue
        fields = dict(kv.split("\x02", 1) for kv in m.group(1).split("\x01") if "\x02" in kv)
        key = (fields.get("f", ""), int(fields.get("l", 0)), fields.get("n", ""), fields.get("t", ""), fields.get("o", ""))
        points[key] = points.get(key, 0) + int(m.group(2))
    return points


def merge_dat(paths, rtl_dir: Path) -> dict[tuple, int]:
    merged: dict[tuple, int] = defaultdict(int)
    rtl_dir = str(Path(rtl_dir).resolve())
    for path in paths:
        for key, count in parse_dat(path).items():
            if key[0].startswith(rtl_dir):
                merged[key] += count
    return dict(merged)


# Which block a file's code coverage is reported under. Code coverage is merged per file (over
# every run and instance), so each rtl/ file belongs to exactly one block. A file is its own block,
# named by its stem, when it has a testbench, a covergroup and a testplan of that name (out_stage:
# tb_out_stage, covergroup out_stage.*, verif/testplans/out_stage.yml; requant, axis_fifo, ...).
# Parts with no testbench of their own are folded into the block whose tests verify them, so that
# every row of coverage.json has line, toggle and functional figures from one testplan and
# "line >= 95, toggle >= 90, functional 100 per block" stays checkable row by row:
#   kv_cache, attn_score, attn_value: attention's three parts, instantiated only by attention.sv
#     and verified by the attention launchers (verif/testplans/attention.yml);
#   dot_int: the dot product of linear.sv and attn_score.sv, reported with linear (its
#     extremes test drives the widest products); the attention runs' hits count there too.
FOLDED_INTO = {"kv_cache": "attention", "attn_score": "attention", "attn_value": "attention",
               "attention_slices": "attention", "dot_int": "linear", "dot_int_pair": "linear"}


def block_of_file(file: str) -> str:
    """The block an rtl/ file's code coverage counts for (FOLDED_INTO, else the file's stem)."""
    stem = Path(file).stem
    return FOLDED_INTO.get(stem, stem)


def code_summary(points: dict[tuple, int]) -> dict[str, dict]:
    """{block: {line: %, toggle: %, line_points, toggle_points, holes: [...]}}, block = block_of_file."""
    per = defaultdict(lambda: {"line": [0, 0], "toggle": [0, 0], "holes": []})
    for (file, line, _col, kind, comment), count in sorted(points.items()):
        block = block_of_file(file)
        bucket = "toggle" if kind == "toggle" else "line" if kind in ("line", "branch", "block") else None
        if bucket is None:
            continue
        per[block][bucket][1] += 1
        per[block][bucket][0] += int(count > 0)
        if not count:
            per[block]["holes"].append(f"{Path(file).name}:{line} {kind} {comment}")
    out = {}
    for block, d in per.items():
        out[block] = {
            "line": _pct(*d["line"]), "toggle": _pct(*d["toggle"]),
            "line_points": d["line"], "toggle_points": d["toggle"], "holes": d["holes"],
        }
    return out


def write_lcov(points: dict[tuple, int], path: Path) -> Path:
    lines = defaultdict(dict)
    for (file, line, _col, kind, _comment), count in points.items():
        if kind == "toggle":
            continue
        prev = lines[file].get(line)
        lines[file][line] = count if prev is None else min(prev, count)
    out = []
    for file in sorted(lines):
        out.append(f"SF:{file}")
        out += [f"DA:{ln},{c}" for ln, c in sorted(lines[file].items())]
        out.append(f"LH:{sum(1 for c in lines[file].values() if c)}")
        out.append(f"LF:{len(lines[file])}")
        out.append("end_of_record")
    Path(path).write_text("\n".join(out) + "\n")
    return Path(path)


def merge_functional(paths) -> dict[str, dict[str, int]]:
    """{point: {bin: hits}} summed over every functional_coverage.json."""
    merged: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for path in paths:
        for point, item in json.loads(Path(path).read_text()).items():
            for b, hits in item["bins"].items():
                merged[point][b] += hits
    return {p: dict(b) for p, b in merged.items()}


def functional_summary(bins: dict[str, dict[str, int]], not_applicable: dict[str, str]) -> dict[str, dict]:
    """{block: {functional: %, bins: n, hit: n, holes: [...], not_applicable: [...]}}.

    not_applicable maps "point:bin" to the reason the testplan gives for excluding it.
    """
    per = defaultdict(lambda: {"hit": 0, "bins": 0, "holes": [], "not_applicable": []})
    for point, hits in sorted(bins.items()):
        block = point.split(".", 1)[0]
        for b, n in hits.items():
            name = f"{point}:{b}"
            if name in not_applicable:
                per[block]["not_applicable"].append(f"{name} ({not_applicable[name]})")
                continue
            per[block]["bins"] += 1
            per[block]["hit"] += int(n > 0)
            if not n:
                per[block]["holes"].append(name)
    return {b: dict(d, functional=_pct(d["hit"], d["bins"])) for b, d in per.items()}


def _pct(hit: int, total: int) -> float | None:
    return round(100.0 * hit / total, 2) if total else None
