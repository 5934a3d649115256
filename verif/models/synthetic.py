"""Random GPT-2 and Llama models for tests and the RTL harness (no training, no download): GPT-2 in HF
key layout, Llama as the GGUF loader returns it; random_int_* run them through the real quantisers."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def random_gpt2(n_layer=1, d=32, n_head=2, d_ffn=64, n_pos=16, vocab=256, seed=0):
    """A small random GPT-2 in HF key layout (with the 'transformer.' prefix) and its config."""
    rng = np.random.default_rng(seed)
    cfg = {"n_layer": n_layer, "n_embd": d, "n_head": n_head, "n_inner": d_ffn, "n_positions": n_pos,
           "vocab_size": vocab, "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new"}
    sd = {"transformer.wte.weight": rng.normal(0, 0.5, (vocab, d)),
          "transformer.wpe.weight": rng.normal(0, 0.1, (n_pos, d)),
          "transformer.ln_f.weight": rng.normal(1, 0.1, d), "transformer.ln_f.bias": rng.normal(0, 0.1, d)}
    shapes = {"ln_1.weight": (d,), "ln_1.bias": (d,), "attn.c_attn.weight": (d, 3 * d),
              "attn.c_attn.bias": (3 * d,), "attn.c_proj.weight": (d, d), "attn.c_proj.bias": (d,),
              "ln_2.weight": (d,), "ln_2.bias": (d,), "mlp.c_fc.weight": (d, d_ffn), "mlp.c_fc.bias": (d_ffn,),
              "mlp.c_proj.weight": (d_ffn, d), "mlp.c_proj.bias": (d,)}
    for i in range(n_layer):
        for k, s in shapes.items():
            base = 1.0 if k.endswith("ln_1.weight") or k.endswith("ln_2.weight") else 0.0
            std = 0.1 if "ln_" in k else (0.02 if k.endswith("bias") else 1.0 / np.sqrt(s[0]))
            sd[f"transformer.h.{i}.{k}"] = rng.normal(base, std, s)
    return {k: v.astype(np.float32) for k, v in sd.items()}, cfg


def random_int_gpt2(path, n_layer=1, d=32, n_head=2, d_ffn=64, n_pos=16, seed=0, calib_windows=4, calib_len=16):
    """Quantise a random GPT-2 (calibrated on random byte sequences) to an integer parameter file
    at `path` and return quantize.load_params(path): (cfg, params)."""
    from models import quantize

    sd, cfg = random_gpt2(n_layer, d, n_head, d_ffn, n_pos, seed=seed)
    rng = np.random.default_rng(seed + 1)
    calib = [rng.integers(0, cfg["vocab_size"], min(calib_len, n_pos)) for _ in range(calib_windows)]
    quantize.save_params(path, quantize.quantize_model(sd, cfg, calib))
    return quantize.load_params(path)


# ---------------------------------------------------------------------------------------
# Llama (the SmolLM2 architecture): a synthetic stand-in for the GGUF, then the real quantiser
# ---------------------------------------------------------------------------------------
def _fp16(x):
    """float32 values that fp16 represents exactly (the GGUF block scales are fp16)."""
    return np.asarray(x, np.float64).astype(np.float16).astype(np.float32)


def quantize_q4_1(w):
    """float [N, K] -> llama_gguf.Q4_1 as llama.cpp's reference quantiser makes it: per block of
    32, d = fp16((max - min) / 15), m = fp16(min), q = clip(round((w - m) / d), 0, 15)."""
    from models.llama_gguf import GROUP, Q4_1

    w = np.asarray(w, np.float64)
    N, K = w.shape
    b = w.reshape(N, K // GROUP, GROUP)
    lo, hi = b.min(-1), b.max(-1)
    d = _fp16((hi - lo) / 15.0)
    m = _fp16(lo)
    inv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1.0), 0.0)
    q = np.clip(np.round((b - m[..., None]) * inv[..., None]), 0, 15).astype(np.uint8)
    return Q4_1(q.reshape(N, K), d, m)


def quantize_q8_0(w):
    """float [N, K] -> llama_gguf.Q8_0: per block of 32, d = fp16(max|w| / 127), q = round(w / d)."""
    from models.llama_gguf import GROUP, Q8_0

    w = np.asarray(w, np.float64)
    N, K = w.shape
    b = w.reshape(N, K // GROUP, GROUP)
    d = _fp16(np.abs(b).max(-1) / 127.0)
    inv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1.0), 0.0)
    q = np.clip(np.round(b * inv[..., None]), -127, 127).astype(np.int8)
    return Q8_0(q.reshape(N, K), d)


def check_llama_shape(n_layer, d, n_head, n_kv_head, d_ffn, max_seq, vocab) -> int:
    """ValueError (one line naming the problem) unless the shape is one the integer Llama
    supports; returns head_dim = d / n_head."""
    for name, v in (("n_layer", n_layer), ("d", d), ("n_head", n_head), ("n_kv_head", n_kv_head),
                    ("d_ffn", d_ffn), ("max_seq", max_seq), ("vocab", vocab)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"random_int_llama: {name}={v!r} must be a positive integer")
    if d % n_head:
        raise ValueError(f"random_int_llama: d={d} is not a multiple of n_head={n_head}")
    hd = d // n_head
    if hd % 2:
        raise ValueError(f"random_int_llama: head_dim = d/n_head = {hd} is odd (RoPE rotates pairs)")
    if n_head % n_kv_head:
        raise ValueError(f"random_int_llama: n_head={n_head} is not a multiple of n_kv_head={n_kv_head}")
    for name, v in (("d", d), ("d_ffn", d_ffn)):
        if v % 32:
            raise ValueError(f"random_int_llama: {name}={v} is not a multiple of 32 (the Q4_1/Q8_0 block)")
    return int(hd)


def random_llama_gguf(n_layer=2, d=64, n_head=4, n_kv_head=2, d_ffn=128, max_seq=8, vocab=256, seed=0,
                      rope_theta=10000.0, rms_norm_eps=1e-5):
    """A random Llama as llama_gguf.load_gguf returns it (LlamaGGUF: the same cfg keys, Q4_1
    projections, a Q8_0 tied token embedding, F32 norms), without a file.

    Float weights N(0, (gain/sqrt(K))^2), K the Linear's input width, gain 1 (1.5 for q and k, so
    attention scores have std ~2), then Q4_1-quantised the way llama.cpp does (so d ~ 0.27 gain/sqrt(K)
    per block, 0.02..0.05 at K = 64, and m ~ -7.5 d: zero-mean weights); embedding N(0, 0.05^2) as
    Q8_0; norm gains uniform in [0.8, 1.2]. Activations keep unit RMS through every Linear.
    rope_theta and rms_norm_eps are rounded to float32, as a GGUF stores them (write_llama_gguf
    and load_gguf give back exactly this object)."""
    from models.llama_gguf import LlamaGGUF

    hd = check_llama_shape(n_layer, d, n_head, n_kv_head, d_ffn, max_seq, vocab)
    n_layer, d, n_head, n_kv_head, d_ffn, max_seq, vocab = map(int, (n_layer, d, n_head, n_kv_head, d_ffn,
                                                                      max_seq, vocab))  # JSON-able
    rng = np.random.default_rng(seed)
    name = f"synthetic-llama-L{n_layer}-d{d}-h{n_head}-kv{n_kv_head}-f{d_ffn}-v{vocab}-seed{seed}"
    cfg = {"n_layer": n_layer, "d_model": d, "d_ffn": d_ffn, "n_head": n_head, "n_kv_head": n_kv_head,
           "rope_theta": float(np.float32(rope_theta)), "rms_norm_eps": float(np.float32(rms_norm_eps)),
           "context_length": max_seq, "head_dim": hd, "vocab_size": vocab, "gguf_file": name + ".gguf",
           "n_layer_loaded": n_layer}
    kvd = n_kv_head * hd
    shapes = {"attn_q": (d, d), "attn_k": (kvd, d), "attn_v": (kvd, d), "attn_output": (d, d),
              "ffn_gate": (d_ffn, d), "ffn_up": (d_ffn, d), "ffn_down": (d, d_ffn)}
    t = {"token_embd.weight": quantize_q8_0(rng.normal(0.0, 0.05, (vocab, d))),
         "output_norm.weight": rng.uniform(0.8, 1.2, d).astype(np.float32)}
    for i in range(n_layer):
        p = f"blk.{i}."
        t[p + "attn_norm.weight"] = rng.uniform(0.8, 1.2, d).astype(np.float32)
        t[p + "ffn_norm.weight"] = rng.uniform(0.8, 1.2, d).astype(np.float32)
        for n, (N, K) in shapes.items():
            gain = 1.5 if n in ("attn_q", "attn_k") else 1.0  # scores of std ~2: a selective softmax
            t[p + n + ".weight"] = quantize_q4_1(rng.normal(0.0, gain / np.sqrt(K), (N, K)))
    return LlamaGGUF(Path(name + ".gguf"), cfg, t)


def write_llama_gguf(g, path) -> None:
    """Write a LlamaGGUF (e.g. random_llama_gguf's) as a GGUF file that llama_gguf.load_gguf reads
    back to the same cfg and tensors (needs the gguf package). No tokenizer is written."""
    import gguf

    from models.llama_gguf import GROUP, Q4_1, Q8_0

    c = g.cfg
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_block_count(c["n_layer"])
    w.add_embedding_length(c["d_model"])
    w.add_feed_forward_length(c["d_ffn"])
    w.add_head_count(c["n_head"])
    w.add_head_count_kv(c["n_kv_head"])
    w.add_rope_freq_base(c["rope_theta"])
    w.add_layer_norm_rms_eps(c["rms_norm_eps"])
    w.add_context_length(c["context_length"])
    w.add_rope_dimension_count(c["head_dim"])
    for name, t in g.tensors.items():
        if isinstance(t, Q4_1):
            N, K = t.codes.shape
            q = t.codes.reshape(N, K // GROUP, 2, GROUP // 2)
            hdr = np.stack([t.d, t.m], -1).astype(np.float16).view(np.uint8)
            raw = np.concatenate([hdr, q[:, :, 0] | (q[:, :, 1] << 4)], -1)
            w.add_tensor(name, raw.reshape(N, -1), raw_dtype=gguf.GGMLQuantizationType.Q4_1)
        elif isinstance(t, Q8_0):
            N, K = t.q.shape
            hdr = t.d[..., None].astype(np.float16).view(np.uint8)
            raw = np.concatenate([hdr, t.q.reshape(N, K // GROUP, GROUP).view(np.uint8)], -1)
            w.add_tensor(name, raw.reshape(N, -1), raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        else:
            w.add_tensor(name, np.asarray(t, np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def random_int_llama(path, n_layer=2, d=64, n_head=4, n_kv_head=2, d_ffn=128, max_seq=8, vocab=256, seed=0,
                     calib_windows=8) -> tuple[dict, dict]:
    """Quantise random_llama_gguf(...) with llama_quant.quantize_model (calibrated on
    calib_windows random token windows of max_seq tokens, drawn from a seed derived from `seed`)
    to an integer parameter file at `path`; returns llama_quant.load_params(path): (cfg, params).
    Deterministic for a given seed. The shape is checked (ValueError) before any work.

    8 windows (64 tokens at max_seq 8) see enough of the vocabulary that unseen tokens rarely
    saturate an int16 point: over seeds 0..19 the int model's final hidden tracks the float twin
    (llama_float.forward) to a median cosine above 0.99999, worst 0.991 (2 windows: worst 0.980)."""
    from models import llama_quant

    check_llama_shape(n_layer, d, n_head, n_kv_head, d_ffn, max_seq, vocab)
    g = random_llama_gguf(n_layer, d, n_head, n_kv_head, d_ffn, max_seq, vocab, seed)
    rng = np.random.default_rng([seed, 1])
    calib = [rng.integers(0, vocab, max_seq) for _ in range(calib_windows)]
    params = llama_quant.quantize_model(
        g, calib, max_seq=max_seq,
        calibration=f"{calib_windows} random token windows of {max_seq} tokens (seed [{seed}, 1])")
    llama_quant.save_params(path, params)
    return llama_quant.load_params(path)
