"""Classifier loss recovered: oracle reconstructions and an independent cross-entropy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from sae_core.analysis.metrics import evaluate
from sae_core.analysis.splice import compute_loss_recovered, cross_entropy
from sae_core.config import SAEConfig
from sae_core.data import load_dataset
from sae_core.data.readout import Readout
from sae_core.model import SparseAutoencoder


def _readout(seed: int = 0) -> Readout:
    g = np.random.default_rng(seed)
    return Readout(
        weights=(g.normal(size=(7, 5)), g.normal(size=(3, 7))),
        biases=(g.normal(size=7), g.normal(size=3)),
    )


def test_cross_entropy_matches_torch() -> None:
    g = np.random.default_rng(1)
    logits, y = g.normal(size=(20, 4)) * 5, g.integers(0, 4, 20)
    expected = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(y)).item()
    assert cross_entropy(logits, y) == pytest.approx(expected, rel=1e-12)


def test_a_perfect_reconstruction_recovers_all_and_zeros_recover_nothing() -> None:
    readout, g = _readout(), np.random.default_rng(2)
    h, y = np.abs(g.normal(size=(50, 5))), g.integers(0, 3, 50)
    perfect, accuracy = compute_loss_recovered(readout, h, h.copy(), y)
    assert perfect == pytest.approx(1.0)
    assert accuracy == np.mean(readout.logits(h).argmax(1) == y)
    assert compute_loss_recovered(readout, h, np.zeros_like(h), y)[0] == pytest.approx(0.0)


def test_loss_recovered_is_nan_when_zeroing_the_layer_changes_nothing() -> None:
    readout = Readout(weights=(np.zeros((3, 5)),), biases=(np.zeros(3),))
    h = np.ones((4, 5))
    assert math.isnan(compute_loss_recovered(readout, h, h, np.zeros(4, np.int64))[0])


def _zero_model(d_in: int) -> SparseAutoencoder:
    """An SAE whose reconstruction is exactly zero."""
    model = SparseAutoencoder(SAEConfig(d_in=d_in, d_sae=2 * d_in, method="topk", k=4))
    with torch.no_grad():
        for tensor in (model.W_enc, model.W_dec, model.b_enc, model.b_dec):
            tensor.zero_()
    return model


def test_evaluate_reports_loss_recovered_for_network_data_only(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAE_EXPLORER_CACHE", str(tmp_path))
    net = load_dataset("net:digits", epochs=5, width=16)
    metrics = evaluate(_zero_model(16), net, probe=False)
    assert metrics.loss_recovered == pytest.approx(0.0)  # x̂ = 0 is the zero ablation
    assert metrics.accuracy_with_sae is not None
    assert metrics.to_json()["loss_recovered"] == metrics.loss_recovered
    plain = evaluate(_zero_model(64), load_dataset("digits"), probe=False)
    assert plain.loss_recovered is None and plain.to_json()["accuracy_with_sae"] is None


def test_evaluate_splices_in_the_networks_units_after_preprocessing(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAE_EXPLORER_CACHE", str(tmp_path))
    net = load_dataset("net:digits", epochs=5, width=16, preprocess="standardise")
    assert net.readout is not None and net.y_test is not None
    raw = net.preprocessing.to_raw
    expected = compute_loss_recovered(
        net.readout, raw(net.x_test), raw(np.zeros_like(net.x_test)), net.y_test
    )
    metrics = evaluate(_zero_model(16), net, probe=False)
    assert metrics.loss_recovered == pytest.approx(expected[0])
    assert metrics.loss_recovered != pytest.approx(0.0)  # x̂ = 0 here is the mean, not zero
