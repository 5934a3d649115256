"""Shared fixtures of the golden-model tests."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.synthetic import random_gpt2  # noqa: F401  (re-exported for the tests)

FIXTURE_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "tiny_gpt2"


@pytest.fixture(scope="session")
def tiny_fixture():
    """(state_dict, config, int params path) of the committed trained tiny GPT-2."""
    from models import quantize

    p = FIXTURE_DIR / "int_params.npz"
    if not p.exists():
        pytest.fail(f"missing fixture {p}; see docs/numerics.md for the regeneration command")
    sd, cfg = quantize.load_hf_fixture(FIXTURE_DIR)
    return sd, cfg, p
