"""The toy model of superposition and the ``toy`` data source built on it."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

import sae_core
from sae_core.analysis.matching import cosine_matrix
from sae_core.analysis.superposition import (
    compute_dimensions_per_feature,
    compute_feature_norms,
    compute_interference,
    compute_neighbour_angles,
)
from sae_core.data import load_dataset
from sae_core.data.toy.config import ToyConfig
from sae_core.data.toy.model import ToyTrainer, trained_toy
from sae_core.data.toy.source import ToySourceSpec
from sae_core.errors import ConfigError


def test_dense_features_give_two_orthogonal_features_and_drop_the_rest() -> None:
    W = trained_toy(ToyConfig(sparsity=0.0, importance_decay=0.9), steps=1000).W
    norms = compute_feature_norms(W)
    assert (norms > 0.8).sum() == 2 and (norms < 0.3).sum() == 3
    assert np.allclose(compute_neighbour_angles(W), [90, 270], atol=10)
    assert compute_interference(W)[norms > 0.8].max() < 0.05


def test_sparse_features_form_a_pentagon() -> None:
    W = trained_toy(ToyConfig(sparsity=0.9, importance_decay=1.0), steps=1000).W
    assert np.all(np.abs(compute_feature_norms(W) - 1) < 0.25)
    assert np.allclose(compute_neighbour_angles(W), 72, atol=8)
    assert compute_dimensions_per_feature(W) == pytest.approx(2 / 5, abs=0.1)


def test_trainer_steps_one_batch_at_a_time_and_records_its_history() -> None:
    trainer = ToyTrainer(ToyConfig(seed=3))
    first = trainer.step()
    trainer.run(4)
    assert trainer.steps == 5 and list(trainer.history["step"]) == [1, 2, 3, 4, 5]
    assert trainer.history["loss"].iloc[0] == first


def test_interference_of_an_antipodal_pair_is_the_partners_squared_norm() -> None:
    W = np.array([[1.0, -0.5, 0.0], [0.0, 0.0, 2.0]])
    assert np.allclose(compute_interference(W), [0.25, 1.0, 0.0])


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"d_hidden": 5, "n_features": 5}, "d_hidden=5"),
        ({"sparsity": 1.0}, "sparsity=1.0"),
        ({"sparsity": -0.1}, "sparsity=-0.1"),
        ({"importance_decay": 0.0}, "importance_decay=0.0"),
    ],
)
def test_bad_toy_options_name_the_field(options: dict[str, float], field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        ToyConfig(**options)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=field):
        load_dataset("toy", **options)


def test_a_topk_sae_on_toy_data_recovers_the_represented_features_one_to_one() -> None:
    data = load_dataset("toy", n_features=20, d_hidden=5, sparsity=0.9)
    W = trained_toy(ToySourceSpec(n_features=20, d_hidden=5, sparsity=0.9).toy_config()).W
    represented = compute_feature_norms(W) >= 0.5
    assert data.features is not None and represented.sum() > 5  # more than the 5 dimensions
    result = sae_core.train(data, method="topk", k=3, d_sae=40, epochs=30)
    cos = cosine_matrix(data.features[represented], result.model.W_dec.detach().numpy())
    rows, cols = linear_sum_assignment(-cos)  # signed: antipodal features must not swap
    assert cos[rows, cols].min() >= 0.95
