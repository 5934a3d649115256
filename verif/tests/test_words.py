"""tbkit.words against the simulator's own view of rtl/sllm_pkg.sv.

words.py parses the package; here Icarus elaborates the same package and, for every leaf field of
every struct, sets that field alone to all ones through its member path and prints the whole
word. The bits it sets must be exactly the field's offset and width in words.py, so a parse that
got a field's order, width or nesting wrong fails here, whatever the Python side believes.
"""

import subprocess

import pytest

from tbkit import words
from tbkit.runner import RTL, SIM_BUILD


def _probe_source(structs: dict) -> str:
    lines = ["module probe_words import sllm_pkg::*;;", "  initial begin"]
    for name in structs:
        lines.append(f"    begin : b_{name}")
        lines.append(f"      {name} w;")
        for f in structs[name].fields:
            lines += [f"      w = '0;", f"      w.{f.name} = '1;", f'      $display("{name} {f.name} %h", w);']
        lines.append("    end")
    lines += ["  end", "endmodule"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def simulated() -> dict[tuple[str, str], int]:
    """(struct, field) -> the word Icarus prints with only that field set."""
    structs = words.all_words()
    out = SIM_BUILD / "words"
    out.mkdir(parents=True, exist_ok=True)
    (out / "probe_words.sv").write_text(_probe_source(structs))
    subprocess.run(["iverilog", "-g2012", "-o", str(out / "probe.vvp"), "-s", "probe_words",
                    str(RTL / "sllm_pkg.sv"), str(out / "probe_words.sv")], check=True, capture_output=True)
    run = subprocess.run(["vvp", "-n", str(out / "probe.vvp")], check=True, capture_output=True, text=True)
    seen = {}
    for line in run.stdout.splitlines():
        struct, field, value = line.split()
        seen[(struct, field)] = int(value, 16)
    return seen


def test_every_field_where_the_simulator_puts_it(simulated):
    structs = words.all_words()
    assert set(structs) >= {"rq_scale_t", "linear_param_t", "ln_chan_t", "add_cfg_t", "attn_cfg_t", "token_t",
                            "layer_cfg_t"}
    for name, w in structs.items():
        covered = 0
        for f in w.fields:
            want = ((1 << f.width) - 1) << f.offset
            got = simulated[(name, f.name)]
            assert got == want, f"{name}.{f.name}: simulator sets {got:#x}, words.py says bits {f.offset}+{f.width}"
            covered |= want
        assert covered == (1 << w.width) - 1, f"{name}: the fields of words.py do not tile its {w.width} bits"


def test_pack_unpack_round_trip_and_errors():
    w = words.word("linear_param_t")
    values = {"bias": -5, "scale.mult": 123456, "scale.shift": 31}
    packed = w.pack(values)
    assert w.unpack(packed) == {"bias": (1 << 32) - 5, "scale.mult": 123456, "scale.shift": 31}
    with pytest.raises(KeyError, match="scale.shift"):
        w.pack({"bias": 0, "scale.mult": 0})
    with pytest.raises(KeyError, match="no field"):
        w.pack({**values, "shift": 1})
    with pytest.raises(ValueError, match="does not fit"):
        w.pack({**values, "scale.shift": 32})
    with pytest.raises(KeyError, match="defines no struct"):
        words.word("no_such_t")
