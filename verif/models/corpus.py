"""The text the tiny GPT-2 fixture is trained, calibrated and evaluated on.

Python's pydoc topics (``pydoc_data.topics``, part of every CPython install), concatenated in
sorted-key order with blank lines between them, UTF-8 encoded, one token per byte. The last
10% of the bytes are held out: training and calibration use the first 90%, accuracy uses the
held-out part.
"""
from __future__ import annotations

import numpy as np

HOLDOUT_FRACTION = 0.10


def load_corpus() -> tuple[np.ndarray, np.ndarray]:
    """Return (train_bytes, heldout_bytes) as uint8 arrays. Deterministic."""
    from pydoc_data.topics import topics

    text = "\n\n".join(topics[k] for k in sorted(topics))
    data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    cut = int(len(data) * (1.0 - HOLDOUT_FRACTION))
    return data[:cut].copy(), data[cut:].copy()


def calibration_sequences(n_seq: int = 16, length: int = 128, seed: int = 7) -> list[np.ndarray]:
    """n_seq windows of `length` bytes from the TRAINING split (never the held-out part)."""
    train, _ = load_corpus()
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(train) - length, size=n_seq)
    return [train[s:s + length].astype(np.int64) for s in starts]


def heldout_sequences(n_seq: int, length: int = 128) -> list[np.ndarray]:
    """n_seq consecutive, non-overlapping windows from the start of the held-out split."""
    _, held = load_corpus()
    if n_seq * length > len(held):
        raise ValueError(f"held-out split has {len(held)} bytes, need {n_seq * length}")
    return [held[i * length:(i + 1) * length].astype(np.int64) for i in range(n_seq)]
