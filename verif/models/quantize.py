"""Quantiser: HF GPT-2 state_dict (float) -> integer parameter file of the golden model.

Float is used here (offline) to compute the integer constants; the ops never see it.

Parameter file: ONE .npz (see docs/numerics.md, "Parameter file"):
  config_json          uint8[]  UTF-8 JSON: shapes, formats, activation scales (floats)
  softmax.exp2_table   int32[256]  (constant, = ops.EXP2_TABLE)
  embed.wte, embed.wpe, ln_f.weight, ln_f.bias, lm_head.weight   float32 (float front/back end)
  layer{i}.<unit>.<param>  integer tensors of layer i (names in LAYER_KEYS)

Usage (regenerates the committed fixture):
  PYTHONPATH=verif .venv/bin/python -m models.quantize \
      --model verif/fixtures/tiny_gpt2 --out verif/fixtures/tiny_gpt2/int_params.npz
"""
from __future__ import annotations

import argparse
import json
import math
import zipfile
import zlib
from pathlib import Path

import numpy as np

from . import float_ref, ops

FORMAT_NAME = "spatial-llm-rtl/int-gpt2"
FORMAT_VERSION = 1

# key -> (dtype, shape template); d = d_model, f = d_ffn, "" = scalar
LAYER_KEYS = {
    **{f"{ln}.{k}": v for ln in ("ln1", "ln2") for k, v in {
        "eps_v": ("int64", ()), "g_mult": ("int32", ("d",)), "g_shift": ("int32", ("d",)),
        "g_neg": ("int8", ("d",)), "beta_q": ("int32", ("d",))}.items()},
    **{f"{lin}.{k}": (dt, tuple(s)) for lin, (kin, nout) in {
        "qkv": ("d", "3d"), "o": ("d", "d"), "fc1": ("d", "f"), "fc2": ("f", "d")}.items()
       for k, (dt, s) in {"weight": ("int8", (kin, nout)), "bias": ("int32", (nout,)),
                          "mult": ("int32", (nout,)), "shift": ("int32", (nout,))}.items()},
    **{f"attn.{k}": ("int32", ()) for k in ("score_mult", "score_shift", "out_mult", "out_shift")},
    **{f"{a}.{k}": ("int32", ()) for a in ("add1", "add2")
       for k in ("a_mult", "a_shift", "b_mult", "b_shift", "out_mult", "out_shift")},
    "gelu.table": ("int8", (256,)),
}


class ParamError(ValueError):
    """A state dict, config or parameter file is missing a tensor, has a wrong shape,
    or describes an unsupported model. The message names the tensor and the expectation."""


class QuantizationError(ParamError):
    """A real scale ratio cannot be encoded (e.g. >= 1 for a requantize multiplier)."""


# ---------------------------------------------------------------------------------------
# multipliers
# ---------------------------------------------------------------------------------------
def quantize_multiplier(real: float, name: str) -> tuple[int, int]:
    """real in [0, 1) -> (multiplier, shift) with real ~= multiplier * 2^-(31 + shift).

    Normal case: multiplier in [2^30, 2^31-1], shift in [0, 31]. Ratios below 2^-32 are
    encoded with shift = 31 and a smaller multiplier (possibly 0). A ratio >= 1 raises
    QuantizationError (we never left-shift inside requantize; ops that need headroom shift
    their accumulator left by a documented constant before it, e.g. the attention score).
    """
    if not math.isfinite(real) or real < 0:
        raise QuantizationError(f"{name}: scale ratio {real!r} is not a finite non-negative number")
    if real >= 1.0:
        raise QuantizationError(f"{name}: scale ratio {real:.6g} >= 1 cannot be encoded "
                                "(requantize multipliers must be < 1)")
    if real == 0.0:
        return 0, 0
    m, e = math.frexp(real)  # real = m * 2^e, m in [0.5, 1)
    mult = int(round(m * (1 << 31)))
    if mult == 1 << 31:
        mult //= 2
        e += 1
    shift = -e
    if shift > 31:
        mult = int(round(real * 2.0 ** 62))
        shift = 31
    return mult, shift


def _qm_arrays(reals, name: str) -> tuple[np.ndarray, np.ndarray]:
    ms = [quantize_multiplier(float(r), f"{name}[{i}]") for i, r in enumerate(np.ravel(reals))]
    return np.array([m for m, _ in ms], np.int32), np.array([s for _, s in ms], np.int32)


def _round_sat(x, bits: int, name: str, what: str = "value") -> np.ndarray:
    r = np.round(np.asarray(x, np.float64))
    lim = 2.0 ** (bits - 1)
    if np.any(np.abs(r) >= lim * 4):  # far outside: a modelling error rather than clipping
        raise QuantizationError(f"{name}: {what} up to {np.abs(r).max():.4g} overflows int{bits}")
    return np.clip(r, -lim, lim - 1).astype(np.int64)


# ---------------------------------------------------------------------------------------
# input validation
# ---------------------------------------------------------------------------------------
def normalize_state_dict(sd) -> dict:
    """torch tensors / npz -> dict of float64 numpy arrays, 'transformer.' prefix stripped."""
    if isinstance(sd, (str, Path)):
        with np.load(sd) as z:
            sd = {k: z[k] for k in z.files}
    out = {}
    for k, v in dict(sd).items():
        if hasattr(v, "detach"):
            v = v.detach().cpu().float().numpy()
        k = k[len("transformer."):] if k.startswith("transformer.") else k
        out[k] = np.asarray(v)
    return out


def normalize_config(cfg) -> dict:
    """GPT2Config / dict / path to config.json -> validated plain dict."""
    if isinstance(cfg, (str, Path)):
        cfg = json.loads(Path(cfg).read_text())
    elif hasattr(cfg, "to_dict"):
        cfg = cfg.to_dict()
    cfg = dict(cfg)
    for key in ("n_layer", "n_embd", "n_head", "n_positions", "vocab_size"):
        if key not in cfg:
            raise ParamError(f"config: missing '{key}'")
    d, nh = cfg["n_embd"], cfg["n_head"]
    out = {"n_layer": int(cfg["n_layer"]), "d_model": int(d), "n_head": int(nh),
           "d_ffn": int(cfg.get("n_inner") or 4 * d), "max_seq": int(cfg["n_positions"]),
           "vocab_size": int(cfg["vocab_size"]),
           "layer_norm_epsilon": float(cfg.get("layer_norm_epsilon", 1e-5))}
    act = cfg.get("activation_function", "gelu_new")
    if act != "gelu_new":
        raise ParamError(f"config: activation_function '{act}' unsupported (only 'gelu_new')")
    if d % nh:
        raise ParamError(f"config: n_embd={d} is not divisible by n_head={nh}")
    if d // nh > ops.ATT_MAX_HEAD_DIM:
        raise ParamError(f"config: head_dim={d // nh} > {ops.ATT_MAX_HEAD_DIM} unsupported")
    if d > 4096 or out["d_ffn"] > 16384:
        raise ParamError(f"config: n_embd={d} (max 4096) / n_inner={out['d_ffn']} (max 16384) unsupported")
    for flag, ok in (("scale_attn_by_inverse_layer_idx", False), ("reorder_and_upcast_attn", False),
                     ("scale_attn_weights", True), ("add_cross_attention", False)):
        if cfg.get(flag, ok) != ok:
            raise ParamError(f"config: {flag}={cfg[flag]} unsupported (need {ok})")
    return out


def expected_float_shapes(cfg: dict) -> dict:
    d, f, V, P = cfg["d_model"], cfg["d_ffn"], cfg["vocab_size"], cfg["max_seq"]
    shp = {"wte.weight": (V, d), "wpe.weight": (P, d), "ln_f.weight": (d,), "ln_f.bias": (d,)}
    for i in range(cfg["n_layer"]):
        p = f"h.{i}."
        shp.update({p + "ln_1.weight": (d,), p + "ln_1.bias": (d,),
                    p + "attn.c_attn.weight": (d, 3 * d), p + "attn.c_attn.bias": (3 * d,),
                    p + "attn.c_proj.weight": (d, d), p + "attn.c_proj.bias": (d,),
                    p + "ln_2.weight": (d,), p + "ln_2.bias": (d,),
                    p + "mlp.c_fc.weight": (d, f), p + "mlp.c_fc.bias": (f,),
                    p + "mlp.c_proj.weight": (f, d), p + "mlp.c_proj.bias": (d,)})
    return shp


def validate_state_dict(sd: dict, cfg: dict) -> None:
    for k, shape in expected_float_shapes(cfg).items():
        if k not in sd:
            raise ParamError(f"state_dict: missing tensor '{k}' (expected shape {shape})")
        if tuple(sd[k].shape) != shape:
            raise ParamError(f"state_dict: tensor '{k}' has shape {tuple(sd[k].shape)}, expected {shape} "
                             "(GPT-2 Conv1D weights are stored (in, out))")
        if not np.all(np.isfinite(sd[k])):
            raise ParamError(f"state_dict: tensor '{k}' has non-finite values")
    if "lm_head.weight" in sd and sd["lm_head.weight"].shape != sd["wte.weight"].shape:
        raise ParamError(f"state_dict: 'lm_head.weight' has shape {sd['lm_head.weight'].shape}, "
                         f"expected {sd['wte.weight'].shape}")


# ---------------------------------------------------------------------------------------
# calibration
# ---------------------------------------------------------------------------------------
def calibrate(sd: dict, cfg: dict, sequences, percentile: dict | None = None) -> list[dict]:
    """Range of |activation| per layer and point (float_ref.ACT_POINTS) over the sequences:
    max |x|, or for the points named in `percentile` ({point: q}) the q-th percentile of |x|.
    Also returns, under "<point>_ch", the per-channel max |x| of the LayerNorm outputs."""
    percentile = percentile or {}
    vals = [{k: [] for k in float_ref.ACT_POINTS} for _ in range(cfg["n_layer"])]
    chan = [{k: 0.0 for k in ("ln1_out", "ln2_out")} for _ in range(cfg["n_layer"])]
    for seq in sequences:
        acts = []
        float_ref.model_forward(sd, cfg, seq, acts)
        for i, a in enumerate(acts):
            for k in float_ref.ACT_POINTS:
                vals[i][k].append(np.abs(a[k]).ravel())
            for k in chan[i]:
                chan[i][k] = np.maximum(chan[i][k], np.abs(a[k]).max(0))
    out = []
    for v, c in zip(vals, chan):
        r = {k: float(np.percentile(np.concatenate(x), percentile[k]) if k in percentile
                      else np.concatenate(x).max()) for k, x in v.items()}
        r.update({f"{k}_ch": np.asarray(x, np.float64).tolist() for k, x in c.items()})
        out.append(r)
    return out


# ---------------------------------------------------------------------------------------
# per-op parameter builders (float -> int constants)
# ---------------------------------------------------------------------------------------
def _fold(w, s_x):
    """(W * s_x, accumulator unit s_x*s_w per output channel)."""
    w = np.asarray(w, np.float64)
    s_x = np.asarray(s_x, np.float64)
    wf = w * s_x[:, None] if s_x.ndim == 1 else w * float(s_x)
    s_acc = np.abs(wf).max(0) / 127.0
    return wf, np.where(s_acc > 0, s_acc, 1.0)


def wide_out_scale(absmax: float, bits: int, w, s_x) -> float:
    """Output scale of a linear with a wide (int16) output: absmax / (2^(bits-1)-1), but never
    finer than the coarsest accumulator unit (that precision does not exist, and it would
    need a requantize ratio >= 1)."""
    return max(max(absmax, 1e-12) / (2 ** (bits - 1) - 1), float(_fold(w, s_x)[1].max()) * (1 + 2.0 ** -20))


def quant_linear(w, b, s_x, s_y, name: str) -> dict:
    """W (in, out) float -> int8 with per-output-channel scale max|W'[:, n]| / 127.

    s_x is the input scale: a scalar, or one scale per input channel (the LayerNorm outputs
    use per-channel scales). A per-channel input scale is folded into the weights,
    W'[k, n] = W[k, n] * s_x[k], so the accumulator unit is s_w'[n] and the integer op is
    unchanged (acc = sum x_int[k] * Wq[k, n] + bias).
    """
    wf, s_acc = _fold(w, s_x)
    wq = np.clip(np.round(wf / s_acc), -127, 127).astype(np.int8)
    bq = _round_sat(np.asarray(b, np.float64) / s_acc, 32, f"{name}.bias", "bias")
    mult, shift = _qm_arrays(s_acc / np.broadcast_to(s_y, s_acc.shape), f"{name}.mult")
    return {f"{name}.weight": wq, f"{name}.bias": bq.astype(np.int32), f"{name}.mult": mult,
            f"{name}.shift": shift}


def quant_layernorm(g, b, eps: float, d: int, s_x: float, s_y, name: str) -> dict:
    """s_y: output scale, scalar or per channel [d] (folded into the next linear's weights)."""
    g = np.asarray(g, np.float64)
    s_y = np.broadcast_to(np.asarray(s_y, np.float64), g.shape)
    eps_v = max(1, int(round(eps * d * d / (s_x * s_x))))
    if eps_v >= 1 << 56:
        raise QuantizationError(f"{name}.eps_v: eps*d^2/s_x^2 = {eps_v} >= 2^56 (input scale too small)")
    ratio = np.abs(g) * 2.0 ** (ops.LN_AFFINE_FRAC - ops.LN_NORM_FRAC) / s_y
    mult, shift = _qm_arrays(ratio, f"{name}.g_mult")
    beta_q = _round_sat(np.asarray(b, np.float64) * 2.0 ** ops.LN_AFFINE_FRAC / s_y, 32, f"{name}.beta_q")
    return {f"{name}.eps_v": np.int64(eps_v), f"{name}.g_mult": mult, f"{name}.g_shift": shift,
            f"{name}.g_neg": (g < 0).astype(np.int8), f"{name}.beta_q": beta_q.astype(np.int32)}


def quant_add(s_a: float, a_bits: int, s_b: float, b_bits: int, s_y: float, name: str) -> dict:
    """Common unit u: the larger input range maps to 2^28, so each rescale ratio <= 1/2."""
    range_a, range_b = s_a * 2 ** (a_bits - 1), s_b * 2 ** (b_bits - 1)
    u = max(range_a, range_b) / 2.0 ** 28
    am, ash = quantize_multiplier(s_a / (u * 2 ** ops.add_lshift(a_bits)), f"{name}.a_mult")
    bm, bsh = quantize_multiplier(s_b / (u * 2 ** ops.add_lshift(b_bits)), f"{name}.b_mult")
    om, osh = quantize_multiplier(u / s_y, f"{name}.out_mult")
    return {f"{name}.a_mult": np.int32(am), f"{name}.a_shift": np.int32(ash), f"{name}.b_mult": np.int32(bm),
            f"{name}.b_shift": np.int32(bsh), f"{name}.out_mult": np.int32(om), f"{name}.out_shift": np.int32(osh)}


def gelu_table(s_in: float, s_out: float) -> np.ndarray:
    u = np.arange(256)
    x = np.where(u < 128, u, u - 256) * s_in
    return np.clip(np.round(float_ref.gelu_new(x) / s_out), -128, 127).astype(np.int8)


# ---------------------------------------------------------------------------------------
# the quantiser
# ---------------------------------------------------------------------------------------
def quantize_model(state_dict, config, calib_sequences, resid_bits: int = 16, branch_bits: int = 16,
                   percentile: dict | None = None, ln_per_channel: bool = True) -> dict:
    """Return the flat parameter dict (what save_params writes)."""
    if resid_bits not in (8, 16):
        raise ParamError(f"resid_bits={resid_bits} unsupported (8 or 16)")
    if branch_bits not in (8, 16):
        raise ParamError(f"branch_bits={branch_bits} unsupported (8 or 16)")
    cfg = normalize_config(config)
    sd = normalize_state_dict(state_dict)
    validate_state_dict(sd, cfg)
    d, nh = cfg["d_model"], cfg["n_head"]
    hd = d // nh
    eps = cfg["layer_norm_epsilon"]
    amax = calibrate(sd, cfg, calib_sequences, percentile)
    rq = float(2 ** (resid_bits - 1) - 1)
    wte, wpe = sd["wte.weight"].astype(np.float64), sd["wpe.weight"].astype(np.float64)
    emb_amax = float(np.max(np.abs(wte).max(0)[None, :] + np.abs(wpe)))  # bound over all (tok, pos)
    s_embed = emb_amax / rq

    params: dict = {}
    scales = []
    s_res = s_embed
    for i in range(cfg["n_layer"]):
        fp = float_ref.layer_params(sd, i)
        a = amax[i]
        s = {k: max(a[k], 1e-12) / 127.0 for k in float_ref.ACT_POINTS}
        s["resid_in"] = s_res
        if ln_per_channel:  # per-channel LN output scales, folded into the QKV / FC1 weights
            for k, g in (("ln1_out", fp["ln1_g"]), ("ln2_out", fp["ln2_g"])):
                ch = np.maximum(np.asarray(a[k + "_ch"]), 1e-6)
                s[k] = np.maximum(ch / 127.0, np.abs(g) / 200.0)  # keeps |g|*2^-8/s < 1
        s["o_out"] = wide_out_scale(a["o_out"], branch_bits, fp["o_w"], s["attn_out"])
        s["fc2_out"] = wide_out_scale(a["fc2_out"], branch_bits, fp["fc2_w"], s["gelu_out"])
        s["resid_mid"] = max(a["resid_mid"], 1e-12) / rq
        s["resid_out"] = max(a["resid_out"], 1e-12) / rq
        pre = f"layer{i}."
        lp = {}
        lp.update(quant_layernorm(fp["ln1_g"], fp["ln1_b"], eps, d, s["resid_in"], s["ln1_out"], "ln1"))
        s_qkv = np.concatenate([np.full(d, s["q"]), np.full(d, s["k"]), np.full(d, s["v"])])
        lp.update(quant_linear(fp["qkv_w"], fp["qkv_b"], s["ln1_out"], s_qkv, "qkv"))
        sm, ssh = quantize_multiplier(s["q"] * s["k"] * math.log2(math.e) / math.sqrt(hd), "attn.score_mult")
        om, osh = quantize_multiplier(s["v"] * 2.0 ** -ops.SM_PROB_BITS / s["attn_out"], "attn.out_mult")
        lp.update({"attn.score_mult": np.int32(sm), "attn.score_shift": np.int32(ssh),
                   "attn.out_mult": np.int32(om), "attn.out_shift": np.int32(osh)})
        lp.update(quant_linear(fp["o_w"], fp["o_b"], s["attn_out"], s["o_out"], "o"))
        lp.update(quant_add(s["resid_in"], resid_bits, s["o_out"], branch_bits, s["resid_mid"], "add1"))
        lp.update(quant_layernorm(fp["ln2_g"], fp["ln2_b"], eps, d, s["resid_mid"], s["ln2_out"], "ln2"))
        lp.update(quant_linear(fp["fc1_w"], fp["fc1_b"], s["ln2_out"], s["fc1_out"], "fc1"))
        lp["gelu.table"] = gelu_table(s["fc1_out"], s["gelu_out"])
        lp.update(quant_linear(fp["fc2_w"], fp["fc2_b"], s["gelu_out"], s["fc2_out"], "fc2"))
        lp.update(quant_add(s["resid_mid"], resid_bits, s["fc2_out"], branch_bits, s["resid_out"], "add2"))
        params.update({pre + k: v for k, v in lp.items()})
        scales.append({k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in s.items()})
        s_res = s["resid_out"]

    config_out = {
        "format": FORMAT_NAME, "version": FORMAT_VERSION, **cfg, "resid_bits": resid_bits, "branch_bits": branch_bits, "act_bits": 8,
        "ln_norm_frac": ops.LN_NORM_FRAC, "ln_affine_frac": ops.LN_AFFINE_FRAC,
        "softmax_log2_frac": ops.SM_LOG2_FRAC, "softmax_prob_bits": ops.SM_PROB_BITS,
        "att_score_lshift": ops.ATT_SCORE_LSHIFT,
        "ln_per_channel": ln_per_channel, "calibration_percentile": percentile or {},
        "embed_scale": s_embed, "scales": scales, "calibration_absmax": amax,
    }
    params["config_json"] = np.frombuffer(json.dumps(config_out).encode(), dtype=np.uint8)
    params["softmax.exp2_table"] = ops.EXP2_TABLE.astype(np.int32)
    params["embed.wte"] = wte.astype(np.float32)
    params["embed.wpe"] = wpe.astype(np.float32)
    params["ln_f.weight"] = sd["ln_f.weight"].astype(np.float32)
    params["ln_f.bias"] = sd["ln_f.bias"].astype(np.float32)
    params["lm_head.weight"] = sd.get("lm_head.weight", sd["wte.weight"]).astype(np.float32)
    validate_params(params)
    return params


# ---------------------------------------------------------------------------------------
# file I/O
# ---------------------------------------------------------------------------------------
def _shape(tmpl: tuple, cfg: dict) -> tuple:
    dims = {"d": cfg["d_model"], "3d": 3 * cfg["d_model"], "f": cfg["d_ffn"]}
    return tuple(t if isinstance(t, int) else dims[t] for t in tmpl)


def check_tensors(params, expected) -> None:
    """Every (key, dtype, shape) of `expected` is in params with that dtype and shape, else one
    ParamError naming the tensor (shared by the GPT-2 and the Llama parameter files)."""
    for k, dt, shape in expected:
        if k not in params:
            raise ParamError(f"params: missing tensor '{k}' (expected {dt} {shape})")
        a = np.asarray(params[k])
        if a.shape != shape:
            raise ParamError(f"params: tensor '{k}' has shape {a.shape}, expected {shape}")
        if a.dtype != np.dtype(dt):
            raise ParamError(f"params: tensor '{k}' has dtype {a.dtype}, expected {dt}")


def validate_params(params: dict) -> dict:
    """Check a parameter dict against its own config_json. Returns the config dict."""
    if "config_json" not in params:
        raise ParamError("params: missing 'config_json' (not a parameter file of this format, "
                         f"expected {FORMAT_NAME!r} v{FORMAT_VERSION})")
    try:
        cfg = json.loads(bytes(np.asarray(params["config_json"], np.uint8)).decode())
    except (ValueError, TypeError) as exc:  # not UTF-8 / not JSON
        raise ParamError(f"params: 'config_json' is not UTF-8 JSON ({exc})") from None
    if not isinstance(cfg, dict):
        raise ParamError("params: 'config_json' is not a JSON object")
    version = cfg.get("version")
    if cfg.get("format") != FORMAT_NAME:
        raise ParamError(f"params: format {cfg.get('format')!r} unsupported, expected {FORMAT_NAME!r} v{FORMAT_VERSION}")
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise ParamError(f"params: format version {version} is newer than this code reads"
                         f"; accepted: v{FORMAT_VERSION} (regenerate the file with this checkout's models.quantize)")
    if version != FORMAT_VERSION:
        raise ParamError(f"params: format version {version!r} unsupported, expected {FORMAT_NAME!r} v{FORMAT_VERSION}")
    for key in ("n_layer", "d_model", "n_head", "d_ffn", "max_seq", "vocab_size"):
        if not isinstance(cfg.get(key), int) or cfg[key] < 1:
            raise ParamError(f"params: config '{key}' is {cfg.get(key)!r}, expected a positive integer")
    d, V, P = cfg["d_model"], cfg["vocab_size"], cfg["max_seq"]
    glob = {"softmax.exp2_table": ("int32", (256,)), "embed.wte": ("float32", (V, d)),
            "embed.wpe": ("float32", (P, d)), "ln_f.weight": ("float32", (d,)),
            "ln_f.bias": ("float32", (d,)), "lm_head.weight": ("float32", (V, d))}
    checks = [(k, dt, s) for k, (dt, s) in glob.items()]
    for i in range(cfg["n_layer"]):
        checks += [(f"layer{i}.{k}", dt, _shape(t, cfg)) for k, (dt, t) in LAYER_KEYS.items()]
    check_tensors(params, checks)
    if not np.array_equal(params["softmax.exp2_table"], ops.EXP2_TABLE):
        raise ParamError("params: 'softmax.exp2_table' differs from ops.EXP2_TABLE")
    return cfg


def save_params(path, params: dict) -> None:
    validate_params(params)
    np.savez_compressed(path, **params)


def load_params(path) -> tuple[dict, dict]:
    """-> (config dict, flat params dict). Validates keys, shapes and dtypes.

    Never unpickles (allow_pickle=False). A missing, unreadable, truncated or non-.npz file, or
    one with object arrays, raises ParamError (FileNotFoundError stays an OSError) naming the
    file and what was expected; so does a file of another format or a newer format version."""
    path = Path(path)
    expected = f"expected a {FORMAT_NAME!r} v{FORMAT_VERSION} .npz (models.quantize.save_params)"
    if path.is_dir():
        raise ParamError(f"{path} is a directory, {expected}")
    with open(path, "rb") as f:  # OSError (missing, unreadable) propagates
        magic = f.read(4)
    if magic != b"PK\x03\x04":
        what = "empty" if not magic else "a .npy array, not an .npz" if magic == b"\x93NUM" else "not a zip (.npz) file"
        raise ParamError(f"{path} is {what}; {expected}")
    try:
        with np.load(path, allow_pickle=False) as z:
            params = {k: z[k] for k in z.files}
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError, KeyError) as exc:
        raise ParamError(f"{path} is truncated or corrupt ({type(exc).__name__}: {exc}); {expected}") from None
    except ValueError as exc:  # object arrays (would need pickle), or a malformed member
        raise ParamError(f"{path} has an entry numpy cannot read without pickle ({exc}); {expected}") from None
    return validate_params(params), params


def layer_view(params: dict, i: int) -> dict:
    """The 'layer{i}.' entries with the prefix removed (what layer.layer_decode takes)."""
    pre = f"layer{i}."
    return {k[len(pre):]: v for k, v in params.items() if k.startswith(pre)}


def load_hf_fixture(model_dir) -> tuple[dict, dict]:
    """(state_dict, raw config dict) of a fixture directory (model_fp32.npz + config.json)."""
    model_dir = Path(model_dir)
    return (normalize_state_dict(model_dir / "model_fp32.npz"),
            json.loads((model_dir / "config.json").read_text()))


def main(argv=None) -> None:
    from . import corpus

    ap = argparse.ArgumentParser(description="Quantise an HF GPT-2 fixture to the integer parameter file")
    ap.add_argument("--model", type=Path, required=True, help="dir with model_fp32.npz + config.json")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--resid-bits", type=int, default=16)
    ap.add_argument("--branch-bits", type=int, default=16, help="O / FC2 output width (into the adds)")
    ap.add_argument("--calib-seqs", type=int, default=16)
    args = ap.parse_args(argv)
    sd, cfg = load_hf_fixture(args.model)
    params = quantize_model(sd, cfg, corpus.calibration_sequences(args.calib_seqs, cfg["n_positions"]),
                            args.resid_bits, args.branch_bits)
    save_params(args.out, params)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
