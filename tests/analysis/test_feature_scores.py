"""Per-feature F1, absorption and sparse probing against direct NumPy computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score

from sae_core.analysis.feature_scores import compute_absorption, feature_scores, mean_f1
from sae_core.analysis.metrics import EvalMetrics, evaluate, json_metrics
from sae_core.analysis.probe import sparse_probe_accuracy, top_latents_by_class
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.training.fit import train

torch.set_num_threads(1)


def test_f1_of_a_hand_made_case_matches_the_counts() -> None:
    # 2 features on the axes; latent 1 is feature 0's atom, latent 0 feature 1's (swapped), and
    # latent 2 points nowhere useful: the matching must pair 0->1 and 1->0.
    features = np.eye(2, dtype=np.float32)
    W_dec = np.array([[0.1, 1.0], [1.0, 0.0], [-1.0, 1.0]], dtype=np.float32)
    active = np.array([[1, 0], [1, 1], [0, 1], [0, 0], [1, 0]], dtype=bool)
    latents = np.array([[0, 2, 0], [0, 1, 0], [3, 0, 1], [0, 1, 0], [0, 0, 0]], dtype=np.float32)
    table = feature_scores(features, W_dec, latents, active)
    assert table["latent"].tolist() == [1, 0]
    # feature 0: latent 1 fires on samples 0, 1, 3; feature 0 on 0, 1, 4 -> tp 2, P 2/3, R 2/3
    # feature 1: latent 0 fires on sample 2; feature 1 on 1, 2 -> tp 1, P 1, R 1/2
    np.testing.assert_allclose(table["precision"], [2 / 3, 1.0])
    np.testing.assert_allclose(table["recall"], [2 / 3, 0.5])
    np.testing.assert_allclose(table["f1"], [2 / 3, 2 / 3])
    assert mean_f1(table) == pytest.approx(2 / 3)


def test_f1_equals_a_loop_over_random_cases_and_skips_features_that_never_fire() -> None:
    rng = np.random.default_rng(0)
    features = rng.standard_normal((6, 5))
    W_dec = rng.standard_normal((9, 5))
    latents = np.maximum(rng.standard_normal((200, 9)), 0)
    active = rng.random((200, 6)) < 0.3
    active[:, 4] = False
    table = feature_scores(features, W_dec, latents, active)
    for g, j in zip(table["feature"], table["latent"], strict=True):
        on, fires = active[:, g], latents[:, j] > 0
        if not on.any():
            assert math.isnan(table["f1"][g])
            continue
        tp = sum(bool(a and b) for a, b in zip(on, fires, strict=True))
        p, r = tp / fires.sum(), tp / on.sum()
        assert table["f1"][g] == pytest.approx(2 * p * r / (p + r))
    assert mean_f1(table) == pytest.approx(table["f1"].drop(4).mean())


def test_a_feature_left_without_a_latent_scores_zero() -> None:
    features = np.eye(3)
    W_dec = np.eye(3)[:2]
    active = np.ones((4, 3), dtype=bool)
    latents = np.ones((4, 2))
    table = feature_scores(features, W_dec, latents, active)
    assert table["latent"].tolist() == [0, 1, -1]
    assert table["f1"].tolist() == [1.0, 1.0, 0.0]


def _absorbing_case() -> tuple[np.ndarray, ...]:
    # parent 0 with children 1 and 2; latent 0 = parent + child 1 (absorbs it), latent 1 =
    # child 1, latent 2 = child 2, latent 3 = parent alone would be unused.
    features = np.eye(3)
    W_dec = np.array([[1.0, 0.9, 0.0], [0.0, 1.0, 0.1], [0.0, 0.0, 1.0]])
    active = np.array(
        [[1, 1, 0], [1, 1, 0], [1, 1, 1], [1, 0, 1], [1, 0, 0], [0, 0, 0]], dtype=bool
    )
    latents = np.array(
        [[2, 0, 0], [2, 1, 0], [2, 0, 1], [0, 0, 0], [1, 0, 0], [0, 0, 0]], dtype=np.float64
    )
    return features, W_dec, active, latents


def test_absorption_of_a_hand_made_case_counts_the_silent_child_latents() -> None:
    features, W_dec, active, latents = _absorbing_case()
    # cos(latent 0, child 1) = 0.9/√1.81 = 0.669 > 0.4; cos(latent 0, child 2) = 0.
    # child 1 active in samples 0, 1, 2: its latent 1 silent in 0 and 2 while latent 0 fires -> 2
    # child 2 active in samples 2, 3: latent 0 lacks its direction -> 0.  2 / 5 events.
    got = compute_absorption(features, W_dec, latents, active, {0: (1, 2)})
    assert got == pytest.approx(2 / 5)
    assert compute_absorption(features, W_dec, latents, active, {0: (1, 2)}, 0.7) == 0.0
    assert compute_absorption(features, W_dec, latents, np.zeros_like(active), {0: (1,)}) is None


def test_absorption_equals_a_direct_count_on_random_cases() -> None:
    rng = np.random.default_rng(3)
    features = rng.standard_normal((6, 4))
    W_dec = rng.standard_normal((8, 4))
    latents = np.maximum(rng.standard_normal((300, 8)), 0)
    active = rng.random((300, 6)) < 0.4
    children = {0: (2, 3), 1: (4, 5)}
    matched = feature_scores(features, W_dec, latents, active)["latent"].to_numpy()
    unit = W_dec / np.linalg.norm(W_dec, axis=1, keepdims=True)
    absorbed = events = 0
    for parent, kids in children.items():
        for child in kids:
            cos = unit[matched[parent]] @ features[child] / np.linalg.norm(features[child])
            for i in range(300):
                if not active[i, child]:
                    continue
                events += 1
                silent = latents[i, matched[child]] == 0
                absorbed += int(silent and latents[i, matched[parent]] > 0 and cos > 0.1)
    got = compute_absorption(features, W_dec, latents, active, children, threshold=0.1)
    assert got == pytest.approx(absorbed / events)


def test_sparse_probe_picks_the_latents_whose_class_means_differ_most() -> None:
    z = np.array([[5, 0, 1], [4, 0, 1], [0, 1, 1], [0, 2, 0]], dtype=np.float64)
    y = np.array([0, 0, 1, 1])
    # class 0: |4.5 - 0|, |0 - 1.5|, |1 - 0.5| -> order 0, 1, 2
    assert top_latents_by_class(z, y, 0, 2).tolist() == [0, 1]
    assert top_latents_by_class(z, y, 1, 3).tolist() == [0, 1, 2]


def test_sparse_probe_is_perfect_with_one_telling_latent_and_chance_without() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 600)
    z = np.abs(rng.standard_normal((600, 10))) * 0.1
    z[np.arange(600), y] += 3.0  # latent c fires strongly on class c only
    acc = sparse_probe_accuracy(z[:400], y[:400], z[400:], y[400:])
    assert acc is not None and set(acc) == {1, 2, 5}
    assert acc[1] == pytest.approx(1.0)
    noise = np.abs(rng.standard_normal((600, 10)))
    chance = sparse_probe_accuracy(noise[:400], y[:400], noise[400:], y[400:])
    assert chance is not None and abs(chance[1] - 0.5) < 0.1
    assert sparse_probe_accuracy(z[:400], np.zeros(400, int), z[400:], y[400:]) is None


def test_sparse_probe_accuracy_equals_a_loop_of_one_vs_rest_balanced_probes() -> None:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 4, 500)
    z = np.maximum(rng.standard_normal((500, 12)) + 0.8 * (y[:, None] == np.arange(12) % 4), 0)
    train, test = slice(0, 350), slice(350, None)
    got = sparse_probe_accuracy(z[train], y[train], z[test], y[test])
    assert got is not None
    for k in (1, 2, 5):
        per_class = []
        for c in range(4):
            gaps = [
                abs(z[train][y[train] == c, j].mean() - z[train][y[train] != c, j].mean())
                for j in range(12)
            ]
            keep = sorted(range(12), key=lambda j: -gaps[j])[:k]
            mean, std = z[train][:, keep].mean(axis=0), z[train][:, keep].std(axis=0)
            clf = LogisticRegression(class_weight="balanced").fit(
                (z[train][:, keep] - mean) / std, y[train] == c
            )
            predicted = clf.predict((z[test][:, keep] - mean) / std)
            per_class.append(balanced_accuracy_score(y[test] == c, predicted))
        assert got[k] == pytest.approx(np.mean(per_class), abs=1e-9)


def _train_topk(**options: object) -> tuple[EvalMetrics, object]:
    dataset = load_dataset("synthetic", **options)
    sae = SAEConfig(d_in=dataset.d_in, d_sae=128, method="topk", k=4)
    result = train(sae, dataset, TrainConfig(epochs=10), probe=False)
    return result.metrics, dataset


def test_a_topk_sae_on_synthetic_data_gets_f1_far_above_chance() -> None:
    metrics, dataset = _train_topk()
    assert metrics.f1 is not None and metrics.f1 > 0.6
    # chance: latents that fire as often (L0 = 4 of 128) but at random
    rng = np.random.default_rng(0)
    random_latents = (rng.random((dataset.n_test, 128)) < 4 / 128).astype(np.float32)
    W_random = rng.standard_normal((128, dataset.d_in))
    active = dataset.feature_activity
    chance = mean_f1(feature_scores(dataset.features, W_random, random_latents, active))
    assert chance is not None and chance < 0.15
    assert metrics.absorption is None and metrics.sparse_probe_accuracy is None


def test_evaluate_reports_absorption_on_hierarchical_data_only() -> None:
    metrics, _ = _train_topk(hierarchy=8)
    assert metrics.f1 is not None and metrics.absorption is not None
    assert 0 <= metrics.absorption <= 1


def test_metrics_round_trip_flat_for_runs_and_nested_for_json() -> None:
    m = EvalMetrics(
        mse=1.0,
        fve=0.5,
        l0=2.0,
        dead_fraction=0.0,
        dense_fraction=0.0,
        gamma=1.0,
        norm_ratio=1.0,
        f1=0.7,
        sparse_probe_accuracy={1: 0.8, 2: 0.9, 5: 0.95},
    )
    flat = m.to_dict()
    assert flat["sparse_probe_accuracy_k2"] == 0.9 and "sparse_probe_accuracy" not in flat
    assert all(not isinstance(v, dict) for v in flat.values())
    assert EvalMetrics.from_dict(flat) == m
    nested = m.to_json()
    assert nested["sparse_probe_accuracy"] == {"1": 0.8, "2": 0.9, "5": 0.95}
    assert nested["absorption"] is None and nested["f1"] == 0.7
    assert EvalMetrics.from_dict(nested) == m
    bare = EvalMetrics(
        mse=1.0, fve=0.5, l0=2.0, dead_fraction=0.0, dense_fraction=0.0, gamma=1.0, norm_ratio=1.0
    )
    assert json_metrics(bare.to_dict())["sparse_probe_accuracy"] is None
    assert EvalMetrics.from_dict(bare.to_dict()) == bare


def test_evaluate_on_labelled_data_reports_sparse_probes_beside_the_dense_probe() -> None:
    dataset = load_dataset("digits")
    sae = SAEConfig(d_in=dataset.d_in, d_sae=64, method="topk", k=8)
    result = train(sae, dataset, TrainConfig(epochs=5), probe=False)
    metrics = evaluate(result.model, dataset)
    acc = metrics.sparse_probe_accuracy
    assert acc is not None and set(acc) == {1, 2, 5}
    assert 0.6 < acc[1] <= acc[5] + 0.02 and acc[5] <= 1
    assert metrics.f1 is None and metrics.absorption is None
    assert evaluate(result.model, dataset, probe=False).sparse_probe_accuracy is None
