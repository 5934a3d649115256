"""Accuracy of the SmolLM2 integer golden model against float transformers on the same GGUF.

Called by `scripts/accuracy.py --model smollm2` (`make accuracy MODEL=smollm2`). Measures, over
held-out windows (half ordinary prose, half chat-formatted; none overlaps the calibration
text), the integer model (models.llama_model.IntLlama) against transformers'
LlamaForCausalLM in fp32:
  top1_agreement   argmax(int logits) == argmax(float logits), every position
  cosine_mean/min  cosine of the final hidden state (after the final RMSNorm)
  per_layer_cosine mean cosine of each layer's int24 residual output (dequantised) against
                   transformers' decoder-layer output; layer_cosine_min is the lowest layer
  answers          greedy answers to chat prompts, the integer model decoding token by token
  contributions    each number format's own share of the error: the float twin
                   (models.llama_float) with every format fake-quantised (same scales and
                   tables as the integer model), then with that one format left at float
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from . import llama_float, llama_gguf, llama_model, llama_ops as lops, llama_quant

TARGETS = {"top1_agreement": 0.97, "cosine_mean": 0.999}
FORMATS = {
    "linear_in_int16": "RMSNorm outputs and attention output at int16, static scales",
    "qkv_kv_int16": "q, k, v and the KV cache at int16, static scales",
    "gate_up_int16": "gate and up projection outputs at int16, static scales",
    "down_in_int16_pow2": "down-projection input at int16 with a per-token power-of-two shift",
    "residual_int24": "residual stream and o/down outputs at int24, power-of-two scales",
    "rope_int16": "RoPE cos/sin tables at int16 Q1.14",
    "sigmoid_table": "SiLU as gate * sigmoid from the interpolated uint16 table",
}


def cos(a, b):
    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1) + 1e-30)


class FakeQuant:
    """Quantise-dequantise at every activation point, with the integer model's scales."""

    def __init__(self, cfg: dict, params: dict, formats):
        self.cfg = cfg
        self.params = params
        self.on = set(formats)

    @staticmethod
    def _q(x, s, bits):
        lim = 2 ** (bits - 1)
        return np.clip(np.round(x / s), -lim, lim - 1) * s

    def __call__(self, i, point, x):
        on = self.on
        if point == "embed":
            return self._q(x, 2.0 ** self.cfg["embed_exp"], 24) if "residual_int24" in on else x
        s = self.cfg["scales"][i]
        if point in ("attn_norm", "ffn_norm", "attn_out") and "linear_in_int16" in on:
            return self._q(x, s[point], 16)
        if point in ("q", "k", "v") and "qkv_kv_int16" in on:
            return self._q(x, s[point], 16)
        if point in ("gate", "up") and "gate_up_int16" in on:
            return self._q(x, s[point], 16)
        if point == "swiglu" and "down_in_int16_pow2" in on:
            p = x / s["swiglu_unit"]
            m = np.abs(p).max(-1, keepdims=True)
            e = np.maximum(np.ceil(np.log2(np.maximum(m, 1.0) + 1e-9)) - 15, 0)
            return self._q(x, s["swiglu_unit"] * 2.0 ** e, 16)
        if "residual_int24" in on:
            if point in ("o", "resid_mid"):
                return self._q(x, 2.0 ** s["resid_mid_exp"], 24)
            if point in ("down", "resid_out"):
                return self._q(x, 2.0 ** s["resid_out_exp"], 24)
        return x

    def rope(self, c, s):
        if "rope_int16" not in self.on:
            return c, s
        one = 2.0 ** lops.ROPE_FRAC
        return np.round(c * one) / one, np.round(s * one) / one

    def silu(self, i, g):
        if "sigmoid_table" not in self.on:
            return llama_float.silu(g)
        sg = self.cfg["scales"][i]["gate"]
        gi = np.clip(np.round(g / sg), -32768, 32767).astype(np.int64)
        sig = lops.sigmoid_lookup(gi, self.params[f"layer{i}.swiglu.sig_table"]) / 2.0 ** lops.SIG_FRAC
        return g * sig


def hf_run(model, tokens):
    """-> (logits [T,V], hidden after the final norm [T,d], decoder-layer outputs [T,d] each)."""
    import torch

    outs, fin = [], []
    hooks = [blk.register_forward_hook(lambda _m, _i, o: outs.append(
        (o[0] if isinstance(o, tuple) else o)[0].double().numpy())) for blk in model.model.layers]
    hooks.append(model.model.norm.register_forward_hook(lambda _m, _i, o: fin.append(o[0].double().numpy())))
    try:
        with torch.no_grad():
            r = model(torch.from_numpy(np.asarray(tokens)[None]))
    finally:
        for h in hooks:
            h.remove()
    return r.logits[0].double().numpy(), fin[0], outs


def ensure_params(path: Path, gguf_path=None, log=print) -> Path:
    """The integer parameter file, regenerated (quantiser + calibration) when missing or stale."""
    want = (llama_gguf.default_gguf_path() if gguf_path is None else Path(gguf_path)).name
    if path.exists():
        try:
            cfg, _ = llama_quant.load_params(path)
            if cfg.get("gguf_file") == want and cfg.get("calibration") == llama_model.calibration_id():
                return path
            log(f"  {path}: made from another GGUF or calibration text; regenerating")
        except ValueError as e:
            log(f"  {path}: {e}; regenerating")
    log(f"  quantising the GGUF into {path} (calibration on the training split) ...")
    g = llama_gguf.load_gguf(gguf_path)
    tok = llama_model.tokenizer(g.path)
    llama_quant.save_params(path, llama_quant.quantize_model(g, llama_model.calibration_windows(tok),
                                                             calibration=llama_model.calibration_id()))
    return path


def evaluate(params_path: Path, n_prose: int = 2, n_chat: int = 2, length: int = 128, n_answer: int = 16,
             contributions: bool = True, log=print) -> dict:
    t0 = time.time()
    g = llama_gguf.load_gguf()
    tok = llama_model.tokenizer(g.path)
    log(f"  loading transformers' model from {g.path.name} ...")
    hf = llama_model.hf_model(g.path)
    im = llama_model.IntLlama.from_file(params_path, max_seq=max(length, 256), cache_weights=True)
    cfg = im.cfg
    L = cfg["n_layer"]
    windows = llama_model.heldout_windows(tok, n_prose, n_chat, length)
    res = {k: {"top1": [], "cos": []} for k in ("prose", "chat")}
    layer_cs = [[] for _ in range(L)]
    hf_cache = []
    disagree = []
    for wi, (kind, seq) in enumerate(windows):
        lf, hf_h, hf_layers = hf_run(hf, seq)
        hf_cache.append((kind, seq, lf, hf_h))
        im.reset()
        lo: list = []
        li, hi = im.forward(seq, 0, lo)
        res[kind]["top1"] += list((li.argmax(-1) == lf.argmax(-1)).astype(int))
        for pos in np.nonzero(li.argmax(-1) != lf.argmax(-1))[0]:
            fa, ia = int(lf[pos].argmax()), int(li[pos].argmax())
            disagree.append({"window": wi, "kind": kind, "pos": int(pos), "float_token": tok.decode([fa]),
                             "integer_token": tok.decode([ia]),
                             "float_logit_margin": float(lf[pos, fa] - lf[pos, ia])})
        res[kind]["cos"] += list(cos(hi, hf_h))
        for i in range(L):
            layer_cs[i] += list(cos(np.ldexp(lo[i].astype(np.float64), im.resid_exp(i)), hf_layers[i]))
        log(f"  window {wi + 1}/{len(windows)} ({kind}, {len(seq)} tokens): top-1 "
            f"{np.mean(res[kind]['top1'][-len(seq):]):.3f}, cosine {np.mean(res[kind]['cos'][-len(seq):]):.6f} "
            f"[{time.time() - t0:.0f} s]")
    top1 = res["prose"]["top1"] + res["chat"]["top1"]
    cs = res["prose"]["cos"] + res["chat"]["cos"]
    per_layer = [float(np.mean(c)) for c in layer_cs]
    rep = {
        "model": "SmolLM2-135M-Instruct", "gguf": g.path.name, "params": str(params_path),
        "positions": len(top1), "positions_prose": len(res["prose"]["top1"]), "positions_chat": len(res["chat"]["top1"]),
        "top1_agreement": float(np.mean(top1)), "cosine_mean": float(np.mean(cs)), "cosine_min": float(np.min(cs)),
        "top1_prose": float(np.mean(res["prose"]["top1"])) if res["prose"]["top1"] else None,
        "top1_chat": float(np.mean(res["chat"]["top1"])) if res["chat"]["top1"] else None,
        "cosine_mean_prose": float(np.mean(res["prose"]["cos"])) if res["prose"]["cos"] else None,
        "cosine_mean_chat": float(np.mean(res["chat"]["cos"])) if res["chat"]["cos"] else None,
        "disagreements": disagree,
        "per_layer_cosine": per_layer, "per_layer_cosine_min": [float(np.min(c)) for c in layer_cs],
        "layer_cosine_min": float(np.min(per_layer)), "layer_cosine_min_layer": int(np.argmin(per_layer)),
        "formats": {"residual": "int24, power-of-two scale per layer point", "linear_in": "int16 static",
                    "down_in": "int16, per-token power-of-two shift", "qkv_kv_cache": "int16 static",
                    "rope": "int16 Q1.14 tables, adjacent pairs (GGUF order)",
                    "silu": f"gate * sigmoid, uint16 table of {2 ** cfg['sig_index_bits'] + 1} entries, interpolated",
                    "q4_1_scales": f"{cfg['q4_scale_mode']} ({cfg['q4_scale_bits']}-bit D and C, one 2^e per row)"},
    }
    # greedy answers: integer decoding token by token against transformers' generate
    eos = tok.convert_tokens_to_ids("<|im_end|>")
    answers = []
    for prompt in llama_model.CHAT_PROMPTS:
        ids = llama_model.chat_ids(tok, prompt)
        fi = llama_model.hf_greedy(hf, ids, n_answer, eos)
        ii = im.generate(ids, n_answer, eos)
        same8 = ii[:8] == fi[:8]
        answers.append({"prompt": prompt, "integer": tok.decode(ii, skip_special_tokens=True),
                        "float": tok.decode(fi, skip_special_tokens=True), "integer_tokens": ii, "float_tokens": fi,
                        "first8_identical": bool(same8),
                        "identical_tokens": int(next((j for j, (a, b) in enumerate(zip(ii, fi)) if a != b),
                                                     min(len(ii), len(fi))))})
        log(f"  answer {prompt!r}: integer {answers[-1]['integer']!r} | float {answers[-1]['float']!r} "
            f"[{time.time() - t0:.0f} s]")
    rep["answers"] = answers
    rep["answers_first8_identical"] = all(a["first8_identical"] for a in answers)
    if contributions:
        rep["contributions"] = format_contributions(g, cfg, im.params, hf_cache, log, t0)
    rep["targets"] = TARGETS
    rep["targets_met"] = bool(all(rep[k] >= t for k, t in TARGETS.items()) and rep["answers_first8_identical"])
    rep["wall_time_s"] = round(time.time() - t0, 1)
    return rep


def format_contributions(g, cfg, params, hf_cache, log=print, t0=None) -> dict:
    """Fake-quantised float twin: all formats, then each one left at float (and each alone)."""
    t0 = t0 or time.time()
    fw = llama_float.float_weights(g)

    def run(formats, weights=fw):
        fq = FakeQuant(cfg, params, formats)
        t1, c1 = [], []
        for _, seq, lf, hf_h in hf_cache:
            lg_, h, _ = llama_float.forward(weights, cfg, seq, fq=fq)
            t1 += list(lg_.argmax(-1) == lf.argmax(-1))
            c1 += list(cos(h, hf_h))
        return float(np.mean(t1)), float(np.mean(c1))

    allf = list(FORMATS)
    base_t, base_c = run(allf)
    none_t, none_c = run([])
    out = {"method": "float twin with every format fake-quantised (the integer model's scales and tables); "
                     "each row leaves one format at float (left_at_float) or applies only that one (alone)",
           "all_formats": {"top1_agreement": base_t, "cosine_mean": base_c},
           "no_format_float_twin": {"top1_agreement": none_t, "cosine_mean": none_c}, "formats": {}}
    for f in allf:
        lt, lc = run([x for x in allf if x != f])
        at, ac = run([f])
        out["formats"][f] = {"description": FORMATS[f], "left_at_float": {"top1_agreement": lt, "cosine_mean": lc},
                             "alone": {"top1_agreement": at, "cosine_mean": ac},
                             "top1_cost": round(lt - base_t, 4), "cosine_cost": lc - base_c}
        log(f"  format {f}: alone top-1 {at:.3f} cos {ac:.6f}; all but it top-1 {lt:.3f} cos {lc:.6f} "
            f"[{time.time() - t0:.0f} s]")
    # the alternative the issue measured: D and C rounded to 12 bits (not used by the model)
    fw12 = dict(fw)
    fw12["layers"] = []
    for i, lw in enumerate(fw["layers"]):
        nw = dict(lw)
        for n, gname in llama_float.WEIGHTS.items():
            qi = llama_gguf.to_q4_int(g.tensors[f"blk.{i}.{gname}.weight"], 12)
            w = lops.q4_weight_int(qi["codes"], qi["D"], qi["C"]).astype(np.float64)
            nw[n] = np.ldexp(w, qi["e"].astype(np.int64)[:, None]).astype(np.float32)
        fw12["layers"].append(nw)
    t12, c12 = run([], fw12)
    out["q4_scales_12bit_alternative"] = {"description": "D and C rounded to 12 bits (not used: the model keeps "
                                                         "them exact)", "top1_agreement": t12, "cosine_mean": c12}
    log(f"  alternative 12-bit D/C (weights only): top-1 {t12:.3f} cos {c12:.6f} [{time.time() - t0:.0f} s]")
    return out


def write_report(rep: dict, out: Path) -> None:
    """Atomic: a temporary file in the same folder, then a rename."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(rep, indent=2) + "\n")
    tmp.replace(out)


def print_summary(rep: dict, out: Path) -> None:
    print(f"SmolLM2-135M-Instruct integer model vs float transformers, {rep['positions']} held-out positions "
          f"({rep['positions_prose']} prose, {rep['positions_chat']} chat)")
    print(f"  {'metric':<28}{'value':>12}{'target':>10}")
    for k in ("top1_agreement", "top1_prose", "top1_chat", "cosine_mean", "cosine_min", "layer_cosine_min"):
        t = TARGETS.get(k)
        print(f"  {k:<28}{rep[k]:>12.6f}{(f'>= {t}' if t else ''):>10}")
    for d in rep.get("disagreements", []):
        print(f"  disagreement ({d['kind']}, position {d['pos']}): float {d['float_token']!r} vs integer "
              f"{d['integer_token']!r}, float logit margin {d['float_logit_margin']:.4f}")
    print("  per-layer residual cosine: " + " ".join(f"{c:.5f}" for c in rep["per_layer_cosine"]))
    for a in rep["answers"]:
        print(f"  {a['prompt']!r}\n    integer: {a['integer']!r}\n    float:   {a['float']!r}"
              f"  (first 8 identical: {a['first8_identical']})")
    c = rep.get("contributions")
    if c:
        print(f"  formats (float twin, fake-quant): all on top-1 {c['all_formats']['top1_agreement']:.3f} "
              f"cos {c['all_formats']['cosine_mean']:.6f}")
        for f, v in c["formats"].items():
            print(f"    {f:<22} alone: top-1 {v['alone']['top1_agreement']:.3f} 1-cos "
                  f"{1 - v['alone']['cosine_mean']:.2e} | left at float: top-1 "
                  f"{v['left_at_float']['top1_agreement']:.3f} 1-cos {1 - v['left_at_float']['cosine_mean']:.2e}")
        a = c["q4_scales_12bit_alternative"]
        print(f"    (not used) 12-bit D/C weights alone: top-1 {a['top1_agreement']:.3f} 1-cos {1 - a['cosine_mean']:.2e}")
    print(f"  targets {'met' if rep['targets_met'] else 'NOT met'}; {rep['wall_time_s']} s; report: {out}")
