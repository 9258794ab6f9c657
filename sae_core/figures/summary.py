"""The main charts of one trained model, as the app draws them: for files, reports and papers.

Arrays in, figures out (the caller encodes the data); :func:`sae_core.figures.export.save_figures`
writes them as PNG/SVG, and the CLI's ``--figures DIR`` does both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sae_core.figures.atoms import make_atom_grid_figure
from sae_core.figures.curves import make_history_figure
from sae_core.figures.histograms import (
    make_activation_histogram_figure,
    make_firing_frequency_figure,
    make_l0_histogram_figure,
)

MODEL_FIGURES = (
    "training_curves",
    "atoms",
    "activation_histogram",
    "l0_histogram",
    "firing_frequency",
)
ATOMS_SHOWN = 48  # the most frequent atoms: one page, as the Filters page shows first


def make_model_figures(
    *,
    W_dec: np.ndarray,
    latents: np.ndarray,
    freq: np.ndarray,
    l0_per_sample: np.ndarray,
    history: pd.DataFrame | None = None,
    image_shape: tuple[int, int] | None = None,
    k: int | None = None,
    dead_window: int | None = None,
    prefixes: Sequence[int] | None = None,
) -> dict[str, go.Figure]:
    """One figure per name in :data:`MODEL_FIGURES` (training curves only with a history).

    W_dec [d_sae, d_in]; latents [n, d_sae] of the evaluated split; freq [d_sae] its firing
    frequencies; l0_per_sample [n]; history the trainer's table (step, loss, mse, l0, ...);
    ``k`` marks TopK's k on the L0 histogram; ``dead_window`` names the curves' not-fired window.
    """
    d_sae = int(np.shape(W_dec)[0])
    figures: dict[str, go.Figure] = {}
    if history is not None and len(history):
        figures["training_curves"] = make_history_figure(history, dead_window=dead_window)
    figures["atoms"] = make_atom_grid_figure(
        W_dec,
        image_shape,
        "frequency",
        freq,
        0,
        ATOMS_SHOWN,
        d_sae=d_sae,
        max_atoms=ATOMS_SHOWN,
        prefixes=prefixes,
    )
    figures["activation_histogram"] = make_activation_histogram_figure(latents)
    figures["l0_histogram"] = make_l0_histogram_figure(l0_per_sample, d_sae, k)
    figures["firing_frequency"] = make_firing_frequency_figure(freq)
    return figures
