"""Whole-model Llama (SmolLM2) decode loop around the integer layer, tokenizer, text, float truth.

Front end (Q8_0 embedding -> int24 residual) and back end (final RMSNorm, tied Q8_0 LM head)
are float numpy, as for GPT-2; every decoder layer is the integer golden `layer_decode`, or
any callable with its signature (where an RTL simulation plugs in):

    layer_fn(layer_params: dict, cfg: dict, kv: KVCache, x: int [d] or [T, d], pos) -> int array

`x` may hold T tokens at consecutive positions pos..pos+T-1 (a prompt): the result is
bit-identical to decoding them one by one (tests check it), it is only faster.

The tokenizer and chat template come from the GGUF (transformers' GGUF tokenizer). The float
truth is transformers' LlamaForCausalLM loaded from the same GGUF (dequantised weights, fp32).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from . import corpus, llama_gguf, llama_ops as lops, llama_quant

LayerFn = Callable[[dict, dict, "KVCache", np.ndarray, object], np.ndarray]
CHAT_PROMPTS = ("What is the capital of France?", "Name the largest planet in our solar system.",
                "What is the boiling point of water at sea level in Celsius?")


class KVCache:
    """int16 K (after RoPE) and V of the KV heads only: [max_seq, n_kv_head * head_dim]."""

    def __init__(self, max_seq: int, kv_dim: int):
        self.k = np.zeros((max_seq, kv_dim), np.int64)
        self.v = np.zeros((max_seq, kv_dim), np.int64)


def layer_decode(p: dict, cfg: dict, kv: KVCache, x, pos, trace: dict | None = None) -> np.ndarray:
    """One Llama decoder layer in integers (docs/numerics.md, "The Llama decode layer").

    x: int24 residual [d] at position pos, or [T, d] at positions pos..pos+T-1.
    trace: if a dict, receives every intermediate under the names of llama_float.POINTS.
    """
    x = np.asarray(x, np.int64)
    single = x.ndim == 1
    X = x[None] if single else x
    T = X.shape[0]
    p0 = int(pos)
    positions = np.arange(p0, p0 + T)
    if p0 < 0 or p0 + T > kv.k.shape[0]:
        raise lops.NumericsError(f"layer_decode: positions {p0}..{p0 + T - 1} outside the KV cache [0, {kv.k.shape[0]})")
    hd, rb = cfg["head_dim"], cfg["resid_bits"]
    h = _norm(p, rb, "attn_norm", X)
    q = lops.rope(_lin(p, "q", h, lops.ACT_BITS), positions, p["rope.cos"], p["rope.sin"], hd)
    k = lops.rope(_lin(p, "k", h, lops.ACT_BITS), positions, p["rope.cos"], p["rope.sin"], hd)
    v = _lin(p, "v", h, lops.ACT_BITS)
    kv.k[positions] = k
    kv.v[positions] = v
    a = lops.gqa_attention(q, kv.k, kv.v, positions, cfg["n_head"], cfg["n_kv_head"],
                           int(p["attn.score_pre"]), int(p["attn.score_mult"]), int(p["attn.score_shift"]),
                           int(p["attn.out_pre"]), int(p["attn.out_mult"]), int(p["attn.out_shift"]))
    rest = after_attention(p, cfg, X, a)
    if trace is not None:
        trace.update(resid_in=X, attn_norm=h, q=q, k=k, v=v, attn_out=a, **rest)
    x2 = rest["resid_out"]
    return x2[0] if single else x2


def _lin(p: dict, name: str, a, out_bits: int, x_shift=0) -> np.ndarray:
    return lops.q4_linear(a, p[name + ".codes"], p[name + ".D"], p[name + ".C"], p[name + ".pre"],
                          p[name + ".mult"], p[name + ".shift"], out_bits, x_shift, p.get(name + ".prepared"))


def _norm(p: dict, rb: int, name: str, a) -> np.ndarray:
    return lops.rmsnorm(a, rb, int(p[name + ".eps_v"]), p[name + ".g_mult"], p[name + ".g_shift"],
                        p[name + ".g_neg"], lops.ACT_BITS)


def after_attention(p: dict, cfg: dict, X, a) -> dict:
    """The layer from the attention output a [T, n_head*head_dim] on: O, the first residual add,
    the FFN and the second add, given the layer input X [T, d]. Returns the intermediates under
    llama_float.POINTS' names (resid_out is x'). Also what the RTL computes for a token whose
    attention it refuses (a = zeros, rtl/attention.sv)."""
    rb = cfg["resid_bits"]
    o = _lin(p, "o", a, rb)
    x1 = lops.resid_add(X, o, int(p["add1.a_shift"]), rb)
    h2 = _norm(p, rb, "ffn_norm", x1)
    gate = _lin(p, "gate", h2, lops.ACT_BITS)
    up = _lin(p, "up", h2, lops.ACT_BITS)
    sw, e = lops.swiglu(gate, up, p["swiglu.sig_table"])
    dn = _lin(p, "down", sw, rb, e)
    x2 = lops.resid_add(x1, dn, int(p["add2.a_shift"]), rb)
    return dict(o=o, resid_mid=x1, ffn_norm=h2, gate=gate, up=up, swiglu=sw, swiglu_exp=e, down=dn, resid_out=x2)


class IntLlama:
    def __init__(self, cfg: dict, params: dict, layer_fn: LayerFn | None = None, max_seq: int = 1024,
                 cache_weights: bool = False):
        """cache_weights: keep every Linear's integer weights as float64 (about 850 MB for SmolLM2),
        which makes token-by-token decoding several times faster; results are identical."""
        self.cfg = cfg
        self.params = params
        rope = {"rope.cos": params["rope.cos"], "rope.sin": params["rope.sin"]}
        self.layers = [{**llama_quant.layer_view(params, i), **rope} for i in range(cfg["n_layer"])]
        if cache_weights:
            for p in self.layers:
                for n in llama_quant.LINEARS:
                    p[n + ".prepared"] = lops.q4_prepare(p[n + ".codes"], p[n + ".D"], p[n + ".C"])
        self.layer_fn: LayerFn = layer_fn or layer_decode
        self.max_seq = min(max_seq, cfg["max_seq"])
        self._emb = None
        self.reset()

    @classmethod
    def from_file(cls, path, layer_fn: LayerFn | None = None, max_seq: int = 1024,
                  cache_weights: bool = False) -> "IntLlama":
        cfg, params = llama_quant.load_params(path)
        return cls(cfg, params, layer_fn, max_seq, cache_weights)

    def reset(self) -> None:
        kvd = self.cfg["n_kv_head"] * self.cfg["head_dim"]
        self.kv = [KVCache(self.max_seq, kvd) for _ in range(self.cfg["n_layer"])]

    # --- float front / back end -------------------------------------------------------
    def embedding(self) -> np.ndarray:
        """The Q8_0 token embedding (= the tied LM head), dequantised, float32 [V, d]."""
        if self._emb is None:
            q, d = self.params["embed.q"], self.params["embed.d"]
            V, D = q.shape
            self._emb = (q.reshape(V, D // 32, 32).astype(np.float32) * d[:, :, None]).reshape(V, D)
        return self._emb

    def embed(self, tokens) -> np.ndarray:
        """int24 residual of the tokens: sat24(round(E[t] / 2^embed_exp))."""
        t = np.atleast_1d(np.asarray(tokens, np.int64))
        if t.size and (t.min() < 0 or t.max() >= self.cfg["vocab_size"]):
            raise ValueError(f"token outside the vocabulary [0, {self.cfg['vocab_size']})")
        q, d = self.params["embed.q"][t], self.params["embed.d"][t]
        e = (q.reshape(len(t), -1, 32).astype(np.float64) * d[:, :, None]).reshape(len(t), -1)
        return lops.saturate(np.round(np.ldexp(e, -self.cfg["embed_exp"])), self.cfg["resid_bits"])

    def head(self, x_int) -> tuple[np.ndarray, np.ndarray]:
        """(logits, hidden after the final RMSNorm) from the last layer's int24 residual."""
        x = np.ldexp(np.asarray(x_int, np.float64), self.cfg["final_exp"])
        h = x / np.sqrt((x * x).mean(-1, keepdims=True) + self.cfg["rms_norm_eps"]) * self.params["output_norm.weight"]
        return h @ self.embedding().T.astype(np.float64), h

    def resid_exp(self, i: int) -> int:
        return self.cfg["scales"][i]["resid_out_exp"]

    # --- decode -----------------------------------------------------------------------
    def forward(self, tokens, pos: int, layer_outs: list | None = None):
        """Tokens at positions pos..pos+T-1 (KV caches must hold 0..pos-1). Returns (logits, hidden)
        of every token. layer_outs, if a list, receives each layer's int24 output."""
        tokens = np.atleast_1d(np.asarray(tokens))
        if pos < 0 or pos + len(tokens) > self.max_seq:
            raise lops.NumericsError(f"positions {pos}..{pos + len(tokens) - 1} outside the KV cache [0, {self.max_seq})")
        x = self.embed(tokens)
        for i, p in enumerate(self.layers):
            x = np.asarray(self.layer_fn(p, self.cfg, self.kv[i], x, pos), dtype=np.int64)
            if layer_outs is not None:
                layer_outs.append(x)
        return self.head(x)

    def step(self, token: int, pos: int) -> np.ndarray:
        """Decode one token at position pos. Returns its logits [V]."""
        return self.forward([token], pos)[0][0]

    def generate(self, prompt, n_new: int, eos: int | None = None) -> list[int]:
        """Greedy: the prompt in one pass (bit-identical to one token at a time), then n_new tokens
        one by one. Stops early at eos. Returns the new tokens."""
        self.reset()
        logits = self.forward(list(prompt), 0)[0][-1]
        out: list[int] = []
        for _ in range(n_new):
            t = int(np.argmax(logits))
            out.append(t)
            if t == eos or len(prompt) + len(out) >= self.max_seq:
                break
            logits = self.step(t, len(prompt) + len(out) - 1)
        return out


# ---------------------------------------------------------------------------------------
# tokenizer, chat template, float truth (transformers on the same GGUF)
# ---------------------------------------------------------------------------------------
@lru_cache(maxsize=2)
def tokenizer(gguf_path=None):
    from transformers import AutoTokenizer

    p = Path(gguf_path) if gguf_path else llama_gguf.default_gguf_path()
    return AutoTokenizer.from_pretrained(str(p.parent), gguf_file=p.name)


def hf_model(gguf_path=None):
    import torch
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    torch.set_num_threads(1)
    hf_logging.disable_progress_bar()
    p = Path(gguf_path) if gguf_path else llama_gguf.default_gguf_path()
    return AutoModelForCausalLM.from_pretrained(str(p.parent), gguf_file=p.name, dtype=torch.float32).eval()


def chat_ids(tok, prompt: str) -> list[int]:
    """The prompt as one user turn with the GGUF's chat template and the generation prompt."""
    r = tok.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=True)
    return list(r["input_ids"] if hasattr(r, "keys") else r)


def hf_greedy(model, prompt: list[int], n_new: int, eos: int | None = None) -> list[int]:
    import torch

    ids = torch.tensor([prompt])
    with torch.no_grad():
        out = model.generate(ids, max_new_tokens=n_new, do_sample=False, attention_mask=torch.ones_like(ids),
                             pad_token_id=eos, eos_token_id=eos)
    return [int(t) for t in out[0, len(prompt):]]


# ---------------------------------------------------------------------------------------
# text: calibration (training split) and evaluation (held-out split) never overlap
# ---------------------------------------------------------------------------------------
def _paragraphs(split: str) -> list[str]:
    train, held = corpus.load_corpus()
    text = bytes(train if split == "train" else held).decode("utf-8", errors="ignore")
    paras = [p.strip() for p in text.split("\n\n")]
    return [p for p in paras if len(p) > 200 and p.count(" ") > 30]


def _windows(tok, split: str, n_prose: int, n_chat: int, length: int, seed: int):
    """Prose windows from the first half of the split's paragraphs, chat windows from the second
    half (so the two kinds never share text). Each chat window is a new conversation: a user turn
    (the paragraph's first sentence) and an assistant turn (the rest, plus following paragraphs
    until the window is full), never reusing a paragraph."""
    paras = _paragraphs(split)
    half = len(paras) // 2
    out = []
    if n_prose:
        ids = tok("\n\n".join(paras[:half]), add_special_tokens=False)["input_ids"]
        if len(ids) < n_prose * length:
            raise ValueError(f"{split} text has {len(ids)} prose tokens, need {n_prose * length}")
        starts = np.linspace(0, len(ids) - length, n_prose).astype(int)
        out += [("prose", np.array(ids[s:s + length], np.int64)) for s in starts]
    chat = [paras[half + i] for i in np.random.default_rng(seed).permutation(len(paras) - half)]
    j = 0
    for _ in range(n_chat):
        if j >= len(chat):
            raise ValueError(f"{split} text has too few paragraphs for {n_chat} chat windows")
        para = chat[j]
        j += 1
        first, sep, rest = para.partition(". ")
        if len(first) < 30 or not sep:
            cut = para[:120].rsplit(" ", 1)[0]
            first, rest = cut, para[len(cut):]
        content = rest.strip()
        while True:
            msgs = [{"role": "user", "content": "Explain this: " + first.strip()},
                    {"role": "assistant", "content": content}]
            r = tok.apply_chat_template(msgs, tokenize=True)
            ids = list(r["input_ids"] if hasattr(r, "keys") else r)
            if len(ids) >= length:
                break
            if j >= len(chat):
                raise ValueError(f"{split} text has too few paragraphs for {n_chat} chat windows")
            content += "\n\n" + chat[j]
            j += 1
        out.append(("chat", np.array(ids[:length], np.int64)))
    return out


TEXT_VERSION = "pydoc paragraphs v2: prose from the first half, chat from the second half of each split"


def calibration_id(n_prose: int = 4, n_chat: int = 4, length: int = 128) -> str:
    """What calibration_windows(tok, n_prose, n_chat, length) uses (recorded in the parameter file)."""
    return f"training split, {n_prose} prose + {n_chat} chat windows of {length} tokens; {TEXT_VERSION}"


def calibration_windows(tok, n_prose: int = 4, n_chat: int = 4, length: int = 128) -> list[np.ndarray]:
    """Token windows from the TRAINING split of the pydoc text (prose and chat-formatted)."""
    return [w for _, w in _windows(tok, "train", n_prose, n_chat, length, seed=11)]


def heldout_windows(tok, n_prose: int = 2, n_chat: int = 2, length: int = 128) -> list[tuple[str, np.ndarray]]:
    """(kind, tokens) windows from the HELD-OUT split: n_prose of prose, n_chat chat-formatted."""
    return _windows(tok, "heldout", n_prose, n_chat, length, seed=23)
