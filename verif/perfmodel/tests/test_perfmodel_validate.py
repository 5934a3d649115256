"""Validation rows (measured vs predicted), the layer rows' plug-in format, simulation speed."""

import json

import pytest

from perfmodel import project, simspeed, units, validate
from perfmodel.layer import LayerConfig, layer_cycles


def test_linear_rows_and_tolerance():
    measured = [{"K": 768, "N": 768, "lanes": 64, "cycles": 9223}, {"K": 64, "N": 24, "lanes": 8, "cycles": 250}]
    rows = validate.linear_rows(measured)
    assert rows[0]["predicted_cycles"] == 9223 and rows[0]["error"] == 0
    assert rows[1]["error"] == pytest.approx(199 / 250 - 1)
    assert validate.check(rows) == [rows[1]]  # 20% off: flagged
    assert "9223" in validate.table(rows)


def test_attention_row_mapping():
    r = validate.attention_row({"d": 768, "heads": 12, "pos": 1023, "macs_per_cycle": 64, "softmax_units": 4,
                                "cycles": 14469})
    assert r["config"] == {"d": 768, "heads": 12, "pos": 1023, "macs": 64, "softmax_units": 4}
    assert r["predicted_cycles"] == units.attention(0, 12, 64, 1024, 64, 4).last + 1
    assert abs(r["error"]) < 0.01
    assert validate.attention_row({"cycles": 5}) is None


def test_layer_rows_plug_in(tmp_path):
    cfg = {"d": 128, "heads": 4, "d_ffn": 512, "pos": 3, "lanes": {"qkv": 16}}
    want = layer_cycles(LayerConfig(pos=3, lanes=dict(LayerConfig().lanes, qkv=16)))
    (tmp_path / "run.json").write_text(json.dumps({"cycles_per_token_layer": [want, want * 1.5], "layer_config": cfg}))
    (tmp_path / "perf_layer.json").write_text(json.dumps([{"config": cfg, "cycles": want}]))
    rows = validate.layer_rows(tmp_path)
    assert [r["source"] for r in rows] == ["run.json", "run.json", "perf_layer"]
    assert rows[0]["error"] == pytest.approx(0)
    assert rows[1]["config"]["pos"] == 4  # a list: one entry per decoded position
    assert rows[2]["error"] == pytest.approx(0)


def test_timing_log_rows(tmp_path):
    log = tmp_path / "softmax" / "verilator" / "MaxLen37" / "run-all-1" / "sim.log"
    log.parent.mkdir(parents=True)
    log.write_text("INFO softmax timing L=37: latency [93, 93, 93], output cycles [37, 37, 37], row period [166, 166]\n")
    log = tmp_path / "layernorm" / "icarus" / "InBits16_Lanes8_MaxDim128" / "run-all-1" / "sim.log"
    log.parent.mkdir(parents=True)
    log.write_text("layernorm timing d=128: latency [103, 103, 103], output cycles [16, 16, 16], period [134, 134]\n")
    rows = {r["unit"]: r for r in validate.timing_log_rows(tmp_path)}
    assert rows["softmax"]["predicted_cycles"] == 166 and rows["softmax"]["error"] == 0
    assert rows["layernorm"]["config"] == {"d": 128, "lanes": 8, "sim": "icarus"}
    assert rows["layernorm"]["predicted_cycles"] == 134


def test_collect_notes_missing_sources(tmp_path):
    rows, notes = validate.collect(tmp_path)
    assert rows == []
    assert any("perf_linear.json" in n for n in notes) and any("decoder-layer top" in n for n in notes)


def test_sim_speed(tmp_path):
    runs = [{"top": "tb_linear", "sim": "icarus", "parameters": {"Lanes": 8, "K": 64, "N": 24},
             "tests": [{"name": "test_perf", "passed": True, "real_time_s": 0.5}]}]
    rows = [{"K": 64, "N": 24, "lanes": 8, "cycles": 199, "sim": "icarus"},
            {"K": 64, "N": 24, "lanes": 8, "cycles": 199}]  # verilator: no run recorded
    s = simspeed.perf_speeds(rows, runs)
    assert len(s) == 1 and s[0]["cycles_per_s"] == pytest.approx(398)
    assert simspeed.summarise(s)["icarus"]["cycles_per_s"] == 398
    junit = tmp_path / "junit.xml"
    junit.write_text('<testsuites><testsuite time="12.5"><testcase name="t[verilator-x]" time="3"/>'
                     '<testcase name="t[icarus-x]" time="4"><failure/></testcase></testsuite></testsuites>')
    g = simspeed.regression_wall_time(junit)
    assert g["wall_s"] == 12.5 and g["tests"] == 2 and g["failed"] == 1
    assert g["test_time_s_by_sim"] == {"icarus": 4.0, "verilator": 3.0}
    assert simspeed.regression_wall_time(tmp_path / "none.xml") is None


def test_roofline_numbers():
    r = project.roofline("gpt2-small", 8)
    assert r["weight_bytes_layers"] == 12 * (4 * 768 ** 2 + 2 * 768 * 3072)
    assert r["tokens_per_s_layers"] == pytest.approx(460e9 / r["weight_bytes_layers"])
    assert project.roofline("gpt2-small", 4)["tokens_per_s_layers"] == pytest.approx(2 * r["tokens_per_s_layers"])


def test_projection_report_keys_and_rules():
    """Issue 13's keys per model and weight width, the fraction defined against the roofline, the
    build rules (lanes x cols >= 2x the bus, cols > 1 only at lanes = K, one attention slice per
    head), and GPT-2 medium's KV cache off chip (50 MB)."""
    p = project.project()
    bus = p["assumptions"]["bus_bytes_per_cycle"]
    assert bus == 1840
    for name in ("gpt2-small", "gpt2-medium"):
        for w in ("W8", "W4"):
            r = p["models"][name][w]
            assert r["roofline_fraction"] == pytest.approx(r["tokens_per_s"] / r["roofline_tokens_per_s"])
            assert 0 < r["roofline_fraction"] <= 1
            cfg = project.build(name, int(w[1:]))
            for u, (k, n) in project.linear_shapes(cfg).items():
                lanes, cols = cfg.lane(u), cfg.col(u)
                assert k % lanes == 0 and n % cols == 0 and lanes * cols >= 2 * bus
                assert cols == 1 or lanes == k
            assert cfg.attn_slices == cfg.heads and cfg.softmax_units == 1  # one head per attention slice
    assert p["models"]["gpt2-medium"]["W8"]["kv_cache"] == "off chip"
    assert p["models"]["gpt2-small"]["W8"]["kv_cache"] == "on chip"


def test_linear_widths_and_cost():
    """The legal Linear widths (narrowest first, columns only at lanes = K), and the cost model
    solved from four synthesized widths (an unpaired column, pairs of columns sharing their
    multipliers) recovers the coefficients of a synthetic set exactly and reproduces each width."""
    assert project.linear_widths(768, 2304, 1840)[0] == (768, 3)
    assert project.linear_widths(4096, 1024, 1840)[0] == (2048, 1)
    assert project.linear_width(1024, 1024, 1840) == (1024, 4)
    assert all(w[0] * w[1] >= 1840 for w in project.linear_widths(1024, 3072, 1840))
    widths = [w[0] * w[1] for w in project.linear_widths(1024, 3072, 1840)]
    assert widths == sorted(widths)
    want = {"DSP": {"single": 1, "pair": 1, "col": 4, "unit": 0},  # a pair: one DSP per lane for two MACs
            "LUT": {"single": 7, "pair": 19, "col": 50, "unit": 100},
            "FF": {"single": 3, "pair": 5, "col": 40, "unit": 80}}

    def cost_of(coef, lanes, cols):
        return (coef["unit"] + coef["single"] * lanes * (cols % 2) + coef["pair"] * lanes * (cols // 2)
                + coef["col"] * cols)

    assert len(project.LINEAR_SYNTH) == 4
    blocks = {name: {k: cost_of(coef, l, c) for k, coef in want.items()}
              for name, (l, c) in project.LINEAR_SYNTH.items()}
    cost = project.linear_cost(blocks)
    assert cost == want
    for name, (l, c) in project.LINEAR_SYNTH.items():
        assert {k: cost_of(coef, l, c) for k, coef in cost.items()} == blocks[name]
    assert project.linear_cost({"linear": blocks["linear"]}) is None
    assert project.linear_cost({n: b for n, b in blocks.items() if n != "linear_cols2"}) is None
