"""SAE Explorer's core: train sparse autoencoders on small data and see what sparsity does.

Public API (``help(sae_core.NAME)`` for each; ``docs/api.md`` lists them). Importing ``sae_core``
is cheap: each name loads its module (and torch) the first time it is used.

Estimator (scikit-learn conventions)::

    from sae_core import SparseAutoencoder
    sae = SparseAutoencoder(method="topk", k=8, d_sae=128, epochs=10).fit(X)   # X: array or DataFrame
    codes = sae.transform(X)                 # [n, 128]; sae.inverse_transform(codes) -> X's units
    sae.score(X)                             # FVE; sae.partial_fit(X, n_steps=1) takes one step

Functions::

    data = sae_core.load_dataset("digits")   # Dataset: x_train, x_test, y_*, preprocessing
    result = sae_core.train(data, method="l1", lam=0.1, epochs=5)   # .model, .history, .metrics
    table = sae_core.sweep(data, lams=[0.01, 0.1, 1])               # one DataFrame row per model
    sae_core.evaluate(result.model, data).fve
    run = sae_core.load_run("runs/NAME")
    sae_core.make_history_figure(result.history)                    # plotly figures

Two classes share the name ``SparseAutoencoder``: ``sae_core.SparseAutoencoder`` is the
scikit-learn estimator (NumPy in, NumPy out, its own preprocessing); ``sae_core.model.
SparseAutoencoder`` is the ``nn.Module`` it trains (``estimator.model_``, ``result.model``), with
``encode`` / ``decode`` / ``forward`` on tensors of any float dtype and device.

Layers (imports point down only; ``tests/test_layers.py`` checks it):

- ``methods``, ``config``, ``model``, ``penalties``, ``errors``: what an SAE is (top level).
- ``data/``: data sources (one registry), loading, preprocessing, files.
- ``training/``: the Trainer, its step engines, remedies, ``fit``/``train_sweep``.
- ``analysis/``: held-out metrics and per-latent analysis.
- ``runs/``: the run folder format, the store, the listing, SAELens interop.
- ``figures/``: plotly figure builders.
- ``api/``: the estimator and the functions above.
- ``app/``: the app's pure logic (controls, links, scenarios, snippets): no Streamlit.
- ``cli/``: the command line.
- ``ui/``: the Streamlit layer; the only part of the package that imports streamlit.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the lazy names below resolve to, for type checkers and editors
    from sae_core import methods
    from sae_core.api.estimator import SparseAutoencoder
    from sae_core.api.functions import evaluate, load_run, sweep, train
    from sae_core.config import SAEConfig, TrainConfig
    from sae_core.data import load_dataset
    from sae_core.figures import (
        make_activation_histogram_figure,
        make_atom_grid_figure,
        make_firing_frequency_figure,
        make_frontier_figure,
        make_ground_truth_figure,
        make_history_figure,
        make_l0_histogram_figure,
        make_latent_heatmap_figure,
        make_reconstruction_figure,
        make_shrinkage_figure,
        make_sweep_figure,
    )

__all__ = [
    "SAEConfig",
    "SparseAutoencoder",
    "TrainConfig",
    "evaluate",
    "load_dataset",
    "load_run",
    "make_activation_histogram_figure",
    "make_atom_grid_figure",
    "make_firing_frequency_figure",
    "make_frontier_figure",
    "make_ground_truth_figure",
    "make_history_figure",
    "make_l0_histogram_figure",
    "make_latent_heatmap_figure",
    "make_reconstruction_figure",
    "make_shrinkage_figure",
    "make_sweep_figure",
    "methods",
    "sweep",
    "train",
]

# public name -> the module that defines it (imported on first use, PEP 562)
_LAZY: dict[str, str] = {
    "SparseAutoencoder": "sae_core.api.estimator",
    "SAEConfig": "sae_core.config",
    "TrainConfig": "sae_core.config",
    "load_dataset": "sae_core.data",
    "train": "sae_core.api.functions",
    "sweep": "sae_core.api.functions",
    "evaluate": "sae_core.api.functions",
    "load_run": "sae_core.api.functions",
    **{name: "sae_core.figures" for name in __all__ if name.startswith("make_")},
}


def __getattr__(name: str) -> Any:
    if name == "methods":
        return importlib.import_module("sae_core.methods")
    if name not in _LAZY:
        # AttributeError (not ImportError) lets ``from sae_core import submodule`` go on to import
        raise AttributeError(f"module 'sae_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
