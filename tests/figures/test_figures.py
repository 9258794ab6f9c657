"""Figure builders: every chart titled with labelled axes, and its traces hold the data passed."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from sae_core.errors import DataError
from sae_core.figures import (
    make_activation_histogram_figure,
    make_atom_grid_figure,
    make_bar_figure,
    make_data_preview_figure,
    make_firing_frequency_figure,
    make_frontier_figure,
    make_ground_truth_figure,
    make_history_figure,
    make_image_grid_figure,
    make_l0_histogram_figure,
    make_latent_heatmap_figure,
    make_reconstruction_figure,
    make_rho_figure,
    make_shrinkage_figure,
    make_single_activation_histogram,
    make_sweep_figure,
)
from sae_core.figures.mosaic import Layout

RNG = np.random.default_rng(0)
SHAPE = (4, 5)  # small "images": 20 pixels


def sparse_latents(n: int = 40, d_sae: int = 12) -> np.ndarray:
    return np.maximum(RNG.normal(size=(n, d_sae)) - 0.5, 0.0)


def history(n_models: int = 1, steps: int = 30) -> pd.DataFrame:
    rows = n_models * steps
    return pd.DataFrame(
        {
            "model": np.repeat(np.arange(n_models), steps),
            "step": np.tile(np.arange(steps), n_models),
            "loss": RNG.random(rows),
            "mse": RNG.random(rows),
            "l0": RNG.random(rows) * 10,
            "dead_fraction": RNG.random(rows),
        }
    )


def runs_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "l0": [2.0, 5.0, 9.0, 4.0, 7.0],
            "fvu": [0.4, 0.2, 0.1, 0.3, 0.15],
            "lam": [0.1, 0.03, 0.01, 0.05, 0.02],
            "d_sae": [64, 64, 64, 128, 128],
            "method": ["l1", "l1", "l1", "topk", "topk"],
            "name": ["a", "b", "c", "d", "e"],
            "source": ["session", "saved", "session", "session", "saved"],
            "current": [False, False, True, False, False],
        }
    )


def bar_counts(fig: go.Figure) -> int:
    return int(sum(np.asarray(t.y).sum() for t in fig.data if isinstance(t, go.Bar)))


def heatmaps(fig: go.Figure) -> list[go.Heatmap]:
    return [t for t in fig.data if isinstance(t, go.Heatmap)]


def subplot_titles(fig: go.Figure) -> list[str]:
    return [a.text for a in fig.layout.annotations]


CHARTS: dict[str, Callable[[], go.Figure]] = {
    "history": lambda: make_history_figure(history()),
    "reconstruction_lines": lambda: make_reconstruction_figure(
        RNG.random((3, 7)), RNG.random((3, 7)), None
    ),
    "activation_histogram": lambda: make_activation_histogram_figure(sparse_latents()),
    "single_activation_histogram": lambda: make_single_activation_histogram(
        sparse_latents()[:, 0], latent=0
    ),
    "l0_histogram": lambda: make_l0_histogram_figure(RNG.integers(0, 9, 50), d_sae=12, k=4),
    "firing_frequency": lambda: make_firing_frequency_figure(RNG.random(12)),
    "latent_heatmap": lambda: make_latent_heatmap_figure(sparse_latents()),
    "shrinkage": lambda: make_shrinkage_figure(RNG.random(30), RNG.random(30), 0.9),
    "rho": lambda: make_rho_figure(RNG.random(12) * 0.1, 0.05),
    "atoms_non_image": lambda: make_atom_grid_figure(RNG.normal(size=(12, 7)), None, "norm"),
    "bar": lambda: make_bar_figure(
        pd.DataFrame({"label": [0, 1, 2], "count": [3, 1, 2]}),
        "label",
        "count",
        "Labels",
        "digit label",
        "count (samples)",
    ),
    "frontier": lambda: make_frontier_figure(runs_table()),
    "ground_truth": lambda: make_ground_truth_figure(RNG.uniform(-1, 1, (5, 8))),
    "data_preview_non_image": lambda: make_data_preview_figure(RNG.normal(size=(10, 7)), None),
    "sweep": lambda: make_sweep_figure(runs_table()),
}
IMAGE_CHARTS: dict[str, Callable[[], go.Figure]] = {
    "image_grid": lambda: make_image_grid_figure(RNG.random((5, 20)), SHAPE, ncols=3),
    "reconstruction": lambda: make_reconstruction_figure(
        RNG.random((3, 20)), RNG.random((3, 20)), SHAPE
    ),
    "atoms": lambda: make_atom_grid_figure(RNG.normal(size=(12, 20)), SHAPE, "index"),
    "data_preview": lambda: make_data_preview_figure(RNG.random((10, 20)), SHAPE),
}


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_every_chart_has_a_title_and_labelled_axes(name: str) -> None:
    fig = CHARTS[name]()
    assert isinstance(fig, go.Figure)
    assert fig.layout.title.text
    axes = [fig.layout[k] for k in fig.layout if re.fullmatch(r"[xy]axis\d*", k)]
    titled = {ax.plotly_name[0] for ax in axes if ax.title.text}
    assert titled == {"x", "y"}
    fig.to_json()  # serialisable for st.plotly_chart


@pytest.mark.parametrize("name", sorted(IMAGE_CHARTS))
def test_every_image_chart_is_titled_with_square_pixels_and_no_ticks(name: str) -> None:
    fig = IMAGE_CHARTS[name]()
    assert fig.layout.title.text
    y_axes = [fig.layout[k] for k in fig.layout if re.fullmatch(r"yaxis\d*", k)]
    assert y_axes
    for ax in y_axes:
        assert ax.scaleanchor == "x" + ax.plotly_name.removeprefix("yaxis")
        assert ax.autorange == "reversed"  # row 0 of the image at the top
        assert ax.showticklabels is False


def test_figures_package_imports_neither_streamlit_nor_torch() -> None:
    code = "import sys, sae_core.figures; print('streamlit' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_history_figure_draws_each_metric_per_model_with_the_data_passed() -> None:
    frame = history(n_models=2)
    fig = make_history_figure(frame, log_loss=True)
    assert len(fig.data) == 2 * 4  # loss, mse, l0, dead_fraction for each model
    model1_mse = next(t for t in fig.data if t.name == "model 1" and t.yaxis == "y2")
    expected = frame.loc[frame["model"] == 1, "mse"].to_numpy()
    np.testing.assert_allclose(model1_mse.y, expected)
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.yaxis2.title.text == "MSE (per element)"


def test_history_figure_thins_long_histories_but_keeps_the_last_step() -> None:
    fig = make_history_figure(history(steps=5000), max_points=100)
    steps = np.asarray(fig.data[0].x)
    assert len(steps) <= 101
    assert steps[-1] == 4999


def test_history_figure_handles_an_empty_history_and_names_missing_columns() -> None:
    empty = make_history_figure(history().iloc[:0])
    assert any("no steps" in a.text for a in empty.layout.annotations)
    with pytest.raises(DataError, match="l0"):
        make_history_figure(history().drop(columns="l0"))


def cells(fig: go.Figure, n: int, cols: int, labelled: bool, field: str = "z") -> list[np.ndarray]:
    """The ``n`` images of a mosaic figure (one heat-map), cut back out of its ``field``."""
    (trace,) = heatmaps(fig)
    layout = Layout.for_images(n, *SHAPE, cols, labelled)
    mosaic = np.asarray(getattr(trace, field), dtype=float)
    assert mosaic.shape == layout.shape
    gaps = np.ones(layout.shape, bool)
    for i in range(n):
        top, left = layout.origin(i)
        gaps[top : top + SHAPE[0], left : left + SHAPE[1]] = False
    assert np.isnan(mosaic[gaps]).all()  # nothing drawn between the cells
    return [layout.cell(mosaic, i) for i in range(n)]


def test_image_grid_uses_grey_for_unsigned_and_a_symmetric_diverging_scale_for_signed() -> None:
    images = RNG.random((6, 20))
    grey = make_image_grid_figure(images, SHAPE, ncols=4)
    (trace,) = heatmaps(grey)  # one mosaic, not one subplot per image
    assert trace.colorscale[0][1] == "rgb(0, 0, 0)"  # grey: 0 is black
    shown = cells(grey, 6, 4, labelled=False)
    for image, cell in zip(images, shown, strict=True):
        np.testing.assert_allclose(cell, image.reshape(SHAPE), rtol=1e-6)
    assert trace.zmin == images.min() and trace.zmax == images.max()  # one shared range
    signed = make_image_grid_figure(images - 0.5, SHAPE, signed=True)
    (trace,) = heatmaps(signed)
    assert trace.zmin == -trace.zmax and trace.zmid == 0
    four = make_image_grid_figure(images, SHAPE, max_images=4, titles=list("abcdef"))
    assert subplot_titles(four) == list("abcd")
    assert len(cells(four, 4, 8, labelled=True)) == 4


def test_image_grid_on_separate_scales_keeps_raw_values_for_the_hover() -> None:
    images = RNG.random((3, 20)) * np.array([[1.0], [10.0], [100.0]])
    fig = make_image_grid_figure(images, SHAPE, shared_scale=False)
    for image, z, raw in zip(
        images, cells(fig, 3, 8, False), cells(fig, 3, 8, False, "customdata"), strict=True
    ):
        assert z.min() == pytest.approx(0) and z.max() == pytest.approx(1)
        np.testing.assert_allclose(raw, image.reshape(SHAPE), rtol=1e-6)


def test_image_grid_rejects_a_shape_that_does_not_cover_the_row() -> None:
    with pytest.raises(DataError, match="image shape"):
        make_image_grid_figure(RNG.random((2, 20)), (5, 5))


def test_reconstruction_figure_has_original_reconstruction_and_difference_per_sample() -> None:
    x, x_hat = RNG.random((4, 20)), RNG.random((4, 20))
    errors = ((x - x_hat) ** 2).mean(axis=1)
    fig = make_reconstruction_figure(x, x_hat, SHAPE, errors=errors, sample_ids=[7, 3, 9, 1])
    pairs, diffs = heatmaps(fig)  # two mosaics, not 3·n subplots
    top = Layout.for_images(8, *SHAPE, 4, labelled=True)  # originals, then reconstructions
    bottom = Layout.for_images(4, *SHAPE, 4, labelled=False)
    for i in range(4):
        np.testing.assert_allclose(top.cell(pairs.z, i), x[i].reshape(SHAPE), rtol=1e-6)
        np.testing.assert_allclose(top.cell(pairs.z, 4 + i), x_hat[i].reshape(SHAPE), rtol=1e-6)
        diff = (x_hat[i] - x[i]).reshape(SHAPE)
        np.testing.assert_allclose(bottom.cell(diffs.z, i), diff, atol=1e-6)
    assert pairs.zmin == x.min() and pairs.zmax == x.max()  # reconstructions on x's scale
    assert diffs.zmin == -diffs.zmax and diffs.zmid == 0
    heads = [t for t in subplot_titles(fig) if t.startswith("#")]
    assert len(heads) == 4 and heads[0].startswith("#7") and f"{errors[0]:.3g}" in heads[0]


def test_reconstruction_figure_draws_lines_for_non_image_data() -> None:
    x, x_hat = RNG.random((3, 9)), RNG.random((3, 9))
    fig = make_reconstruction_figure(x, x_hat, None)
    assert not heatmaps(fig)
    assert len(fig.data) == 3 * 3
    assert all(isinstance(t, go.Scatter) and t.mode == "lines" for t in fig.data)
    diff = [t for t in fig.data if t.name.startswith("difference")][2]
    np.testing.assert_allclose(diff.y, x_hat[2] - x[2])
    with pytest.raises(DataError, match="differ in shape"):
        make_reconstruction_figure(x, x_hat[:, :5], None)


def test_activation_histogram_counts_non_zero_values_and_reports_the_zeros() -> None:
    latents = sparse_latents()
    fig = make_activation_histogram_figure(latents)
    assert bar_counts(fig) == np.count_nonzero(latents)
    assert f"{np.sum(latents == 0):,} zeros" in fig.layout.title.text
    everything = make_activation_histogram_figure(latents, nonzero_only=False)
    assert bar_counts(everything) == latents.size


def test_single_activation_histogram_names_the_latent() -> None:
    values = sparse_latents()[:, 3]
    fig = make_single_activation_histogram(values, latent=3)
    assert "#3" in fig.layout.title.text
    assert bar_counts(fig) == np.count_nonzero(values)


def test_l0_histogram_counts_every_sample_and_marks_mean_and_k() -> None:
    l0 = RNG.integers(0, 20, 200)
    fig = make_l0_histogram_figure(l0, d_sae=64, k=8)
    assert bar_counts(fig) == 200
    marks = sorted(s.x0 for s in fig.layout.shapes)
    np.testing.assert_allclose(marks, sorted([l0.mean(), 8.0]))
    assert "64" in fig.layout.title.text


def test_firing_frequency_bars_sum_to_d_sae_including_dead_and_dense() -> None:
    freq = np.concatenate([np.zeros(5), RNG.uniform(1e-4, 0.5, 40), [0.7, 0.9, 1.0]])
    fig = make_firing_frequency_figure(freq)
    assert bar_counts(fig) == freq.size
    dead, alive, dense = fig.data
    assert list(dead.x) == [-10.0] and list(dead.y) == [5]
    assert np.sum(dense.y) == 3 and np.sum(alive.y) == 40
    notes = " ".join(a.text for a in fig.layout.annotations)
    assert "5 dead" in notes and "3 dense" in notes


def test_firing_frequency_alive_bars_match_numpy_histogram_on_the_same_edges() -> None:
    freq = RNG.uniform(1e-3, 0.4, 100)
    alive = make_firing_frequency_figure(freq).data[1]
    edges = np.append(alive.customdata[:, 0], alive.customdata[-1, 1])
    expected, _ = np.histogram(np.log10(freq + 1e-10), bins=edges)
    np.testing.assert_array_equal(alive.y, expected)


def test_firing_frequency_rejects_values_outside_zero_one() -> None:
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        make_firing_frequency_figure(np.array([0.2, 3.0]))


def test_latent_heatmap_limits_its_size_and_puts_the_most_frequent_latent_first() -> None:
    latents = sparse_latents(n=150, d_sae=30)
    fig = make_latent_heatmap_figure(latents, max_samples=100, max_latents=10)
    (trace,) = heatmaps(fig)
    assert np.asarray(trace.z).shape == (100, 10)
    top = int(np.argmax((latents[:100] > 0).mean(axis=0)))
    assert trace.x[0] == f"#{top}"
    np.testing.assert_allclose(trace.z[:, 0], latents[:100, top], rtol=1e-6)


def test_shrinkage_figure_plots_the_norms_with_gamma_and_the_identity_line() -> None:
    xn, xh = RNG.random(50), RNG.random(50)
    fig = make_shrinkage_figure(xn, xh, gamma=0.84)
    assert "γ = 0.84" in fig.layout.title.text
    np.testing.assert_allclose(fig.data[0].x, xn)
    np.testing.assert_allclose(fig.data[0].y, xh)
    assert list(fig.data[1].x) == list(fig.data[1].y)  # y = x


def test_rho_figure_sorts_rho_hat_and_draws_the_target() -> None:
    rho_hat = RNG.random(20) * 0.1
    fig = make_rho_figure(rho_hat, 0.05)
    np.testing.assert_allclose(fig.data[0].y, np.sort(rho_hat)[::-1])
    assert fig.layout.shapes[0].y0 == 0.05
    assert "0.05" in fig.layout.title.text


def test_atom_grid_shows_one_page_most_frequent_latent_first() -> None:
    W_dec = RNG.normal(size=(30, 20))
    freq = RNG.random(30)
    fig = make_atom_grid_figure(W_dec, SHAPE, "frequency", freq, page=0, per_page=9)
    assert len(cells(fig, 9, 8, labelled=True)) == 9 and len(subplot_titles(fig)) == 9
    titles = subplot_titles(fig)
    assert titles[0].startswith(f"#{int(np.argmax(freq))} ")
    second = make_atom_grid_figure(W_dec, SHAPE, "frequency", freq, page=1, per_page=9)
    assert subplot_titles(second)[0].startswith(f"#{int(np.argsort(-freq)[9])} ")


def test_atom_grid_scales_each_atom_symmetrically_about_zero() -> None:
    W_dec = RNG.normal(size=(8, 20))
    fig = make_atom_grid_figure(W_dec, SHAPE, "index")
    (trace,) = heatmaps(fig)
    assert trace.zmin == -1 and trace.zmax == 1 and trace.zmid == 0
    scaled, raw = cells(fig, 8, 8, True), cells(fig, 8, 8, True, "customdata")
    for j in range(8):
        limit = np.abs(W_dec[j]).max()
        np.testing.assert_allclose(scaled[j], W_dec[j].reshape(SHAPE) / limit, rtol=1e-6)
        np.testing.assert_allclose(raw[j], W_dec[j].reshape(SHAPE), rtol=1e-6)


def test_atom_grid_orders_by_norm_or_index_and_accepts_encoder_layout() -> None:
    unit = RNG.normal(size=(10, 20))
    W_dec = unit / np.linalg.norm(unit, axis=1, keepdims=True) * np.arange(1, 11)[:, None]
    by_norm = make_atom_grid_figure(W_dec, SHAPE, "norm", per_page=4)
    assert subplot_titles(by_norm) == ["#9", "#8", "#7", "#6"]
    by_index = make_atom_grid_figure(W_dec, SHAPE, "index", page=1, per_page=4)
    assert subplot_titles(by_index) == ["#4", "#5", "#6", "#7"]
    from_encoder = make_atom_grid_figure(W_dec.T, SHAPE, "index", per_page=4)  # W_enc [d_in, d_sae]
    raw = cells(from_encoder, 4, 8, True, "customdata")
    np.testing.assert_allclose(raw[1], W_dec[1].reshape(SHAPE), rtol=1e-6)


def test_atom_grid_caps_atoms_per_call_and_clamps_the_page() -> None:
    W_dec = RNG.normal(size=(50, 20))
    capped = make_atom_grid_figure(W_dec, SHAPE, "index", per_page=40, max_atoms=16)
    assert len(subplot_titles(capped)) == 16 and len(cells(capped, 16, 8, True)) == 16
    last = make_atom_grid_figure(W_dec, SHAPE, "index", page=99, per_page=16)
    assert subplot_titles(last) == ["#48", "#49"]
    with pytest.raises(DataError, match="freq"):
        make_atom_grid_figure(W_dec, SHAPE, "frequency")


def test_atom_grid_draws_non_image_atoms_as_one_row_scaled_heatmap() -> None:
    W_dec = RNG.normal(size=(12, 7))
    freq = RNG.random(12)
    fig = make_atom_grid_figure(W_dec, None, "frequency", freq, per_page=5)
    (trace,) = heatmaps(fig)
    assert trace.zmin == -trace.zmax and trace.zmid == 0
    top = int(np.argmax(freq))
    assert trace.y[0].startswith(f"#{top} ")
    np.testing.assert_allclose(trace.z[0], W_dec[top] / np.abs(W_dec[top]).max(), rtol=1e-6)


def test_bar_figure_keeps_categories_in_table_order() -> None:
    df = pd.DataFrame({"latent": [42, 7, 3], "cos": [0.9, 0.5, 0.2]})
    fig = make_bar_figure(df, "latent", "cos", "Nearest", "latent", "cosine (−1 to 1)")
    assert list(fig.data[0].x) == ["42", "7", "3"]
    np.testing.assert_allclose(fig.data[0].y, df["cos"])
    assert fig.layout.xaxis.type == "category"


def test_frontier_highlights_exactly_the_current_run() -> None:
    runs = runs_table()
    fig = make_frontier_figure(runs)
    stars = [t for t in fig.data if t.name == "current run"]
    assert stars[0].marker.symbol == "star" and stars[0].marker.size > fig.data[0].marker.size
    assert len(stars) == 1 and len(stars[0].x) == 1
    assert (stars[0].x[0], stars[0].y[0]) == (9.0, 0.1)
    assert sorted(t.name for t in fig.data if t not in stars) == ["l1", "topk"]
    assert sum(len(t.x) for t in fig.data) == len(runs)
    topk = next(t for t in fig.data if t.name == "topk")
    assert list(topk.marker.symbol) == ["circle", "circle-open"]  # saved runs are open
    assert fig.layout.yaxis.type == "log"


def test_frontier_without_a_current_run_has_no_star_and_empty_runs_still_draw() -> None:
    fig = make_frontier_figure(runs_table().assign(current=False))
    assert not [t for t in fig.data if t.name == "current run"]
    empty = make_frontier_figure(runs_table().iloc[:0])
    assert any("no runs" in a.text for a in empty.layout.annotations)
    with pytest.raises(DataError, match="fvu"):
        make_frontier_figure(runs_table().drop(columns="fvu"))


def test_ground_truth_figure_counts_recovered_features_over_the_whole_matrix() -> None:
    cos = RNG.uniform(-1, 0.8, (6, 40))
    cos[[0, 2], [0, 35]] = 0.95  # feature 2's match lies outside the drawn block
    fig = make_ground_truth_figure(cos, threshold=0.9, max_latents=20)
    assert "2 of 6 features recovered" in fig.layout.title.text
    (trace,) = heatmaps(fig)
    assert np.asarray(trace.z).shape == (6, 20)
    assert trace.zmin == -1 and trace.zmax == 1


def test_data_preview_shows_thumbnails_or_one_heatmap() -> None:
    data = RNG.random((20, 20))
    images = make_data_preview_figure(data, SHAPE, n=6, labels=list(range(20)))
    for i, cell in enumerate(cells(images, 6, 6, labelled=True)):
        np.testing.assert_allclose(cell, data[i].reshape(SHAPE), rtol=1e-6)
    assert subplot_titles(images)[0] == "label 0"
    x = RNG.normal(size=(20, 7))
    lines = make_data_preview_figure(x, None, n=5)
    (trace,) = heatmaps(lines)
    np.testing.assert_allclose(trace.z, x[:5], rtol=1e-6)
    assert trace.zmin == -trace.zmax  # standardised data: 0 in the middle


def test_sweep_figure_plots_l0_and_fvu_against_log_lambda_in_order() -> None:
    fig = make_sweep_figure(runs_table())
    l1_l0 = next(t for t in fig.data if t.name == "l1" and t.xaxis == "x")
    assert list(l1_l0.x) == [0.01, 0.03, 0.1]
    assert list(l1_l0.y) == [9.0, 5.0, 2.0]
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis2.type == "log"


def test_one_row_of_thumbnails_gets_a_full_cell_of_height() -> None:
    from sae_core.figures import make_data_preview_figure
    from sae_core.figures.images import CELL_PX

    fig = make_data_preview_figure(np.random.default_rng(0).random((8, 64)), (8, 8), 8)
    top = fig.layout.margin.t
    bottom = fig.layout.margin.b or fig.layout.template.layout.margin.b
    assert fig.layout.height - top - bottom >= CELL_PX  # not a 35 px strip
