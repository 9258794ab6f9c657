"""Shared fixtures. Tests run single-threaded: small models are faster that way on 2 cores."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

# ROOT and require_shared_mnist live in tests/helpers/env.py; imported here for older imports
from tests.helpers.env import ROOT, require_shared_mnist  # noqa: F401

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _isolated_runs_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test saves runs into its own temporary root, never ./runs."""
    root = tmp_path / "runs"
    monkeypatch.setenv("SAE_EXPLORER_RUNS", str(root))
    return root


@pytest.fixture(autouse=True)
def _fresh_shared_models() -> None:
    """Every test starts with an empty server-wide model cache: AppTest sessions run in this
    process and would otherwise find models trained by earlier tests."""
    module = sys.modules.get("sae_core.ui.shared_models")
    if module is not None:
        module.forget_shared_cache()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def digits() -> np.ndarray:
    """scikit-learn's digits, all 1797 rows scaled to [0, 1], as float32 (no split)."""
    from sklearn.datasets import load_digits

    return (load_digits().data / 16).astype(np.float32)
