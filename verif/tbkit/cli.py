"""The bad-input rule of every entry point (make targets, scripts/sllm.py, scripts/run_gpt2.py,
scripts/perf.py): inputs and environment variables are validated up front, before any build or
simulation; a bad one raises `UserError`, and `main()` turns it into ONE line on stderr,
"error: <what was wrong>; accepted: <what is accepted>", and exit status 2. Anything else that
escapes is a bug and keeps its traceback.

Make hands its variables over as environment variables (TOKENS, SIM, SEED, PROMPT, MODEL,
TESTCASE, SHARD, SEEDS); an empty value counts as unset, except PROMPT, where an empty prompt is
refused. PROMPT is read as bytes and must be valid UTF-8.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Callable, Sequence

SIMS = ("verilator", "icarus")
SEED_MAX = 2**32 - 1  # cocotb's RANDOM_SEED is a 32-bit value


class UserError(Exception):
    """Bad input from the user (an argument, an environment variable, a file): one line, exit 2."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))  # always one line


def main(fn: Callable[[], int | None]) -> int:
    """Run an entry point: UserError -> one line on stderr and status 2; a bug keeps its traceback."""
    try:
        return int(fn() or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


class ArgumentParser(argparse.ArgumentParser):
    """argparse whose errors are UserErrors (one line, with the accepted form), not usage + exit."""

    def error(self, message: str):
        raise UserError(f"{self.prog}: {message}; accepted: {self.format_usage().strip().removeprefix('usage: ')}")

    def exit(self, status: int = 0, message: str | None = None):  # --help
        if message:
            print(message, file=sys.stderr)
        raise SystemExit(status)


# ---- values -------------------------------------------------------------------------------------
def integer(text: str, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number in [minimum, maximum] from `text`, else UserError naming `name`."""
    accepted = "a whole number" + (
        f" from {minimum} to {maximum}" if minimum is not None and maximum is not None
        else f" >= {minimum}" if minimum is not None else f" <= {maximum}" if maximum is not None else "")
    s = str(text).strip()
    if not re.fullmatch(r"[+-]?\d+", s):
        raise UserError(f"{name}={text!r} is not a number; accepted: {accepted}")
    value = int(s)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise UserError(f"{name}={value} is out of range; accepted: {accepted}")
    return value


def int_type(name: str, minimum: int | None = None, maximum: int | None = None):
    """An argparse `type=` for integer() (its errors are UserErrors, not argparse's usage text)."""
    return lambda text: integer(text, name, minimum, maximum)


def choice(value: str, name: str, accepted: Sequence[str], special: dict[str, str] | None = None) -> str:
    """`value` if it is one of `accepted`; `special` maps known-but-refused values to their reason."""
    if value in accepted:
        return value
    if special and value in special:
        raise UserError(f"{name}={value}: {special[value]}; accepted: {', '.join(accepted)}")
    raise UserError(f"{name}={value!r} is unknown; accepted: {', '.join(accepted)}")


def env(name: str) -> str | None:
    """An environment variable, None when unset or empty (make exports unset ones as empty)."""
    value = os.environ.get(name, "").strip()
    return value or None


def env_int(name: str, default: int | None, minimum: int | None = None, maximum: int | None = None) -> int | None:
    value = env(name)
    return default if value is None else integer(value, name, minimum, maximum)


def env_choice(name: str, default: str, accepted: Sequence[str], special: dict[str, str] | None = None) -> str:
    value = env(name)
    return default if value is None else choice(value, name, accepted, special)


def seed_env() -> int | None:
    """SEED, validated: None when unset."""
    return env_int("SEED", None, 0, SEED_MAX)


def text_utf8(raw: bytes | str, name: str) -> str:
    """Text that must be valid UTF-8: bytes from the environment, or a str from argv (where
    Python keeps undecodable bytes as surrogates)."""
    if isinstance(raw, str):
        try:
            raw.encode("utf-8")
            return raw
        except UnicodeEncodeError:
            raw = raw.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{name} is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                        "accepted: UTF-8 text") from None


def env_text(name: str) -> str | None:
    """A text variable read as bytes and checked as UTF-8; None when unset, "" when set empty."""
    raw = os.environb.get(name.encode()) if os.name != "nt" else (os.environ.get(name) or "").encode()
    return None if raw is None else text_utf8(raw, name)


def shard(text: str | None, name: str = "SHARD") -> tuple[int, int] | None:
    """'i/N' (1 <= i <= N) -> (i, N); None when unset."""
    if text is None or not str(text).strip():
        return None
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise UserError(f"{name}={text!r} is not a shard; accepted: i/N with 1 <= i <= N, e.g. {name}=2/4")
    return int(m.group(1)), int(m.group(2))


def existing_file(path: Path, what: str) -> Path:
    path = Path(path)
    if not path.exists():
        raise UserError(f"{what} {path} does not exist; accepted: an existing file")
    if not path.is_file():
        raise UserError(f"{what} {path} is not a file; accepted: an existing file")
    return path


# ---- reports ------------------------------------------------------------------------------------
def write_atomic(path: Path, text: str) -> Path:
    """Write `text` to `path` through a temporary file in the same folder and os.replace(): a
    reader sees the old file or the whole new one, never a half-written one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
