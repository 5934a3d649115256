"""The whole SmolLM2 model (30 layers) against transformers on the GGUF: a chat answer.

Slow (about 1.5 minutes: transformers' GGUF load, the tokenizer, calibration of all 30 layers),
so it runs in make regress-full; the full accuracy report is scripts/accuracy.py --model smollm2.
"""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.ref, pytest.mark.slow]
pytest.importorskip("torch", reason="float truth needs torch (pip install .[ref])")
pytest.importorskip("transformers", reason="float truth needs transformers (pip install .[ref])")
pytest.importorskip("gguf", reason="the GGUF loader needs the gguf package")

from models import llama_gguf, llama_model, llama_quant  # noqa: E402


def test_chat_answer_integer_equals_float(tmp_path):
    g = llama_gguf.load_gguf()
    tok = llama_model.tokenizer(g.path)
    p = tmp_path / "int_params.npz"
    llama_quant.save_params(p, llama_quant.quantize_model(g, llama_model.calibration_windows(tok, 2, 2), max_seq=512))
    im = llama_model.IntLlama.from_file(p, max_seq=128)
    hf = llama_model.hf_model(g.path)
    eos = tok.convert_tokens_to_ids("<|im_end|>")
    ids = llama_model.chat_ids(tok, "What is the capital of France?")
    assert tok.decode(ids).startswith("<|im_start|>system")  # the GGUF's chat template
    fl = llama_model.hf_greedy(hf, ids, 8, eos)
    it = im.generate(ids, 8, eos)
    assert it == fl, (tok.decode(it), tok.decode(fl))
    assert "Paris" in tok.decode(fl)
