"""The amortisation-gap encoders: matching pursuit and OMP against hand-checkable oracles."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sae_core.analysis.pursuit import (
    compare_encoders,
    decode_codes,
    encode_with,
    matching_pursuit,
    orthogonal_pursuit,
    unit_atoms,
)
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.errors import ConfigError
from sae_core.model import SparseAutoencoder
from sae_core.training.fit import train

torch.set_num_threads(1)


def _random_orthonormal(d: int, seed: int) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
    return q.T  # rows orthonormal


def test_matching_pursuit_on_an_orthonormal_dictionary_keeps_the_k_largest_projections() -> None:
    atoms = _random_orthonormal(8, 0)
    x = np.random.default_rng(1).standard_normal((20, 8))
    codes = matching_pursuit(x, atoms, k=3)
    proj = x @ atoms.T
    for i in range(len(x)):
        top = np.argsort(-np.abs(proj[i]))[:3]
        want = np.zeros(8)
        want[top] = proj[i, top]
        np.testing.assert_allclose(codes[i], want, atol=1e-12)


def test_omp_leaves_a_residual_orthogonal_to_the_chosen_atoms() -> None:
    rng = np.random.default_rng(2)
    atoms, _ = unit_atoms(rng.standard_normal((30, 10)))
    x = rng.standard_normal((15, 10))
    codes = orthogonal_pursuit(x, atoms, k=4)
    residual = x - codes @ atoms
    for i in range(len(x)):
        chosen = np.flatnonzero(codes[i])
        assert 1 <= len(chosen) <= 4
        np.testing.assert_allclose(residual[i] @ atoms[chosen].T, 0.0, atol=1e-9)


def test_omp_reconstructs_at_least_as_well_as_matching_pursuit_on_a_random_case() -> None:
    rng = np.random.default_rng(3)
    atoms, _ = unit_atoms(rng.standard_normal((40, 12)))
    x = rng.standard_normal((200, 12))
    err_mp = np.sum((x - matching_pursuit(x, atoms, 5) @ atoms) ** 2)
    err_omp = np.sum((x - orthogonal_pursuit(x, atoms, 5) @ atoms) ** 2)
    assert err_omp <= err_mp * 1.001


def _model(W_dec: np.ndarray, b_dec: np.ndarray) -> SparseAutoencoder:
    d_sae, d_in = W_dec.shape
    cfg = SAEConfig(d_in=d_in, d_sae=d_sae, method="topk", k=2)
    weights = {
        "W_enc": torch.as_tensor(W_dec.T.copy(), dtype=torch.float32),
        "W_dec": torch.as_tensor(W_dec, dtype=torch.float32),
        "b_enc": torch.zeros(d_sae),
        "b_dec": torch.as_tensor(b_dec, dtype=torch.float32),
    }
    return SparseAutoencoder(cfg, weights)


def test_pursuit_codes_on_unnormalised_atoms_are_rescaled_to_the_decoder_rows() -> None:
    # atoms of norm 2 and 0.5 along the axes; x = b_dec + 3 e0 − 1 e1 needs codes 1.5 and −2
    model = _model(np.array([[2.0, 0.0], [0.0, 0.5]]), np.array([1.0, 1.0]))
    x = np.array([[4.0, 0.0]])
    for encoder in ("mp", "omp"):
        codes = encode_with(model, x, encoder, k=2)
        np.testing.assert_allclose(codes, [[1.5, -2.0]], atol=1e-6)
        np.testing.assert_allclose(decode_codes(model, codes), x, atol=1e-6)


def test_an_unknown_encoder_or_a_zero_budget_is_refused() -> None:
    model = _model(np.eye(2), np.zeros(2))
    with pytest.raises(ConfigError, match="encoder"):
        encode_with(model, np.zeros((1, 2)), "lasso", 2)
    with pytest.raises(ConfigError, match="k=0"):
        encode_with(model, np.zeros((1, 2)), "mp", 0)


def test_the_three_encoders_at_equal_l0_on_synthetic_data_report_fve_time_and_f1() -> None:
    data = load_dataset("synthetic", max_samples=1500, n_features=16, d_in=12)
    sae = SAEConfig(d_in=12, d_sae=32, method="topk", k=3)
    model = train(sae, data, TrainConfig(epochs=3, batch_size=128), probe=False).model
    table = compare_encoders(model, data)
    assert table["encoder"].tolist() == ["sae", "mp", "omp"]
    assert set(table["k"]) == {3}
    assert (table["l0"] <= 3 + 1e-9).all()
    assert table["f1"].notna().all() and table["encode_seconds"].ge(0).all()
    fve = dict(zip(table["encoder"], table["fve"], strict=True))
    assert fve["omp"] >= fve["mp"] - 1e-6
