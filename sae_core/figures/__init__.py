"""Plotly figure builders for every dashboard page: arrays / DataFrames in, ``go.Figure`` out.

Pure functions (no streamlit, no torch): each chart is titled, its axes carry units, and all share
the template in :mod:`sae_core.figures.theme`. Builders limit what they draw (pages of atoms, thinned
curves, numpy-binned histograms) so a browser copes with d_sae up to 4096.
:func:`make_model_figures` gathers one model's main charts; :func:`save_figures` writes figures
as PNG/SVG files (:mod:`sae_core.figures.export`).
"""

from sae_core.figures.atoms import ATOM_ORDERS, atoms_as_rows, make_atom_grid_figure, order_atoms
from sae_core.figures.curves import make_frontier_figure, make_history_figure, make_sweep_figure
from sae_core.figures.export import save_figure, save_figures
from sae_core.figures.ground_truth import make_feature_f1_figure, make_ground_truth_figure
from sae_core.figures.histograms import (
    make_activation_histogram_figure,
    make_firing_frequency_figure,
    make_l0_histogram_figure,
)
from sae_core.figures.images import (
    make_data_preview_figure,
    make_image_grid_figure,
    make_reconstruction_figure,
)
from sae_core.figures.latents import make_bar_figure, make_single_activation_histogram
from sae_core.figures.sparsity import (
    make_latent_heatmap_figure,
    make_rho_figure,
    make_shrinkage_figure,
)
from sae_core.figures.summary import MODEL_FIGURES, make_model_figures
from sae_core.figures.theme import TEMPLATE, apply_theme

__all__ = [
    "ATOM_ORDERS",
    "MODEL_FIGURES",
    "TEMPLATE",
    "apply_theme",
    "atoms_as_rows",
    "make_activation_histogram_figure",
    "make_atom_grid_figure",
    "make_bar_figure",
    "make_data_preview_figure",
    "make_feature_f1_figure",
    "make_firing_frequency_figure",
    "make_frontier_figure",
    "make_ground_truth_figure",
    "make_history_figure",
    "make_image_grid_figure",
    "make_l0_histogram_figure",
    "make_latent_heatmap_figure",
    "make_model_figures",
    "make_reconstruction_figure",
    "make_rho_figure",
    "make_shrinkage_figure",
    "make_single_activation_histogram",
    "make_sweep_figure",
    "order_atoms",
    "save_figure",
    "save_figures",
]
