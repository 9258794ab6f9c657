"""One latent's page on Filters & latents: atom, activations, example samples, labels, neighbours."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from sae_core.analysis.latents import (
    label_distribution,
    nearest_latents,
    quantile_samples,
    sample_titles,
    top_activating,
)
from sae_core.data.dataset import Dataset
from sae_core.figures import make_bar_figure, make_single_activation_histogram
from sae_core.figures.latent_page import make_atom_figure, make_samples_figure
from sae_core.ui import model_cache
from sae_core.ui.charts import chart
from sae_core.ui.state import Current
from sae_core.ui.steer_view import render_steer
from sae_core.ui.views import units_note

N_TOP = 16
N_BINS = 4
PER_BIN = 4
N_NEAREST = 8


def example_inputs(dataset: Dataset, index: np.ndarray) -> np.ndarray:
    """What to draw for test samples ``index`` [m]: the input images behind a network's
    activations ("what makes this latent fire"), else the samples in original units (to_raw)."""
    if dataset.inputs_test is not None:
        return np.asarray(dataset.inputs_test[index])
    return dataset.preprocessing.to_raw(dataset.x_test[index])


def with_labels(dataset: Dataset, index: np.ndarray, titles: list[str]) -> list[str]:
    """``titles`` of test samples ``index`` with each one's label appended when there are labels."""
    if dataset.y_test is None:
        return titles
    return [f"{t} y={int(y)}" for t, y in zip(titles, dataset.y_test[index], strict=True)]


def input_images_figure(dataset: Dataset, index: np.ndarray, title: str) -> go.Figure | None:
    """The input images behind test samples ``index`` (network activations only), else None."""
    if dataset.inputs_test is None:
        return None
    titles = with_labels(dataset, index, [f"#{int(i)}" for i in index])
    return make_samples_figure(dataset.inputs_test[index], dataset.input_shape, titles, title)


def latent_figures(current: Current, j: int, *, encoder: bool) -> dict[str, go.Figure]:
    """Every chart of latent ``j``, by chart key (built once per model and latent: ~0.3 s)."""
    dataset, latents = current.dataset, current.latents
    figures = {
        "filt_latent_atom": make_atom_figure(current.W_dec[j], dataset.image_shape, j),
        "filt_latent_hist": make_single_activation_histogram(latents[:, j], latent=j),
    }
    if encoder:
        figures["filt_latent_encoder"] = make_atom_figure(
            current.W_enc[:, j], dataset.image_shape, j, kind="Encoder"
        )
    # example inputs as the user knows them (see example_inputs)
    images = dataset.inputs_test is not None
    shape = dataset.input_shape if images else dataset.image_shape
    what, units = ("inputs", "") if images else ("test samples", units_note(dataset))
    top = top_activating(latents, j, n=N_TOP)
    figures["filt_latent_top"] = make_samples_figure(
        example_inputs(dataset, top["sample"].to_numpy()),
        shape,
        with_labels(dataset, top["sample"].to_numpy(), sample_titles(top)),
        f"Top-activating {what} of latent #{j}{units}",
    )
    bins = quantile_samples(latents, j, n_bins=N_BINS, per_bin=PER_BIN)
    figures["filt_latent_quantiles"] = make_samples_figure(
        example_inputs(dataset, bins["sample"].to_numpy()),
        shape,
        with_labels(dataset, bins["sample"].to_numpy(), sample_titles(bins)),
        f"{what.capitalize()} from each activation quartile of latent #{j} (q1 lowest){units}",
        ncols=PER_BIN,
    )
    if dataset.y_test is not None:
        figures["filt_latent_labels"] = make_bar_figure(
            label_distribution(latents, dataset.y_test, j),
            "label",
            "count",
            f"Labels of the samples where latent #{j} fires",
            "label",
            "samples (count)",
            hover=("fraction",),
        )
    figures["filt_latent_nearest"] = make_bar_figure(
        nearest_latents(current.W_dec, j, n=N_NEAREST),
        "latent",
        "cosine",
        f"Latents nearest to #{j} (decoder cosine)",
        "latent",
        "cosine similarity of decoder atoms",
        horizontal=True,
    )
    return figures


def render_latent(current: Current, j: int, *, encoder: bool = False) -> None:
    """Every chart of latent ``j`` (charts keyed ``filt_latent_*``)."""
    freq = model_cache.frequency(current)[j]
    st.caption(
        f"Latent #{j} fires on {freq:.1%} of the test samples"
        + (" — dead: it never fires, so it has no examples." if freq == 0 else ".")
    )
    figures = current.cached(
        f"latent:{j}:{encoder}", lambda: latent_figures(current, j, encoder=encoder)
    )
    left, right = st.columns(2)
    for key in ("filt_latent_atom", "filt_latent_encoder"):
        if key in figures:
            chart(figures[key], key, left)
    chart(figures["filt_latent_hist"], "filt_latent_hist", right)
    chart(figures["filt_latent_top"], "filt_latent_top")
    render_steer(current, j)
    chart(figures["filt_latent_quantiles"], "filt_latent_quantiles")
    left, right = st.columns(2)
    if "filt_latent_labels" in figures:
        chart(figures["filt_latent_labels"], "filt_latent_labels", left)
    chart(figures["filt_latent_nearest"], "filt_latent_nearest", right)
