"""Whole-model GPT-2 decode loop around the integer layer.

Front end (embedding, quantise to the residual format) and back end (final LayerNorm, LM
head) are float numpy; each decoder layer is the integer golden `layer.layer_decode`, or any
callable with the same signature -- that is where the RTL simulation plugs in:

    layer_fn(layer_params: dict, cfg: dict, kv: KVCache, x: int array [d], pos: int) -> int array [d]

Example: compare the DUT layer with the golden one token by token::

    m = IntGPT2.from_file("verif/fixtures/tiny_gpt2/int_params.npz", layer_fn=my_rtl_layer)
    logits = m.step(token, pos)
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from . import float_ref, layer as layer_mod, ops, quantize

LayerFn = Callable[[dict, dict, "layer_mod.KVCache", np.ndarray, int], np.ndarray]


class IntGPT2:
    def __init__(self, cfg: dict, params: dict, layer_fn: LayerFn | None = None):
        self.cfg = cfg
        self.params = params
        self.layers = [quantize.layer_view(params, i) for i in range(cfg["n_layer"])]
        self.layer_fn: LayerFn = layer_fn or layer_mod.layer_decode
        self.reset()

    @classmethod
    def from_file(cls, path: str | Path, layer_fn: LayerFn | None = None) -> "IntGPT2":
        cfg, params = quantize.load_params(path)
        return cls(cfg, params, layer_fn)

    def reset(self) -> None:
        """Empty KV caches (one per layer)."""
        self.kv = [layer_mod.KVCache(self.cfg["max_seq"], self.cfg["d_model"]) for _ in range(self.cfg["n_layer"])]

    # --- float front / back end -------------------------------------------------------
    def embed(self, token: int, pos: int) -> np.ndarray:
        """wte[token] + wpe[pos], quantised to the residual format (resid_bits, embed_scale)."""
        if not 0 <= pos < self.cfg["max_seq"]:
            raise ops.NumericsError(f"position {pos} outside the KV cache [0, {self.cfg['max_seq']})")
        if not 0 <= token < self.cfg["vocab_size"]:
            raise ValueError(f"token {token} outside the vocabulary [0, {self.cfg['vocab_size']})")
        x = self.params["embed.wte"][token].astype(np.float64) + self.params["embed.wpe"][pos]
        lim = 2 ** (self.cfg["resid_bits"] - 1)
        return np.clip(np.round(x / self.cfg["embed_scale"]), -lim, lim - 1).astype(np.int64)

    def resid_scale(self, i: int) -> float:
        """Real scale of the residual stream after layer i."""
        return self.cfg["scales"][i]["resid_out"]

    def head(self, x_int: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(logits, hidden after ln_f) from the last layer's integer residual."""
        x = x_int.astype(np.float64) * self.resid_scale(self.cfg["n_layer"] - 1)
        h = float_ref.layer_norm(x, self.params["ln_f.weight"].astype(np.float64),
                                 self.params["ln_f.bias"].astype(np.float64), self.cfg["layer_norm_epsilon"])
        return h @ self.params["lm_head.weight"].astype(np.float64).T, h

    # --- decode -----------------------------------------------------------------------
    def step(self, token: int, pos: int, layer_outs: list | None = None) -> np.ndarray:
        """Decode one token at position pos (KV caches must hold 0..pos-1). Returns logits.
        If layer_outs is a list, each layer's integer output is appended to it."""
        logits, _ = self.step_full(token, pos, layer_outs)
        return logits

    def step_full(self, token: int, pos: int, layer_outs: list | None = None):
        x = self.embed(token, pos)
        for i, p in enumerate(self.layers):
            x = np.asarray(self.layer_fn(p, self.cfg, self.kv[i], x, pos), dtype=np.int64)
            if layer_outs is not None:
                layer_outs.append(x)
        return self.head(x)

    def generate(self, prompt, n_new: int) -> list[int]:
        """Greedy generation from a fresh cache (prompt + n_new <= max_seq)."""
        self.reset()
        toks = list(prompt)
        if len(toks) + n_new > self.cfg["max_seq"]:
            raise ValueError(f"prompt {len(toks)} + {n_new} new tokens > max_seq {self.cfg['max_seq']}")
        logits = None
        for pos, t in enumerate(toks):
            logits = self.step(t, pos)
        for _ in range(n_new):
            toks.append(int(np.argmax(logits)))
            if len(toks) < len(prompt) + n_new:
                logits = self.step(toks[-1], len(toks) - 1)
        return toks
