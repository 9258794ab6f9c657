"""Metrics against independent direct computations (loops, brute force, hand-checked cases)."""

from __future__ import annotations

import itertools
import json
import math
import warnings
from dataclasses import replace

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sae_core.analysis import metrics, probe
from sae_core.analysis.matching import cosine_matrix
from sae_core.analysis.metrics import (
    EvalMetrics,
    compute_fve,
    compute_l0,
    compute_mcc,
    compute_mmcs,
    compute_mse,
    compute_shrinkage,
    dead_fraction,
    dense_fraction,
    evaluate,
    firing_frequency,
    l0_per_sample,
    recovered_count,
)
from sae_core.analysis.probe import linear_probe_accuracy
from sae_core.config import SAEConfig
from sae_core.data.dataset import Dataset
from sae_core.errors import ConfigError
from sae_core.model import SparseAutoencoder

torch.set_num_threads(1)
SQRT_HALF = math.sqrt(0.5)


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# --- reconstruction -------------------------------------------------------------------------


def test_mse_equals_mean_of_per_sample_squared_error_over_d_in() -> None:
    x, x_hat = _rng().normal(size=(7, 5)), _rng(1).normal(size=(7, 5))
    expected = sum(sum((x[i, k] - x_hat[i, k]) ** 2 for k in range(5)) / 5 for i in range(7)) / 7
    assert compute_mse(x, x_hat) == pytest.approx(expected)


def test_fve_is_one_for_perfect_and_zero_for_mean_reconstruction() -> None:
    x = _rng().normal(size=(50, 4)).astype(np.float32)
    assert compute_fve(x, x) == pytest.approx(1.0)
    assert compute_fve(x, np.tile(x.mean(axis=0), (50, 1))) == pytest.approx(0.0, abs=1e-6)


def test_fve_matches_a_direct_loop() -> None:
    x, x_hat = _rng().normal(size=(9, 3)), _rng(2).normal(size=(9, 3))
    x_bar = [sum(x[i, k] for i in range(9)) / 9 for k in range(3)]
    err = sum((x[i, k] - x_hat[i, k]) ** 2 for i in range(9) for k in range(3))
    var = sum((x[i, k] - x_bar[k]) ** 2 for i in range(9) for k in range(3))
    assert compute_fve(x, x_hat) == pytest.approx(1 - err / var)


def test_fve_of_constant_data_is_nan_without_warnings() -> None:
    x = np.ones((5, 3), dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(compute_fve(x, x * 0.5))


def test_gamma_is_one_for_exact_and_half_for_halved_reconstruction() -> None:
    x = _rng().normal(size=(20, 6))
    assert compute_shrinkage(x, x) == pytest.approx((1.0, 1.0))
    assert compute_shrinkage(x, x / 2) == pytest.approx((0.5, 0.5))


def test_shrinkage_matches_a_direct_loop() -> None:
    x, x_hat = _rng().normal(size=(6, 4)), _rng(3).normal(size=(6, 4)) + 2
    gamma = sum(x_hat[i] @ x_hat[i] for i in range(6)) / sum(x[i] @ x_hat[i] for i in range(6))
    ratio = np.mean([np.linalg.norm(r) for r in x_hat]) / np.mean([np.linalg.norm(r) for r in x])
    assert compute_shrinkage(x, x_hat) == pytest.approx((gamma, ratio))


# --- sparsity -------------------------------------------------------------------------------

HAND_LATENTS = np.array(
    [  # latent 0 always fires (dense), 1 never (dead), 2 on half, 3 on one of four
        [1.0, 0.0, 2.0, 0.0],
        [0.5, 0.0, 0.0, 0.0],
        [3.0, 0.0, 1.0, 0.2],
        [0.1, -1.0, 0.0, 0.0],
    ]
)


def test_l0_and_frequency_on_hand_made_latents() -> None:
    assert l0_per_sample(HAND_LATENTS).tolist() == [2, 1, 3, 1]
    assert compute_l0(HAND_LATENTS) == pytest.approx(7 / 4)
    assert firing_frequency(HAND_LATENTS).tolist() == [1.0, 0.0, 0.5, 0.25]


def test_dead_and_dense_fractions_on_hand_made_latents() -> None:
    freq = firing_frequency(HAND_LATENTS)
    assert dead_fraction(freq) == pytest.approx(1 / 4)
    assert dense_fraction(freq) == pytest.approx(1 / 4)  # p = 0.5 is not dense: strictly above
    assert dense_fraction(freq, threshold=0.2) == pytest.approx(3 / 4)


def test_firing_frequency_matches_a_direct_loop() -> None:
    latents = np.maximum(_rng().normal(size=(30, 7)), 0)
    expected = [sum(latents[i, j] > 0 for i in range(30)) / 30 for j in range(7)]
    assert firing_frequency(latents) == pytest.approx(expected)


latent_arrays = arrays(
    np.float32,
    st.tuples(st.integers(1, 12), st.integers(1, 9)),
    elements=st.floats(-3, 3, width=32),
)


@given(latent_arrays)
@settings(max_examples=40, deadline=None)
def test_frequency_and_l0_stay_in_range(latents: np.ndarray) -> None:
    freq = firing_frequency(latents)
    assert freq.shape == (latents.shape[1],)
    assert np.all((freq >= 0) & (freq <= 1))
    assert 0 <= compute_l0(latents) <= latents.shape[1]
    assert compute_l0(latents) == pytest.approx(freq.sum())  # both count the same firings
    assert 0 <= dead_fraction(freq) <= 1 and 0 <= dense_fraction(freq) <= 1


# --- dictionary recovery --------------------------------------------------------------------


def test_cosine_matrix_matches_pairwise_cosines_and_zero_rows_give_zero() -> None:
    a, b = _rng().normal(size=(3, 4)), _rng(1).normal(size=(5, 4))
    expected = [[_cos(a[i], b[j]) for j in range(5)] for i in range(3)]
    assert cosine_matrix(a, b) == pytest.approx(np.array(expected))
    assert cosine_matrix(np.zeros((1, 4)), b).tolist() == [[0.0] * 5]


def test_mmcs_on_hand_checked_two_by_two_fixtures() -> None:
    features = np.eye(2)
    assert compute_mmcs(features, np.eye(2)) == pytest.approx(1.0)
    W_dec = np.array([[1.0, 0.0], [1.0, 1.0]])  # feature 2 best matched at 45°
    assert compute_mmcs(features, W_dec) == pytest.approx((1 + SQRT_HALF) / 2)
    # MMCS keeps the sign: flipped atoms are not recovered, MCC (|cos|) counts them.
    assert compute_mmcs(features, -np.eye(2)) == pytest.approx(0.0)
    assert compute_mcc(features, -np.eye(2)) == pytest.approx(1.0)


def test_mcc_prefers_one_to_one_matching_over_greedy_max() -> None:
    features = np.eye(2)
    W_dec = np.array([[1.0, 1.0], [1.0, 0.0]])  # both features' best is not one-to-one-able...
    # ...matching feature 1 -> latent 1 (cos 1) forces feature 2 -> latent 0 (cos √½).
    assert compute_mcc(features, W_dec) == pytest.approx((1 + SQRT_HALF) / 2)
    assert compute_mcc(features, np.array([[1.0, 0.0], [1.0, 0.0]])) == pytest.approx(0.5)


def _brute_force_mcc(features: np.ndarray, W_dec: np.ndarray) -> float:
    """Best sum of |cos| over all injective maps of the smaller side, divided by F."""
    abs_cos = np.abs([[_cos(g, w) for w in W_dec] for g in features])
    n_f, n_l = abs_cos.shape
    if n_f <= n_l:
        best = max(
            sum(abs_cos[i, p[i]] for i in range(n_f))
            for p in itertools.permutations(range(n_l), n_f)
        )
    else:
        best = max(
            sum(abs_cos[p[j], j] for j in range(n_l))
            for p in itertools.permutations(range(n_f), n_l)
        )
    return float(best / n_f)


@pytest.mark.parametrize(("n_features", "d_sae"), [(3, 3), (4, 4), (3, 5), (5, 3)])
def test_mcc_matches_brute_force_over_permutations(n_features: int, d_sae: int) -> None:
    rng = _rng(n_features * 10 + d_sae)
    features, W_dec = rng.normal(size=(n_features, 4)), rng.normal(size=(d_sae, 4))
    assert compute_mcc(features, W_dec) == pytest.approx(_brute_force_mcc(features, W_dec))


def test_recovered_count_uses_signed_max_cosine_and_threshold() -> None:
    features = np.eye(3)
    W_dec = np.array([[1.0, 0.0, 0.0], [0.0, 0.95, 0.3], [0.0, 0.0, -1.0]])
    # cos(e2, atom 1) = 0.95/√(0.9925) ≈ 0.954; e3 only has a flipped atom.
    assert recovered_count(features, W_dec) == 2
    assert recovered_count(features, W_dec, threshold=0.99) == 1


unit_rows = arrays(np.float64, st.tuples(st.integers(1, 6), st.just(3)), elements=st.floats(-2, 2))


@given(unit_rows, unit_rows)
@settings(max_examples=40, deadline=None)
def test_recovery_metrics_stay_in_range(features: np.ndarray, W_dec: np.ndarray) -> None:
    mmcs, mcc = compute_mmcs(features, W_dec), compute_mcc(features, W_dec)
    assert -1 <= mmcs <= 1
    assert 0 <= mcc <= 1
    # A one-to-one matching can never beat every feature taking its best |cos|.
    assert mcc <= np.abs(cosine_matrix(features, W_dec)).max(axis=1).mean() + 1e-12
    assert 0 <= recovered_count(features, W_dec) <= features.shape[0]


# --- probes ---------------------------------------------------------------------------------


def _blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = _rng(seed)
    y = rng.integers(0, 3, n)
    return np.eye(3)[y] * 10 + rng.normal(size=(n, 3)), y


def test_probe_is_perfect_on_separable_blobs_and_near_chance_on_noise() -> None:
    (z_tr, y_tr), (z_te, y_te) = _blobs(90, 0), _blobs(60, 1)
    assert linear_probe_accuracy(z_tr, y_tr, z_te, y_te) == 1.0
    noise = _rng(2).normal(size=(150, 3))
    assert linear_probe_accuracy(noise[:90], y_tr, noise[90:], y_te) < 0.7


def test_probe_handles_constant_columns_and_a_single_class() -> None:
    z_tr, y_tr = _blobs(60, 0)
    z_tr = np.hstack([z_tr, np.zeros((60, 2))])  # dead latents
    z_te, y_te = _blobs(30, 1)
    assert linear_probe_accuracy(z_tr, y_tr, np.hstack([z_te, np.zeros((30, 2))]), y_te) == 1.0
    one_class = np.zeros(60, dtype=np.int64)
    assert linear_probe_accuracy(z_tr, one_class, z_te, y_te) == pytest.approx(np.mean(y_te == 0))


def test_probe_caps_training_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(probe, "PROBE_MAX_TRAIN", 30)
    from sklearn.linear_model import LogisticRegression  # the class probe imports when it runs

    seen: list[int] = []
    original = LogisticRegression.fit

    def spy(self: object, X: np.ndarray, y: np.ndarray) -> object:
        seen.append(len(X))
        return original(self, X, y)  # type: ignore[arg-type]

    monkeypatch.setattr(LogisticRegression, "fit", spy)
    (z_tr, y_tr), (z_te, y_te) = _blobs(200, 0), _blobs(50, 1)
    assert linear_probe_accuracy(z_tr, y_tr, z_te, y_te) > 0.9
    assert seen == [30]


# --- EvalMetrics and evaluate ---------------------------------------------------------------


def test_eval_metrics_to_dict_is_json_safe_and_round_trips() -> None:
    m = EvalMetrics(
        mse=0.1,
        fve=math.nan,
        l0=3.0,
        dead_fraction=0.0,
        dense_fraction=0.0,
        gamma=math.inf,
        norm_ratio=0.9,
        recovered=2,
        n_samples=5,
    )
    d = m.to_dict()
    assert d["fve"] is None and d["gamma"] is None and d["fvu"] is None and d["mmcs"] is None
    json.dumps(d, allow_nan=False)
    back = EvalMetrics.from_dict(d)
    assert math.isnan(back.fve) and back.recovered == 2 and back.mse == 0.1
    assert EvalMetrics.from_dict(replace(m, fve=0.75).to_dict()).fvu == pytest.approx(0.25)


def _tiny_dataset(labels: bool = True, features: bool = True) -> Dataset:
    rng = _rng(0)
    x_train = rng.normal(size=(60, 6)).astype(np.float32)
    x_test = rng.normal(size=(25, 6)).astype(np.float32)
    return Dataset(
        name="tiny",
        x_train=x_train,
        x_test=x_test,
        y_train=(x_train[:, 0] > 0).astype(np.int64) if labels else None,
        y_test=(x_test[:, 0] > 0).astype(np.int64) if labels else None,
        features=np.eye(6, dtype=np.float32)[:3] if features else None,
    )


def _tiny_model() -> SparseAutoencoder:
    return SparseAutoencoder(SAEConfig(d_in=6, d_sae=8, method="l1"))


def test_evaluate_agrees_with_the_metric_functions_on_the_test_split() -> None:
    model, data = _tiny_model(), _tiny_dataset()
    result = evaluate(model, data)
    latents, x_hat = model.reconstruct_numpy(data.x_test)
    W_dec = model.W_dec.detach().numpy()
    assert result.split == "test" and result.n_samples == 25
    assert result.fve == pytest.approx(compute_fve(data.x_test, x_hat))
    assert result.fvu == pytest.approx(1 - result.fve)
    assert result.mse == pytest.approx(compute_mse(data.x_test, x_hat))
    assert result.l0 == pytest.approx(compute_l0(latents))
    assert result.dead_fraction == pytest.approx(dead_fraction(firing_frequency(latents)))
    assert (result.gamma, result.norm_ratio) == pytest.approx(compute_shrinkage(data.x_test, x_hat))
    assert result.mmcs == pytest.approx(compute_mmcs(data.features, W_dec))
    assert result.mcc == pytest.approx(compute_mcc(data.features, W_dec))
    assert result.recovered == recovered_count(data.features, W_dec)
    z_train = model.encode_numpy(data.x_train)
    assert result.probe_accuracy == pytest.approx(
        linear_probe_accuracy(z_train, data.y_train, latents, data.y_test)
    )
    assert result.probe_accuracy_input == pytest.approx(
        linear_probe_accuracy(data.x_train, data.y_train, data.x_test, data.y_test)
    )


def test_evaluate_respects_split_and_max_samples() -> None:
    model, data = _tiny_model(), _tiny_dataset()
    result = evaluate(model, data, split="train", max_samples=10)
    _, x_hat = model.reconstruct_numpy(data.x_train[:10])
    assert (result.split, result.n_samples) == ("train", 10)
    assert result.fve == pytest.approx(compute_fve(data.x_train[:10], x_hat))


def test_evaluate_skips_what_the_dataset_or_caller_does_not_allow() -> None:
    model = _tiny_model()
    bare = evaluate(model, _tiny_dataset(labels=False, features=False))
    assert bare.mmcs is None and bare.mcc is None and bare.recovered is None
    assert bare.probe_accuracy is None and bare.probe_accuracy_input is None
    no_probe = evaluate(model, _tiny_dataset(), probe=False)
    assert no_probe.probe_accuracy is None and no_probe.mmcs is not None


@pytest.mark.parametrize("kwargs", [{"split": "valid"}, {"max_samples": 0}])
def test_evaluate_rejects_bad_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        evaluate(_tiny_model(), _tiny_dataset(), **kwargs)  # type: ignore[arg-type]


def test_metric_latex_covers_every_reported_metric() -> None:
    reported = {
        "mse",
        "fve",
        "fvu",
        "l0",
        "dead_fraction",
        "dense_fraction",
        "gamma",
        "norm_ratio",
        "mmcs",
        "mcc",
        "recovered",
        "probe_accuracy",
        "probe_accuracy_input",
        "f1",
        "absorption",
        "sparse_probe_accuracy",
        "loss_recovered",
        "accuracy_with_sae",
    }
    assert reported | {"firing_frequency"} == set(metrics.METRIC_LATEX)
    assert reported < set(
        EvalMetrics(
            mse=0, fve=0, l0=0, dead_fraction=0, dense_fraction=0, gamma=0, norm_ratio=0
        ).to_json()
    )
