"""The library's typed words in Python, read from rtl/sllm_pkg.sv (never restated here).

`word("layer_cfg_t")` parses the package's `typedef struct packed` declarations and gives the
word's width and every leaf field's bit offset, by dotted name ("attn.score.mult"). `pack` turns
{field: value} into the integer the RTL sees on a port or reads from a memory file, `unpack` the
other way. Every leaf must be given, each value must fit its field (a negative value is stored as
two's complement), and an unknown name is an error, so a layout change in the package breaks the
Python side loudly instead of silently. verif/tests/test_words.py checks the parse against a
simulator's own view of the same structs.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "rtl" / "sllm_pkg.sv"


@dataclass(frozen=True)
class Field:
    name: str  # dotted path from the word's top
    offset: int  # least significant bit
    width: int


@dataclass(frozen=True)
class Word:
    name: str
    width: int
    fields: tuple[Field, ...]  # leaves, least significant first

    @property
    def hex_digits(self) -> int:
        return -(-self.width // 4)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}; fields: {', '.join(f.name for f in self.fields)}")

    def pack(self, values: dict) -> int:
        unknown = set(values) - {f.name for f in self.fields}
        if unknown:
            raise KeyError(f"{self.name} has no field(s) {sorted(unknown)}; fields: {[f.name for f in self.fields]}")
        word = 0
        for f in self.fields:
            if f.name not in values:
                raise KeyError(f"{self.name}.{f.name} is not given")
            value = int(values[f.name])
            if not -(1 << (f.width - 1)) <= value < (1 << f.width):
                raise ValueError(f"{self.name}.{f.name} = {value} does not fit its {f.width} bits")
            word |= (value & ((1 << f.width) - 1)) << f.offset
        return word

    def unpack(self, word: int) -> dict[str, int]:
        """Unsigned field values by dotted name."""
        if not 0 <= word < (1 << self.width):
            raise ValueError(f"{word:#x} is not a {self.width}-bit {self.name}")
        return {f.name: (word >> f.offset) & ((1 << f.width) - 1) for f in self.fields}

    def hex(self, values: dict) -> str:
        """One $readmemh line."""
        return f"{self.pack(values):0{self.hex_digits}x}"


_TYPEDEF = re.compile(r"typedef\s+struct\s+packed\s*\{(?P<body>.*?)\}\s*(?P<name>\w+)\s*;", re.S)
_MEMBER = re.compile(r"^\s*(?P<type>logic(?:\s*\[\s*(?P<msb>\d+)\s*:\s*(?P<lsb>\d+)\s*\])?|\w+)\s+(?P<names>[\w\s,]+);")


@functools.cache
def _structs(path: Path = PKG) -> dict[str, Word]:
    text = re.sub(r"//[^\n]*", "", path.read_text())
    structs: dict[str, Word] = {}
    for m in _TYPEDEF.finditer(text):
        members = []  # (name, width, sub-word or None), most significant first
        for line in m["body"].split(";"):
            line = line.strip()
            if not line:
                continue
            mm = _MEMBER.match(line + ";")
            if not mm:
                raise ValueError(f"{path.name}: cannot read member {line!r} of {m['name']}")
            kind = mm["type"].split("[")[0].strip()
            sub = None
            if kind == "logic":
                width = int(mm["msb"]) - int(mm["lsb"]) + 1 if mm["msb"] is not None else 1
            elif kind in structs:
                sub = structs[kind]
                width = sub.width
            else:
                raise ValueError(f"{path.name}: {m['name']} uses {kind!r}, not a logic vector or an earlier struct")
            for name in (n.strip() for n in mm["names"].split(",")):
                members.append((name, width, sub))
        fields, offset = [], 0
        for name, width, sub in reversed(members):  # packed: the last member is the least significant
            if sub is None:
                fields.append(Field(name, offset, width))
            else:
                fields += [Field(f"{name}.{f.name}", offset + f.offset, f.width) for f in sub.fields]
            offset += width
        structs[m["name"]] = Word(m["name"], offset, tuple(fields))
    return structs


def word(name: str) -> Word:
    structs = _structs()
    if name not in structs:
        raise KeyError(f"{PKG.name} defines no struct {name!r}; it has {', '.join(structs)}")
    return structs[name]


def all_words() -> dict[str, Word]:
    return dict(_structs())
