"""Plotly figure builders for every dashboard page: arrays / DataFrames in, ``go.Figure`` out.

Pure functions (no streamlit, no torch): each chart is titled, its axes carry units, and all share
the template in :mod:`sae_core.figures.theme`. Builders limit what they draw (pages of atoms, thinned
curves, numpy-binned histograms) so a browser copes with d_sae up to 4096.
:func:`make_model_figures` gathers one model's main charts; :func:`save_figures` writes figures
as PNG/SVG files (:mod:`sae_core.figures.export`).

Importing the package is cheap: each name loads its module (and pandas, for some) the first time
it is used, so ``sae_core.figures.html`` or ``.theme`` alone stay light (the app's first page
imports them; issue 15).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the lazy names below resolve to, for type checkers and editors
    from sae_core.figures.atoms import (
        ATOM_ORDERS,
        atoms_as_rows,
        make_atom_grid_figure,
        order_atoms,
    )
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

# public name -> the module that defines it (imported on first use, PEP 562)
_LAZY: dict[str, str] = {
    "ATOM_ORDERS": "sae_core.figures.atoms",
    "atoms_as_rows": "sae_core.figures.atoms",
    "make_atom_grid_figure": "sae_core.figures.atoms",
    "order_atoms": "sae_core.figures.atoms",
    "make_frontier_figure": "sae_core.figures.curves",
    "make_history_figure": "sae_core.figures.curves",
    "make_sweep_figure": "sae_core.figures.curves",
    "save_figure": "sae_core.figures.export",
    "save_figures": "sae_core.figures.export",
    "make_feature_f1_figure": "sae_core.figures.ground_truth",
    "make_ground_truth_figure": "sae_core.figures.ground_truth",
    "make_activation_histogram_figure": "sae_core.figures.histograms",
    "make_firing_frequency_figure": "sae_core.figures.histograms",
    "make_l0_histogram_figure": "sae_core.figures.histograms",
    "make_data_preview_figure": "sae_core.figures.images",
    "make_image_grid_figure": "sae_core.figures.images",
    "make_reconstruction_figure": "sae_core.figures.images",
    "make_bar_figure": "sae_core.figures.latents",
    "make_single_activation_histogram": "sae_core.figures.latents",
    "make_latent_heatmap_figure": "sae_core.figures.sparsity",
    "make_rho_figure": "sae_core.figures.sparsity",
    "make_shrinkage_figure": "sae_core.figures.sparsity",
    "MODEL_FIGURES": "sae_core.figures.summary",
    "make_model_figures": "sae_core.figures.summary",
    "TEMPLATE": "sae_core.figures.theme",
    "apply_theme": "sae_core.figures.theme",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        # AttributeError (not ImportError) lets ``from sae_core.figures import submodule`` go on
        raise AttributeError(f"module 'sae_core.figures' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
