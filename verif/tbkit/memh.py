"""$readmemh files for the SV harness memories: one hex word per line, lane 0 in the low bits.

The formats match the RTL ports they feed:
- linear weights (linear.sv, output-major): word n*K/Lanes + j holds W[j*Lanes + i, n] in lane i;
- linear parameters (linear.sv s_axis_p): one sllm_pkg::linear_param_t per channel;
- LayerNorm parameters (layernorm.sv prm_*): one sllm_pkg::ln_chan_t per channel;
- byte tables (gelu.sv tbl_*): one 8-bit entry per line.
The struct layouts come from rtl/sllm_pkg.sv through tbkit.words.
Several layers go in one file, layer after layer (weight_stream.sv selects one).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tbkit.words import word


def lanes_to_lines(elements: np.ndarray, lanes: int, bits: int = 8) -> list[str]:
    """Rows of `lanes` elements (in order) as hex words, lane 0 in the low bits."""
    rows = np.asarray(elements, dtype=np.int64).reshape(-1, lanes) & ((1 << bits) - 1)
    if bits == 8:  # fast path for the big weight matrices
        text = rows[:, ::-1].astype(np.uint8).tobytes().hex()
        return [text[i:i + 2 * lanes] for i in range(0, len(text), 2 * lanes)]
    digits = -(-lanes * bits // 4)
    return [f"{sum(int(v) << (bits * i) for i, v in enumerate(row)):0{digits}x}" for row in rows]


def linear_weight_lines(weight: np.ndarray, lanes: int) -> list[str]:
    """W int8 [K, N] in linear.sv's output-major weight order."""
    k, n = weight.shape
    if k % lanes:
        raise ValueError(f"K={k} is not a multiple of Lanes={lanes}")
    return lanes_to_lines(np.asarray(weight).T.reshape(n * k // lanes, lanes), lanes)


def struct_lines(struct: str, columns: dict) -> list[str]:
    """One line per row of `columns` ({field: array}, all the same length) as sllm_pkg `struct`s."""
    w = word(struct)
    names = list(columns)
    rows = zip(*(np.ravel(columns[n]) for n in names))
    return [w.hex(dict(zip(names, row))) for row in rows]


def linear_param_lines(bias, mult, shift) -> list[str]:
    return struct_lines("linear_param_t", {"bias": bias, "scale.mult": mult, "scale.shift": shift})


def layernorm_param_lines(g_mult, g_shift, g_neg, beta_q) -> list[str]:
    return struct_lines("ln_chan_t", {"g.mult": g_mult, "g.shift": g_shift, "g_neg": g_neg, "beta_q": beta_q})


def byte_lines(table) -> list[str]:
    return [f"{int(v) & 0xFF:02x}" for v in np.ravel(table)]


def write_memh(path: Path, lines: list[str]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path
