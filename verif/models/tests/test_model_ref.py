"""Float truth: the numpy float twin against transformers' GPT2LMHeadModel (needs torch)."""
from __future__ import annotations

import json

import numpy as np
import pytest

pytestmark = pytest.mark.ref
torch = pytest.importorskip("torch", reason="float truth needs torch (pip install .[ref])")
transformers = pytest.importorskip("transformers", reason="float truth needs transformers (pip install .[ref])")

from models import corpus, float_ref, gpt2  # noqa: E402

from .conftest import FIXTURE_DIR  # noqa: E402


@pytest.fixture(scope="module")
def hf(tiny_fixture):
    torch.set_num_threads(1)
    cfg = transformers.GPT2Config.from_dict(json.loads((FIXTURE_DIR / "config.json").read_text()))
    m = transformers.GPT2LMHeadModel(cfg)
    with np.load(FIXTURE_DIR / "model_fp32.npz") as z:
        m.load_state_dict({k: torch.from_numpy(z[k]) for k in z.files}, strict=False)
    return m.eval()


def _hf_blocks(m, toks, past=None):
    outs = []
    hooks = [b.register_forward_hook(lambda _m, _i, o: outs.append(
        (o[0] if isinstance(o, tuple) else o)[0].double().numpy())) for b in m.transformer.h]
    try:
        with torch.no_grad():
            r = m(torch.from_numpy(np.asarray(toks)[None]), past_key_values=past, use_cache=past is not None,
                  output_hidden_states=True)
    finally:
        for h in hooks:
            h.remove()
    return r, outs


def test_float_twin_matches_transformers(hf, tiny_fixture):
    sd, cfg, _ = tiny_fixture
    toks = corpus.heldout_sequences(1, 128)[0]
    r, blocks = _hf_blocks(hf, toks)
    cfgn = {"n_layer": cfg["n_layer"], "n_head": cfg["n_head"], "layer_norm_epsilon": cfg["layer_norm_epsilon"]}
    logits, h, outs = float_ref.model_forward(sd, cfgn, toks)
    for i, (a, b) in enumerate(zip(outs, blocks)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4, err_msg=f"block {i}")
    np.testing.assert_allclose(h, r.hidden_states[-1][0].double().numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(logits, r.logits[0].double().numpy(), rtol=1e-4, atol=1e-4)


def test_transformers_decode_with_dynamic_cache(hf, tiny_fixture):
    """HF 5.x incremental decode (past_key_values is a DynamicCache) equals the full forward."""
    toks = corpus.heldout_sequences(1, 128)[0][:20]
    full, _ = _hf_blocks(hf, toks)
    past = transformers.DynamicCache()
    for pos, t in enumerate(toks):
        r, _ = _hf_blocks(hf, [t], past)
        past = r.past_key_values
        np.testing.assert_allclose(r.logits[0, -1].numpy(), full.logits[0, pos].numpy(), rtol=1e-4, atol=1e-4)


def test_integer_model_close_to_transformers(hf, tiny_fixture):
    """Quick accuracy smoke on 64 held-out positions (the full report is scripts/accuracy.py)."""
    _, _, path = tiny_fixture
    toks = corpus.heldout_sequences(1, 128)[0][:64]
    r, _ = _hf_blocks(hf, toks)
    m = gpt2.IntGPT2.from_file(path)
    agree, cos = [], []
    for pos, t in enumerate(toks):
        li, hi = m.step_full(int(t), pos)
        hf_h = r.hidden_states[-1][0, pos].double().numpy()
        agree.append(np.argmax(li) == int(r.logits[0, pos].argmax()))
        cos.append(hi @ hf_h / np.linalg.norm(hi) / np.linalg.norm(hf_h))
    assert np.mean(agree) >= 0.9 and np.mean(cos) >= 0.99, (np.mean(agree), np.mean(cos))
