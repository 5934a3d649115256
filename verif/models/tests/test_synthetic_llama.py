"""models.synthetic.random_int_llama: a small random integer Llama through the real quantiser.

The shapes are the Icarus RTL test's (d=64, 4 heads, 2 KV heads, d_ffn=128, max_seq=8, 2 layers)
and a wider one (d=128, d_ffn=256). Checked: the parameter file validates and fits the RTL's
fields, it is deterministic, the stand-in GGUF object is exactly what llama_gguf.load_gguf reads
back from a real GGUF file, token-by-token decoding equals the one-pass prompt bit for bit, the
integer model tracks the float twin (llama_float.forward) on the same synthetic weights, and a bad
shape is refused before any work.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from models import llama_float, llama_model, llama_quant, synthetic
from models.synthetic import random_int_llama, random_llama_gguf

RTL = dict(n_layer=2, d=64, n_head=4, n_kv_head=2, d_ffn=128, max_seq=8)
WIDE = dict(n_layer=2, d=128, n_head=4, n_kv_head=2, d_ffn=256, max_seq=8)
SHAPES = {"rtl": RTL, "wide": WIDE}


def _cos(a, b):
    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))


@pytest.fixture(scope="module", params=sorted(SHAPES))
def model(request, tmp_path_factory):
    kw = SHAPES[request.param]
    path = tmp_path_factory.mktemp("synthetic_llama") / f"{request.param}.npz"
    cfg, params = random_int_llama(path, **kw)
    return kw, path, cfg, params


def test_file_loads_validates_and_fits_the_rtl(model):
    kw, path, cfg, params = model
    cfg2, params2 = llama_quant.load_params(path)
    assert cfg2 == cfg and params2.keys() == params.keys()
    assert all(np.array_equal(params[k], params2[k]) for k in params)
    assert llama_quant.validate_params(params) == cfg
    hd = kw["d"] // kw["n_head"]
    assert (cfg["n_layer"], cfg["d_model"], cfg["n_head"], cfg["n_kv_head"], cfg["head_dim"], cfg["d_ffn"],
            cfg["max_seq"], cfg["vocab_size"]) == (2, kw["d"], 4, 2, hd, kw["d_ffn"], 8, 256)
    assert cfg["format"] == llama_quant.FORMAT_NAME and cfg["q4_scale_mode"] == "exact"
    assert len(cfg["scales"]) == 2 and cfg["gguf_file"].startswith("synthetic-llama-")
    assert params["layer1.q.codes"].shape == (kw["d"], kw["d"]) and params["layer1.k.codes"].shape == (2 * hd, kw["d"])
    assert params["layer0.down.codes"].shape == (kw["d"], kw["d_ffn"]) and params["rope.cos"].shape == (8, hd // 2)
    # the RTL's fields: int20 D and C (sllm_pkg::q4_group_t), 5-bit residual-add shifts, a 257-entry
    # sigmoid table, 62-bit RMSNorm epsilons, pre-shifts <= 62, an int64 row accumulator
    assert cfg["q4_scale_bits"] <= 20 and cfg["q4_acc_bits"] <= 48
    for i in range(2):
        p = llama_quant.layer_view(params, i)
        assert all(0 <= int(p[f"add{j}.a_shift"]) < 32 for j in (1, 2))
        assert p["swiglu.sig_table"].shape == (257,)
        assert all(1 <= int(p[f"{n}.eps_v"]) < 1 << 62 for n in ("attn_norm", "ffn_norm"))
        assert all(int(p[f"{n}.pre"].max()) <= 62 for n in llama_quant.LINEARS)
        for n in llama_quant.LINEARS:  # every code is used, the scales are not degenerate
            assert np.array_equal(np.unique(p[f"{n}.codes"]), np.arange(16)) and np.all(p[f"{n}.D"] > 0)


def test_deterministic_for_a_seed(tmp_path):
    cfg_a, a = random_int_llama(tmp_path / "a.npz", **RTL, seed=3)
    cfg_b, b = random_int_llama(tmp_path / "b.npz", **RTL, seed=3)
    _, c = random_int_llama(tmp_path / "c.npz", **RTL, seed=4)
    assert cfg_a == cfg_b and all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["layer0.q.codes"], c["layer0.q.codes"])


def test_stand_in_is_what_load_gguf_reads_from_a_real_file(tmp_path):
    """random_llama_gguf == load_gguf(write_llama_gguf(...)): the same cfg (but the file name),
    the same tensors and dtypes, and so the same quantised parameters."""
    pytest.importorskip("gguf", reason="writing a GGUF needs the gguf package (pip install .[ref])")
    from models import llama_gguf

    g = random_llama_gguf(**RTL, seed=5)
    synthetic.write_llama_gguf(g, tmp_path / "s.gguf")
    h = llama_gguf.load_gguf(tmp_path / "s.gguf")
    assert {**h.cfg, "gguf_file": g.cfg["gguf_file"]} == g.cfg
    assert h.tensors.keys() == g.tensors.keys()
    for name, t in g.tensors.items():
        u = h.tensors[name]
        assert type(u) is type(t), name
        for a, b in ([(t, u)] if isinstance(t, np.ndarray) else [(getattr(t, f), getattr(u, f)) for f in vars(t)]):
            assert a.dtype == b.dtype and np.array_equal(a, b), name
    calib = [np.arange(8) * 7 % 256, np.arange(8) * 13 % 256]
    pg, ph = (llama_quant.quantize_model(x, calib, max_seq=8) for x in (g, h))
    assert pg.keys() == ph.keys()
    assert all(np.array_equal(pg[k], ph[k]) for k in pg if k != "config_json")
    cg, ch = (json.loads(bytes(p["config_json"]).decode()) for p in (pg, ph))
    assert {**ch, "gguf_file": cg["gguf_file"]} == cg


def test_decode_one_token_at_a_time_equals_the_prompt(model):
    kw, path, cfg, _ = model
    toks = np.random.default_rng(7).integers(0, cfg["vocab_size"], cfg["max_seq"])
    a = llama_model.IntLlama.from_file(path)  # layer_fn: the golden llama_model.layer_decode
    assert a.layer_fn is llama_model.layer_decode and a.max_seq == 8
    lo_a: list = []
    la, _ = a.forward(toks, 0, lo_a)
    for x in lo_a:
        assert x.shape == (8, kw["d"]) and x.min() >= -(1 << 23) and x.max() < 1 << 23
        assert np.abs(x).max() > 1 << 16  # the int24 residual range is used
    b = llama_model.IntLlama.from_file(path, cache_weights=True)
    for pos, t in enumerate(toks):
        lo_b: list = []
        lb, _ = b.forward([t], pos, lo_b)
        for i in range(cfg["n_layer"]):
            assert np.array_equal(lo_b[i][0], lo_a[i][pos]), (pos, i)
        np.testing.assert_allclose(lb[0], la[pos], rtol=1e-12, atol=1e-12)  # the float LM head (BLAS)
    for i in range(cfg["n_layer"]):
        assert np.array_equal(a.kv[i].k, b.kv[i].k) and np.array_equal(a.kv[i].v, b.kv[i].v)
    # a prompt of 3 in one pass, then 5 single steps: the same layer outputs again
    c = llama_model.IntLlama.from_file(path)
    lo_c: list = []
    c.forward(toks[:3], 0, lo_c)
    for i in range(cfg["n_layer"]):
        assert np.array_equal(lo_c[i], lo_a[i][:3]), i
    for pos in range(3, 8):
        lo_c = []
        c.forward([toks[pos]], pos, lo_c)
        assert all(np.array_equal(lo_c[i][0], lo_a[i][pos]) for i in range(cfg["n_layer"])), pos


def test_activations_use_the_int16_range(model):
    _, path, cfg, _ = model
    im = llama_model.IntLlama.from_file(path)
    x = im.embed(np.random.default_rng(8).integers(0, cfg["vocab_size"], 8))
    for i in range(cfg["n_layer"]):
        tr: dict = {}
        x = llama_model.layer_decode(im.layers[i], cfg, im.kv[i], x, 0, tr)
        for k in ("attn_norm", "q", "k", "v", "attn_out", "ffn_norm", "gate", "up", "swiglu"):
            assert tr[k].min() >= -(1 << 15) and tr[k].max() < 1 << 15, (i, k)
            assert np.abs(tr[k]).max() > 1 << 12, (i, k)  # the calibrated scales are not degenerate
        assert tr["gate"].min() < -(1 << 12) and tr["gate"].max() > 1 << 12  # both sides of the SiLU


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_integer_model_tracks_the_float_twin(shape, seed, tmp_path):
    """On windows other than the calibration ones. For these seeds no int16 point saturates and
    1 - cosine is ~1e-6 (final hidden and every layer output); a residual-add shift off by one
    already gives 0.991..0.998, a halved q multiplier 0.91..0.97, a broken sigmoid table < 0.82.
    (Other seeds can saturate on a token the calibration never saw: over seeds 0..19 the worst
    final-hidden cosine is 0.991, see random_int_llama.) Top-1 agreement is 0.97..1 here; the
    LM head's margins are small (V=256 random embeddings), so it is a weaker check."""
    kw = SHAPES[shape]
    cfg, params = random_int_llama(tmp_path / "m.npz", **kw, seed=seed)
    g = random_llama_gguf(**kw, seed=seed)
    fw = llama_float.float_weights(g)
    im = llama_model.IntLlama(cfg, params)
    rng = np.random.default_rng([seed, 99])
    agree = []
    for _ in range(4):
        toks = rng.integers(0, cfg["vocab_size"], cfg["max_seq"])
        im.reset()
        lo: list = []
        li, hi = im.forward(toks, 0, lo)
        lf, hf, outs = llama_float.forward(fw, g.cfg, toks)
        for i in range(cfg["n_layer"]):
            c = _cos(np.ldexp(lo[i].astype(np.float64), im.resid_exp(i)), outs[i])
            assert c.min() > 0.9999, (i, c.min())
        assert _cos(hi, hf).min() > 0.9999
        agree.append(np.mean(li.argmax(-1) == lf.argmax(-1)))
    assert np.mean(agree) >= 0.95, agree


@pytest.mark.parametrize("kw, msg", [
    (dict(d=96, n_head=5), r"d=96 is not a multiple of n_head=5"),
    (dict(d=96, n_head=32, n_kv_head=2), r"head_dim = d/n_head = 3 is odd"),
    (dict(n_head=4, n_kv_head=3), r"n_head=4 is not a multiple of n_kv_head=3"),
    (dict(d=48, n_head=4), r"d=48 is not a multiple of 32"),
    (dict(d_ffn=100), r"d_ffn=100 is not a multiple of 32"),
    (dict(max_seq=0), r"max_seq=0 must be a positive integer"),
    (dict(n_layer=1.5), r"n_layer=1.5 must be a positive integer"),
])
def test_bad_shape_is_refused_before_any_work(kw, msg, tmp_path, monkeypatch):
    def boom(*a, **k):
        raise AssertionError("the quantiser ran")

    monkeypatch.setattr(llama_quant, "quantize_model", boom)
    monkeypatch.setattr(synthetic, "random_llama_gguf", boom)
    with pytest.raises(ValueError, match=r"^random_int_llama: " + msg):
        random_int_llama(tmp_path / "bad.npz", **kw)
    assert not (tmp_path / "bad.npz").exists()
    with pytest.raises(ValueError, match=msg):
        synthetic.check_llama_shape(**{**dict(n_layer=2, d=64, n_head=4, n_kv_head=2, d_ffn=128, max_seq=8,
                                              vocab=256), **kw})
