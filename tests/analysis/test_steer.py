"""Ablating or steering a latent and the network's predictions (analysis.steer), by hand."""

from __future__ import annotations

import numpy as np
import pytest

from sae_core.analysis.steer import changed_count, steer_latent
from sae_core.data.readout import Readout

# a one-layer readout: logits = h (identity), so the predicted class is argmax of h
IDENTITY = Readout(weights=(np.eye(2),), biases=(np.zeros(2),))
W_DEC = np.array([[1.0, 0.0], [0.0, 1.0]])  # latent 0 writes class 0, latent 1 class 1
LATENTS = np.array([[3.0, 1.0], [1.0, 2.0], [0.0, 0.5]])
X_HAT = LATENTS @ W_DEC  # b_dec = 0
LABELS = np.array([0, 1, 1])


def test_ablation_removes_the_latents_vote() -> None:
    table = steer_latent(IDENTITY, LATENTS, X_HAT, W_DEC, 0, np.array([0, 1]), 0.0, labels=LABELS)
    assert list(table.columns) == ["sample", "label", "predicted_sae", "predicted_changed"]
    # sample 0: h (3, 1) -> class 0; latent 0 off: (0, 1) -> class 1. sample 1 stays class 1
    assert table["predicted_sae"].tolist() == [0, 1]
    assert table["predicted_changed"].tolist() == [1, 1]
    assert table["label"].tolist() == [0, 1] and changed_count(table) == 1


def test_steering_pushes_towards_the_atom() -> None:
    # sample 1: (1, 2) -> class 1; latent 0 × 3: (3, 2) -> class 0
    table = steer_latent(IDENTITY, LATENTS, X_HAT, W_DEC, 0, np.array([1, 2]), 3.0)
    assert table["predicted_changed"].tolist() == [0, 1]  # sample 2 has f_0 = 0: unchanged
    assert table["label"].tolist() == [-1, -1]  # no labels


def test_factor_one_changes_nothing_and_to_raw_is_applied() -> None:
    samples = np.arange(3)
    same = steer_latent(IDENTITY, LATENTS, X_HAT, W_DEC, 1, samples, 1.0)
    assert changed_count(same) == 0
    # to_raw swaps the two units: now predictions follow the other coordinate
    swapped = steer_latent(
        IDENTITY, LATENTS, X_HAT, W_DEC, 1, samples, 1.0, to_raw=lambda a: a[:, ::-1]
    )
    assert swapped["predicted_sae"].tolist() == [1, 0, 0]


def test_relu_readout_and_a_bias() -> None:
    # hidden ReLU then a linear layer with a bias favouring class 1
    readout = Readout(
        weights=(np.array([[1.0, 0.0], [0.0, 1.0]]), np.eye(2)),
        biases=(np.zeros(2), np.array([0.0, 0.5])),
    )
    table = steer_latent(readout, LATENTS, X_HAT, W_DEC, 0, np.array([0]), 0.0)
    assert table["predicted_sae"].tolist() == [0] and table["predicted_changed"].tolist() == [1]


def test_negative_factor_is_refused() -> None:
    with pytest.raises(ValueError, match="factor"):
        steer_latent(IDENTITY, LATENTS, X_HAT, W_DEC, 0, np.array([0]), -1.0)
