"""The integer decode layer and decode loop on the committed trained tiny GPT-2."""
from __future__ import annotations

import numpy as np
import pytest

from models import corpus, float_ref, gpt2, layer, ops, quantize


def _cos(a, b):
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture(scope="module")
def model(tiny_fixture):
    _, _, path = tiny_fixture
    return gpt2.IntGPT2.from_file(path)


@pytest.fixture(scope="module")
def window():
    return corpus.heldout_sequences(1, 128)[0][:48]


def test_fixture_params_are_valid(tiny_fixture):
    _, cfg, path = tiny_fixture
    lc, params = quantize.load_params(path)
    assert (lc["n_layer"], lc["d_model"], lc["n_head"], lc["d_ffn"], lc["max_seq"], lc["vocab_size"]) == \
        (cfg["n_layer"], cfg["n_embd"], cfg["n_head"], cfg["n_inner"], cfg["n_positions"], cfg["vocab_size"])


def test_layer_tracks_float_twin(model, tiny_fixture, window):
    """Every intermediate of the integer layer, dequantised, against the float twin fed the
    same (dequantised) layer input. Tolerance: cosine >= 0.99 per activation."""
    sd, cfg, _ = tiny_fixture
    lc = model.cfg
    model.reset()
    xs = [model.embed(int(t), p) for p, t in enumerate(window)]
    for i in range(lc["n_layer"]):
        s = lc["scales"][i]
        traces = []
        for pos, x in enumerate(xs):
            tr = {}
            layer.layer_decode(model.layers[i], lc, model.kv[i], x, pos, tr)
            traces.append(tr)
        xf = np.stack(xs).astype(np.float64) * s["resid_in"]
        acts = {}
        float_ref.layer_forward(float_ref.layer_params(sd, i), xf, lc["n_head"], lc["layer_norm_epsilon"], acts)
        worst = {}
        for k in float_ref.ACT_POINTS[1:]:
            worst[k] = min(_cos(tr[k] * np.asarray(s[k]), acts[k][pos]) for pos, tr in enumerate(traces))
        assert min(worst.values()) >= 0.99, (i, worst)
        xs = [tr["resid_out"] for tr in traces]


def test_trace_types_and_ranges(model, window):
    model.reset()
    tr = {}
    layer.layer_decode(model.layers[0], model.cfg, model.kv[0], model.embed(int(window[0]), 0), 0, tr)
    assert set(tr) == set(float_ref.ACT_POINTS)
    for k, v in tr.items():
        wide = k.startswith("resid") or k in ("o_out", "fc2_out")
        lim = 1 << ((model.cfg["resid_bits"] if k.startswith("resid") else
                     model.cfg["branch_bits"] if wide else 8) - 1)
        assert v.ndim == 1 and v.min() >= -lim and v.max() < lim, k


def test_layer_fn_is_pluggable(tiny_fixture, window):
    """The decode loop calls the supplied per-layer callable with (params, cfg, kv, x, pos)."""
    _, _, path = tiny_fixture
    calls = []

    def spy(p, cfg, kv, x, pos):
        calls.append(pos)
        return layer.layer_decode(p, cfg, kv, x, pos)

    def broken(p, cfg, kv, x, pos):
        y = layer.layer_decode(p, cfg, kv, x, pos)
        y[0] += 1
        return y

    ref, m_spy, m_bad = (gpt2.IntGPT2.from_file(path, f) for f in (None, spy, broken))
    outs = {}
    for name, m in (("ref", ref), ("spy", m_spy), ("bad", m_bad)):
        lo = []
        for pos, t in enumerate(window[:8]):
            m.step(int(t), pos, lo)
        outs[name] = lo
    assert calls == [p for p in range(8) for _ in range(ref.cfg["n_layer"])]
    assert all(np.array_equal(a, b) for a, b in zip(outs["ref"], outs["spy"]))
    assert not np.array_equal(outs["ref"][-1], outs["bad"][-1])


def test_decode_is_deterministic_and_bounded(model, window):
    model.reset()
    a = [model.step(int(t), p) for p, t in enumerate(window[:6])]
    model.reset()
    b = [model.step(int(t), p) for p, t in enumerate(window[:6])]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    with pytest.raises(ops.NumericsError, match="outside the KV cache"):
        model.step(0, model.cfg["max_seq"])


def test_last_cache_position(model):
    """Fill the cache to max_seq - 1 (positions 0..127) and decode the last position."""
    model.reset()
    toks = corpus.heldout_sequences(2, 128)[1]
    for pos, t in enumerate(toks):
        logits = model.step(int(t), pos)
    assert np.all(np.isfinite(logits))
    assert np.count_nonzero(model.kv[0].k[-1]) > 0


def test_greedy_sample_has_english_words(model):
    text = bytes(model.generate(b"The ", 40)).decode("utf-8", errors="replace")
    words = {"the", "of", "is", "a", "to", "and", "in", "be", "that", "an", "object", "are"}
    assert any(w in words for w in text.lower().split()), text
