"""Shared fixtures. Tests run single-threaded: small models are faster that way on 2 cores."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"
IN_CI = os.environ.get("CI") == "true"


@pytest.fixture(autouse=True)
def _isolated_runs_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test saves runs into its own temporary root, never ./runs."""
    root = tmp_path / "runs"
    monkeypatch.setenv("SAE_EXPLORER_RUNS", str(root))
    return root


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def require_shared_mnist() -> Path:
    """The real MNIST folder beside the project; absent -> skip, except in CI where it must exist."""
    if not SHARED_MNIST.is_dir():
        if IN_CI:
            pytest.fail(f"{SHARED_MNIST} is missing in CI: the shared MNIST data must be present")
        pytest.skip(f"{SHARED_MNIST} not present")
    return SHARED_MNIST
