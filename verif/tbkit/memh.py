"""$readmemh files for the SV harness memories: one hex word per line, lane 0 in the low bits.

The formats match the RTL ports they feed:
- linear weights (linear.sv, output-major): word g*K/Lanes + j holds W[j*Lanes + i, g*Cols + c] in
  lane c*Lanes + i (Cols = 1: W[j*Lanes + i, n] in lane i of word n*K/Lanes + j);
- linear parameters (linear.sv s_axis_p): Cols sllm_pkg::linear_param_t per word, column c's in
  the c-th lowest field;
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


def linear_weight_order(weight: np.ndarray, lanes: int, cols: int = 1) -> np.ndarray:
    """W int8 [K, N] as the flat byte sequence linear.sv reads (output-major, Cols columns side by
    side): for column group g, for x beat j, for column c, for lane i: W[j*Lanes + i, g*Cols + c]."""
    k, n = np.shape(weight)
    if k % lanes or n % cols:
        raise ValueError(f"K={k}, N={n}: K must be a multiple of Lanes={lanes} and N of Cols={cols}")
    w = np.asarray(weight).reshape(k // lanes, lanes, n // cols, cols)
    return w.transpose(2, 0, 3, 1).reshape(-1)


def linear_weight_lines(weight: np.ndarray, lanes: int, cols: int = 1) -> list[str]:
    """W int8 [K, N] as linear.sv's weight beats, Lanes*Cols bytes each."""
    return lanes_to_lines(linear_weight_order(weight, lanes, cols), lanes * cols)


def struct_lines(struct: str, columns: dict) -> list[str]:
    """One line per row of `columns` ({field: array}, all the same length) as sllm_pkg `struct`s."""
    w = word(struct)
    names = list(columns)
    rows = zip(*(np.ravel(columns[n]) for n in names))
    return [w.hex(dict(zip(names, row))) for row in rows]


def linear_param_lines(bias, mult, shift, cols: int = 1) -> list[str]:
    """One line per group of Cols channels, channel g*Cols + c in the c-th lowest linear_param_t."""
    w = word("linear_param_t")
    values = [w.pack({"bias": b, "scale.mult": m, "scale.shift": s})
              for b, m, s in zip(np.ravel(bias), np.ravel(mult), np.ravel(shift))]
    if len(values) % cols:
        raise ValueError(f"{len(values)} channels are not a multiple of Cols={cols}")
    digits = -(-cols * w.width // 4)
    return [f"{sum(v << (w.width * c) for c, v in enumerate(values[g:g + cols])):0{digits}x}"
            for g in range(0, len(values), cols)]


def layernorm_param_lines(g_mult, g_shift, g_neg, beta_q) -> list[str]:
    return struct_lines("ln_chan_t", {"g.mult": g_mult, "g.shift": g_shift, "g_neg": g_neg, "beta_q": beta_q})


def byte_lines(table) -> list[str]:
    return [f"{int(v) & 0xFF:02x}" for v in np.ravel(table)]


def write_memh(path: Path, lines: list[str]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path
