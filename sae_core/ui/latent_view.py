"""One latent's page on Filters & latents: atom, activations, example samples, labels, neighbours."""

from __future__ import annotations

import streamlit as st

from sae_core.analysis import label_distribution, nearest_latents, quantile_samples, top_activating
from sae_core.exploration import sample_titles
from sae_core.figures import make_bar_figure, make_single_activation_histogram
from sae_core.figures_latent import make_atom_figure, make_samples_figure
from sae_core.ui import model_cache
from sae_core.ui.state import Current

N_TOP = 16
N_BINS = 4
PER_BIN = 4
N_NEAREST = 8


def render_latent(current: Current, j: int, *, encoder: bool = False) -> None:
    """Every chart of latent ``j`` (charts keyed ``filt_latent_*``)."""
    dataset = current.dataset
    latents = current.latents
    freq = model_cache.frequency(current)[j]
    st.caption(
        f"Latent #{j} fires on {freq:.1%} of the test samples"
        + (" — dead: it never fires, so it has no examples." if freq == 0 else ".")
    )
    left, right = st.columns(2)
    left.plotly_chart(
        make_atom_figure(current.W_dec[j], dataset.image_shape, j), key="filt_latent_atom"
    )
    if encoder:
        left.plotly_chart(
            make_atom_figure(current.W_enc[:, j], dataset.image_shape, j, kind="Encoder"),
            key="filt_latent_encoder",
        )
    right.plotly_chart(
        make_single_activation_histogram(latents[:, j], latent=j), key="filt_latent_hist"
    )

    top = top_activating(latents, j, n=N_TOP)
    st.plotly_chart(
        make_samples_figure(
            dataset.x_test[top["sample"].to_numpy()],
            dataset.image_shape,
            sample_titles(top),
            f"Top-activating test samples of latent #{j}",
        ),
        key="filt_latent_top",
    )
    bins = quantile_samples(latents, j, n_bins=N_BINS, per_bin=PER_BIN)
    st.plotly_chart(
        make_samples_figure(
            dataset.x_test[bins["sample"].to_numpy()],
            dataset.image_shape,
            sample_titles(bins),
            f"Samples from each activation quartile of latent #{j} (q1 lowest)",
            ncols=PER_BIN,
        ),
        key="filt_latent_quantiles",
    )

    left, right = st.columns(2)
    if dataset.y_test is not None:
        labels = label_distribution(latents, dataset.y_test, j)
        left.plotly_chart(
            make_bar_figure(
                labels,
                "label",
                "count",
                f"Labels of the samples where latent #{j} fires",
                "label",
                "samples (count)",
                hover=("fraction",),
            ),
            key="filt_latent_labels",
        )
    near = nearest_latents(current.W_dec, j, n=N_NEAREST)
    right.plotly_chart(
        make_bar_figure(
            near,
            "latent",
            "cosine",
            f"Latents nearest to #{j} (decoder cosine)",
            "latent",
            "cosine similarity of decoder atoms",
            horizontal=True,
        ),
        key="filt_latent_nearest",
    )
