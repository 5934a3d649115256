"""Quantiser: parameter file round trip and clear errors on bad inputs."""
from __future__ import annotations

import json

import numpy as np
import pytest

from models import layer, ops, quantize
from models.quantize import ParamError

from .conftest import random_gpt2


def _calib(n=2, T=16, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, T) for _ in range(n)]


@pytest.fixture(scope="module")
def small():
    sd, cfg = random_gpt2()
    return sd, cfg, quantize.quantize_model(sd, cfg, _calib(n=16))


def test_roundtrip_and_key_names(small, tmp_path):
    _, _, params = small
    path = tmp_path / "p.npz"
    quantize.save_params(path, params)
    cfg, loaded = quantize.load_params(path)
    assert cfg["format"] == quantize.FORMAT_NAME and cfg["resid_bits"] == 16
    assert set(loaded) == set(params)
    for k in params:
        assert np.array_equal(loaded[k], params[k]), k
    assert set(quantize.layer_view(loaded, 0)) == set(quantize.LAYER_KEYS)
    w = loaded["layer0.qkv.weight"]
    assert w.dtype == np.int8 and w.shape == (32, 96) and np.abs(w).max() == 127
    m, s = loaded["layer0.fc1.mult"], loaded["layer0.fc1.shift"]
    assert np.all((m >= 1 << 30) & (m < 1 << 31)) and np.all((s >= 0) & (s <= 31))


def test_weights_follow_conv1d_layout_and_qkv_split(small):
    sd, _, params = small
    cfg = json.loads(bytes(params["config_json"]).decode())
    sc = cfg["scales"][0]
    s_x = np.asarray(sc["ln1_out"])  # per-channel LN1 output scale, folded into the weights
    assert s_x.shape == (32,)
    w = sd["transformer.h.0.attn.c_attn.weight"].astype(np.float64) * s_x[:, None]
    wq = params["layer0.qkv.weight"].astype(np.float64)
    s_acc = np.abs(w).max(0) / 127
    assert np.max(np.abs(wq * s_acc - w) / s_acc) <= 0.5 + 1e-9
    # column n of the QKV requantiser maps the accumulator unit onto s_q / s_k / s_v by segment
    real = params["layer0.qkv.mult"] * 2.0 ** -(31 + params["layer0.qkv.shift"].astype(np.float64))
    seg = np.repeat([sc["q"], sc["k"], sc["v"]], 32)
    assert np.allclose(real, s_acc / seg, rtol=1e-8)
    # per-tensor variant: plain per-output-channel scales of W
    sd2, cfg2 = random_gpt2()
    p2 = quantize.quantize_model(sd2, cfg2, _calib(), ln_per_channel=False)
    w2 = sd2["transformer.h.0.attn.c_attn.weight"].astype(np.float64)
    s_w = np.abs(w2).max(0) / 127
    assert np.max(np.abs(p2["layer0.qkv.weight"] * s_w - w2)) <= 0.5 * s_w.max() + 1e-12


def test_missing_tensor_is_named():
    sd, cfg = random_gpt2()
    del sd["transformer.h.0.mlp.c_fc.bias"]
    with pytest.raises(ParamError, match=r"missing tensor 'h\.0\.mlp\.c_fc\.bias'.*\(64,\)"):
        quantize.quantize_model(sd, cfg, _calib())


def test_wrong_shape_is_named():
    sd, cfg = random_gpt2()
    sd["transformer.h.0.attn.c_attn.weight"] = sd["transformer.h.0.attn.c_attn.weight"].T.copy()
    with pytest.raises(ParamError, match=r"'h\.0\.attn\.c_attn\.weight' has shape \(96, 32\), expected \(32, 96\)"):
        quantize.quantize_model(sd, cfg, _calib())


@pytest.mark.parametrize("change,msg", [
    ({"activation_function": "relu"}, "activation_function"),
    ({"n_head": 3}, "not divisible"),
    ({"n_embd": 512, "n_head": 2}, "head_dim=256"),
    ({"scale_attn_by_inverse_layer_idx": True}, "scale_attn_by_inverse_layer_idx"),
])
def test_unsupported_config(change, msg):
    sd, cfg = random_gpt2()
    cfg.update(change)
    with pytest.raises(ParamError, match=msg):
        quantize.quantize_model(sd, cfg, _calib())
    with pytest.raises(ParamError, match="n_layer"):
        quantize.normalize_config({k: v for k, v in cfg.items() if k != "n_layer"})


def test_bad_resid_bits():
    sd, cfg = random_gpt2()
    with pytest.raises(ParamError, match="resid_bits"):
        quantize.quantize_model(sd, cfg, _calib(), resid_bits=12)


def test_param_file_errors(small, tmp_path):
    _, _, params = small
    p = dict(params)
    del p["layer0.fc1.mult"]
    with pytest.raises(ParamError, match=r"missing tensor 'layer0\.fc1\.mult'"):
        quantize.save_params(tmp_path / "x.npz", p)
    p = dict(params)
    p["layer0.gelu.table"] = p["layer0.gelu.table"][:128]
    with pytest.raises(ParamError, match=r"'layer0\.gelu\.table' has shape \(128,\), expected \(256,\)"):
        quantize.validate_params(p)
    p = dict(params)
    p["layer0.o.weight"] = p["layer0.o.weight"].astype(np.int16)
    with pytest.raises(ParamError, match=r"'layer0\.o\.weight' has dtype int16, expected int8"):
        quantize.validate_params(p)
    p = dict(params)
    np.savez(tmp_path / "bad.npz", **{k: v for k, v in p.items() if k != "config_json"})
    with pytest.raises(ParamError, match="config_json"):
        quantize.load_params(tmp_path / "bad.npz")


def test_quantised_layer_tracks_float_on_random_model(small):
    """Sanity of the composition on a random model (random weights hide most error)."""
    from models import float_ref, gpt2

    sd, cfg, params = small
    lc = quantize.validate_params(params)
    m = gpt2.IntGPT2(lc, params)
    toks = np.random.default_rng(5).integers(0, 256, 16)
    _, h_f, outs_f = float_ref.model_forward(quantize.normalize_state_dict(sd), lc, toks)
    for pos, t in enumerate(toks):
        outs = []
        _, h = m.step_full(int(t), pos, outs)
        xf = outs_f[0][pos]
        xi = outs[0] * m.resid_scale(0)
        assert np.dot(xf, xi) / np.linalg.norm(xf) / np.linalg.norm(xi) > 0.99
        assert np.dot(h, h_f[pos]) / np.linalg.norm(h) / np.linalg.norm(h_f[pos]) > 0.99
    with pytest.raises(ops.NumericsError, match="outside the KV cache"):
        m.step(0, 16)
    assert isinstance(m.kv[0], layer.KVCache)
