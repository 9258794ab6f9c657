"""What the exploration pages compute (sae_core.analysis.recovery), their two extra charts
(sae_core.figures.latent_page) and the table-pick helper, on hand-checkable arrays."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sae_core.analysis.latents import (
    compute_sparsity_stats,
    latent_table,
    mean_activation,
    page_count,
    sample_titles,
    sort_latent_table,
)
from sae_core.analysis.metrics import compute_mcc, compute_mmcs, recovered_count
from sae_core.analysis.recovery import compute_recovery
from sae_core.analysis.samples import reconstruction_table, sample_norms
from sae_core.errors import ConfigError
from sae_core.figures.latent_page import make_atom_figure, make_samples_figure
from sae_core.ui.views import newly_selected_row

LATENTS = np.array(
    [
        [1.0, 0.0, 0.0, 2.0],
        [0.5, 0.0, 0.0, 0.0],
        [0.0, 0.0, 3.0, 1.0],
    ],
    dtype=np.float32,
)


def test_sparsity_stats_count_active_dead_and_dense_latents_by_hand() -> None:
    x = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    stats = compute_sparsity_stats(x, x / 2, LATENTS)
    assert stats.l0_mean == pytest.approx(5 / 3)
    assert stats.l0_median == 2.0
    assert (stats.dead_count, stats.dense_count) == (1, 2)  # latent 1 dead; 0 and 3 fire on 2/3
    assert stats.gamma == pytest.approx(0.5)  # x̂ = x/2 halves every reconstruction
    assert stats.norm_ratio == pytest.approx(0.5)


def test_mean_activation_and_norms_are_plain_means_and_lengths() -> None:
    np.testing.assert_allclose(mean_activation(LATENTS), [0.5, 0.0, 1.0, 1.0])
    x_norms, x_hat_norms = sample_norms(np.array([[3.0, 4.0]]), np.array([[0.0, 1.0]]))
    np.testing.assert_allclose([x_norms[0], x_hat_norms[0]], [5.0, 1.0])


def test_reconstruction_table_lists_shown_samples_with_their_error_and_label() -> None:
    table = reconstruction_table(np.array([2, 0]), np.array([0.1, 0.2, 0.3]), np.array([7, 8, 9]))
    assert table.to_dict("list") == {"sample": [2, 0], "mse": [0.3, 0.1], "label": [9, 7]}
    assert list(reconstruction_table(np.array([1]), np.array([0.1, 0.2]))) == ["sample", "mse"]


def test_page_count_rounds_up_and_never_drops_below_one() -> None:
    assert [page_count(n, 64) for n in (0, 1, 64, 65, 4096)] == [1, 1, 1, 2, 64]
    with pytest.raises(ConfigError, match="per_page"):
        page_count(10, 0)


def test_sorting_the_latent_table_keeps_ties_in_index_order_and_dead_latents_last() -> None:
    table = latent_table(LATENTS, np.eye(4))
    by_freq = sort_latent_table(table, "frequency")
    assert by_freq["latent"].tolist() == [0, 3, 2, 1]
    by_mean = sort_latent_table(table, "mean_activation", descending=False)
    assert by_mean["latent"].tolist() == [0, 3, 2, 1]  # 0.75, 1.5, 3.0, then NaN (dead)
    assert by_mean.index.tolist() == [0, 1, 2, 3]
    with pytest.raises(ConfigError, match="sort latents by 'nope'"):
        sort_latent_table(table, "nope")


def test_recovery_agrees_with_the_metrics_and_puts_matched_pairs_on_the_diagonal() -> None:
    rng = np.random.default_rng(0)
    features = np.linalg.qr(rng.normal(size=(8, 5)))[0].T  # 5 orthonormal features in ℝ^8
    W_dec = np.vstack([features[[3, 0, 4]] * 2.0, rng.normal(size=(3, 8))])
    recovery = compute_recovery(features, W_dec)
    assert recovery.mmcs == pytest.approx(compute_mmcs(features, W_dec))
    assert recovery.mcc == pytest.approx(compute_mcc(features, W_dec))
    for t in (0.5, 0.9, 0.999):
        assert recovery.recovered(t) == recovered_count(features, W_dec, threshold=t)
    pairs = recovery.matched_pairs().set_index("feature")
    assert pairs.loc[[0, 3, 4], "latent"].tolist() == [1, 0, 2]
    np.testing.assert_allclose(pairs.loc[[0, 3, 4], "cosine"], 1.0)
    assert recovery.cos.shape == (5, 6)


def test_sample_titles_name_each_sample_its_activation_and_quartile() -> None:
    top = pd.DataFrame({"sample": [4, 9], "activation": [1.234, 0.5]})
    assert sample_titles(top) == ["#4 a=1.2", "#9 a=0.5"]
    binned = top.assign(bin=[0, 3])
    assert sample_titles(binned) == ["q1 #4 a=1.2", "q4 #9 a=0.5"]


def test_samples_figure_draws_pictures_for_images_and_lines_otherwise() -> None:
    x = np.arange(12, dtype=float).reshape(3, 4)
    pictures = make_samples_figure(x, (2, 2), ["a", "b", "c"], "Examples")
    assert [t.type for t in pictures.data] == ["heatmap"]  # one mosaic of the three
    assert [note.text for note in pictures.layout.annotations] == ["a", "b", "c"]
    z = np.asarray(pictures.data[0].z, dtype=float)
    assert np.nansum(z) == x.sum() and np.isfinite(z).sum() == x.size
    lines = make_samples_figure(x, None, ["a", "b", "c"], "Examples")
    assert [(t.type, t.name) for t in lines.data] == [("scatter", n) for n in "abc"]
    np.testing.assert_array_equal(lines.data[1].y, x[1])
    empty = make_samples_figure(x[:0], (2, 2), [], "Examples")
    assert not empty.data and "never fires" in empty.layout.annotations[0].text


def test_atom_figure_shows_the_atom_itself_as_picture_or_line() -> None:
    atom = np.array([1.0, -2.0, 0.0, 0.5])
    picture = make_atom_figure(atom, (2, 2), 7)
    np.testing.assert_array_equal(np.asarray(picture.data[0].z), atom.reshape(2, 2))
    assert picture.data[0].zmin == -2.0 and picture.data[0].zmax == 2.0
    assert "#7" in picture.layout.title.text
    line = make_atom_figure(atom, None, 7, kind="Encoder")
    np.testing.assert_array_equal(line.data[0].y, atom)
    assert line.layout.title.text.startswith("Encoder atom of latent #7")


def test_a_table_pick_is_reported_once_until_cleared_or_the_model_changes() -> None:
    def pick(rows: list[int], token: str) -> int | None:
        event = SimpleNamespace(selection=SimpleNamespace(rows=rows))
        return newly_selected_row(event, "test_table", token)

    assert pick([2], "model-a") == 2
    assert pick([2], "model-a") is None  # the same pick in the next run
    assert pick([], "model-a") is None
    assert pick([2], "model-a") == 2  # picked again after clearing
    assert pick([2], "model-b") == 2  # same row, another model


def test_sparsity_advice_speaks_only_for_dense_or_mostly_dead_l1_codes() -> None:
    from sae_core.analysis.recovery import sparsity_advice

    assert "Raise λ (try 1)" in sparsity_advice("l1", 0.1, 128, 106.4, 0.0)
    assert "Lower λ (try 0.1)" in sparsity_advice("l1", 1.0, 128, 3.0, 0.7)
    assert sparsity_advice("l1", 0.1, 128, 40.0, 0.0) is None
    assert sparsity_advice("topk", 0.1, 128, 100.0, 0.0) is None
