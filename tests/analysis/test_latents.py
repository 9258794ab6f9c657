"""Analysis tables against hand-made latents and direct computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sae_core.analysis.latents import (
    decoder_cosine_similarity,
    label_distribution,
    latent_table,
    nearest_latents,
    quantile_samples,
    top_activating,
)
from sae_core.analysis.matching import compute_mcc, cosine_matrix
from sae_core.analysis.recovery import matched_similarity
from sae_core.analysis.samples import sample_errors, select_samples
from sae_core.errors import ConfigError, DataError

LATENTS = np.array(
    [  # latent 0 fires everywhere (dense), 1 never (dead), 2 on samples 0 and 2
        [1.0, 0.0, 2.0],
        [3.0, 0.0, 0.0],
        [2.0, -1.0, 4.0],
        [0.5, 0.0, 0.0],
    ],
    dtype=np.float32,
)
LABELS = np.array([7, 3, 7, 3])
W_DEC = np.array([[3.0, 4.0], [1.0, 0.0], [0.0, 2.0]])


def test_latent_table_on_hand_made_latents() -> None:
    table = latent_table(LATENTS, W_DEC)
    assert list(table.columns) == [
        "latent", "frequency", "log10_frequency", "mean_activation", "max_activation",
        "decoder_norm", "dead", "dense",
    ]  # fmt: skip
    assert table["latent"].tolist() == [0, 1, 2]
    assert table["frequency"].tolist() == [1.0, 0.0, 0.5]
    assert table["log10_frequency"].tolist() == pytest.approx(
        [0.0, -10.0, math.log10(0.5)], abs=1e-9
    )
    assert table["mean_activation"].iloc[0] == pytest.approx(6.5 / 4)
    assert math.isnan(table["mean_activation"].iloc[1])
    assert table["mean_activation"].iloc[2] == pytest.approx(3.0)
    assert table["max_activation"].tolist() == [3.0, 0.0, 4.0]
    assert table["decoder_norm"].tolist() == pytest.approx([5.0, 1.0, 2.0])
    assert table["dead"].tolist() == [False, True, False]
    assert table["dense"].tolist() == [True, False, False]


def test_latent_table_top_label_is_the_mode_among_top_firing_samples() -> None:
    table = latent_table(LATENTS, W_DEC, labels=LABELS, top_n=2)
    # latent 0: top two are samples 1 (3.0) and 2 (2.0) -> labels 3 and 7 tie -> smaller label.
    assert table["top_label"].iloc[0] == 3
    assert pd.isna(table["top_label"].iloc[1])
    assert table["top_label"].iloc[2] == 7
    wide = latent_table(LATENTS, W_DEC, labels=LABELS, top_n=10)  # more than n samples
    assert wide["top_label"].iloc[2] == 7


def test_top_label_matches_a_direct_count() -> None:
    rng = np.random.default_rng(0)
    latents = np.maximum(rng.normal(size=(40, 6)), 0)
    labels = rng.integers(0, 4, 40)
    table = latent_table(latents, np.eye(6), labels=labels, top_n=5)
    for j in range(6):
        top = sorted(range(40), key=lambda i: -latents[i, j])[:5]
        votes = [sum(labels[i] == c for i in top if latents[i, j] > 0) for c in range(4)]
        assert table["top_label"].iloc[j] == int(np.argmax(votes))


def test_top_activating_sorts_descending_and_drops_non_firing() -> None:
    table = top_activating(LATENTS, 0, n=3)
    assert table["sample"].tolist() == [1, 2, 0]
    assert table["activation"].tolist() == [3.0, 2.0, 1.0]
    assert top_activating(LATENTS, 2, n=4)["sample"].tolist() == [2, 0]
    assert top_activating(LATENTS, 1).empty
    assert len(top_activating(LATENTS, 1, n=2, firing_only=False)) == 2


def test_quantile_samples_cover_every_bin_in_activation_order() -> None:
    latents = np.zeros((20, 2))
    latents[:16, 1] = np.arange(1, 17)  # 16 firing samples, 4 per bin
    table = quantile_samples(latents, 1, n_bins=4, per_bin=2, seed=3)
    assert table["bin"].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    for b, group in table.groupby("bin"):
        acts = group["activation"].to_numpy()
        assert np.all((acts > 4 * b) & (acts <= 4 * (b + 1)))  # bin b holds ranks 4b..4b+3
        assert list(acts) == sorted(acts, reverse=True)
    assert (latents[table["sample"], 1] == table["activation"]).all()
    assert table["sample"].is_unique
    assert quantile_samples(latents, 0).empty
    assert list(quantile_samples(latents, 0).columns) == ["sample", "activation", "bin"]


def test_quantile_samples_is_seeded() -> None:
    latents = np.arange(1, 41, dtype=float).reshape(40, 1)
    first = quantile_samples(latents, 0, seed=1)
    assert first.equals(quantile_samples(latents, 0, seed=1))
    assert not first.equals(quantile_samples(latents, 0, seed=2))


def test_label_distribution_counts_labels_of_firing_samples() -> None:
    table = label_distribution(LATENTS, LABELS, 2)
    assert table["label"].tolist() == [3, 7]
    assert table["count"].tolist() == [0, 2]
    assert table["fraction"].tolist() == [0.0, 1.0]
    dead = label_distribution(LATENTS, LABELS, 1)
    assert dead["count"].tolist() == [0, 0] and dead["fraction"].tolist() == [0.0, 0.0]


def test_decoder_cosine_similarity_is_symmetric_with_unit_diagonal() -> None:
    sim = decoder_cosine_similarity(W_DEC)
    assert sim.shape == (3, 3)
    assert np.allclose(sim, sim.T) and np.allclose(np.diag(sim), 1.0)
    assert sim[0, 1] == pytest.approx(0.6) and sim[1, 2] == pytest.approx(0.0)


def test_nearest_latents_excludes_itself_and_sorts_by_cosine() -> None:
    W_dec = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]])
    table = nearest_latents(W_dec, 0, n=3)
    assert table["latent"].tolist() == [2, 1, 3]
    assert table["cosine"].tolist() == pytest.approx([math.sqrt(0.5), 0.0, -1.0])


def test_sample_errors_are_per_sample_mse() -> None:
    x = np.array([[1.0, 2.0], [0.0, 0.0]])
    x_hat = np.array([[1.0, 0.0], [1.0, 1.0]])
    assert sample_errors(x, x_hat).tolist() == [2.0, 1.0]


def test_select_samples_modes() -> None:
    errors = np.array([0.5, 0.1, 0.9, 0.1, 0.7])
    assert select_samples(errors, "best", 3).tolist() == [1, 3, 0]
    assert select_samples(errors, "worst", 2).tolist() == [2, 4]
    picked = select_samples(errors, "random", 3, seed=4)
    assert len(set(picked.tolist())) == 3 and picked.max() < 5
    assert picked.tolist() == select_samples(errors, "random", 3, seed=4).tolist()
    labels = np.array([1, 2, 1, 2, 1])
    by_label = select_samples(errors, "label", 10, labels=labels, label=1)
    assert sorted(by_label.tolist()) == [0, 2, 4]


def test_select_samples_rejects_bad_modes_and_missing_labels() -> None:
    with pytest.raises(ConfigError):
        select_samples(np.zeros(3), "median", 2)
    with pytest.raises(DataError):
        select_samples(np.zeros(3), "label", 2, label=1)


def test_matched_similarity_puts_the_hungarian_matching_on_the_diagonal() -> None:
    features = np.eye(3)
    W_dec = np.array([[0.0, 0.0, 1.0], [0.1, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, -1.0, 0.0]])
    cos, rows, cols = matched_similarity(features, W_dec)
    assert rows.tolist() == [0, 1, 2]
    assert cols.tolist() == [1, 3, 0, 2]  # e1->1, e2->3 (flipped), e3->0, then spare latent 2
    assert cos[1, 1] == pytest.approx(-1.0)  # signed values are kept for the heat-map
    assert np.allclose(cos, cosine_matrix(features, W_dec)[np.ix_(rows, cols)])


shapes = st.tuples(st.integers(1, 5), st.integers(1, 5))


@given(st.data(), shapes)
@settings(max_examples=30, deadline=None)
def test_matched_similarity_diagonal_averages_to_mcc(data: st.DataObject, fl: tuple) -> None:
    n_features, d_sae = fl
    elements = st.floats(-2, 2)
    features = data.draw(arrays(np.float64, (n_features, 3), elements=elements))
    W_dec = data.draw(arrays(np.float64, (d_sae, 3), elements=elements))
    cos, rows, cols = matched_similarity(features, W_dec)
    assert sorted(rows.tolist()) == list(range(n_features))
    assert sorted(cols.tolist()) == list(range(d_sae))
    k = min(n_features, d_sae)
    diagonal = np.abs(np.diag(cos)[:k]).sum() / n_features
    assert diagonal == pytest.approx(compute_mcc(features, W_dec), abs=1e-9)


def test_atom_smoothness_separates_smooth_atoms_from_pixel_noise() -> None:
    from sae_core.analysis.latents import atom_smoothness

    yy, xx = np.mgrid[0:8, 0:8]
    edges = np.stack([np.tanh(xx - 3.5), np.tanh(yy - 3.5)]).reshape(2, 64)
    noise = np.random.default_rng(0).standard_normal((200, 64))
    assert atom_smoothness(edges, (8, 8)) > 0.5
    assert abs(atom_smoothness(noise, (8, 8))) < 0.05
    # a checkerboard anti-correlates with its neighbours
    assert atom_smoothness(((xx + yy) % 2 * 2 - 1.0).reshape(1, 64), (8, 8)) == pytest.approx(-1)
