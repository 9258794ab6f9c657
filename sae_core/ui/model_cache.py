"""Per-model analyses the pages share, computed once and kept on the :class:`Current` model.

They live on the model object (so in this session's state, dropped with the model) rather than
in ``st.cache_data``, which would hash the large arrays on every rerun.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sae_core.analysis.feature_scores import compute_absorption, feature_scores
from sae_core.analysis.latents import (
    SparsityStats,
    compute_sparsity_stats,
    latent_table,
    mean_activation,
)
from sae_core.analysis.metrics import firing_frequency, l0_per_sample
from sae_core.analysis.recovery import Recovery, compute_recovery
from sae_core.analysis.samples import sample_errors, sample_norms
from sae_core.ui.state import Current


def errors(current: Current) -> np.ndarray:
    """Per-sample MSE on the test split [n_test]."""
    return current.cached(
        "sample_errors", lambda: sample_errors(current.dataset.x_test, current.x_hat)
    )


def frequency(current: Current) -> np.ndarray:
    """Firing frequency p_j per latent on the test split [d_sae]."""
    return current.cached("frequency", lambda: firing_frequency(current.latents))


def l0(current: Current) -> np.ndarray:
    """Active latents per test sample [n_test]."""
    return current.cached("l0", lambda: l0_per_sample(current.latents))


def rho_hat(current: Current) -> np.ndarray:
    """Mean activation ρ̂_j per latent on the test split [d_sae]."""
    return current.cached("rho_hat", lambda: mean_activation(current.latents))


def norms(current: Current) -> tuple[np.ndarray, np.ndarray]:
    """(‖x‖, ‖x̂‖) per test sample, two [n_test] arrays."""
    return current.cached("norms", lambda: sample_norms(current.dataset.x_test, current.x_hat))


def stats(current: Current) -> SparsityStats:
    """L0, dead / dense counts and shrinkage on the test split."""
    return current.cached(
        "sparsity_stats",
        lambda: compute_sparsity_stats(current.dataset.x_test, current.x_hat, current.latents),
    )


def latents_table(current: Current) -> pd.DataFrame:
    """:func:`sae_core.analysis.latents.latent_table` of the test split (top_label when labelled)."""
    return current.cached(
        "latent_table",
        lambda: latent_table(current.latents, current.W_dec, current.dataset.y_test),
    )


def recovery(current: Current) -> Recovery | None:
    """Dictionary recovery against the data's ground-truth features; None without them."""
    features = current.dataset.features
    if features is None:
        return None
    return current.cached("recovery", lambda: compute_recovery(features, current.W_dec))


def feature_table(current: Current) -> pd.DataFrame | None:
    """Per-feature precision, recall and F1 on the test split; None without the features'
    activity (only synthetic data knows which features fire in each sample)."""
    features, active = current.dataset.features, current.dataset.feature_activity
    if features is None or active is None:
        return None
    return current.cached(
        "feature_table", lambda: feature_scores(features, current.W_dec, current.latents, active)
    )


def absorption(current: Current) -> float | None:
    """Feature absorption on the test split; None without a feature hierarchy."""
    ds = current.dataset
    if ds.features is None or ds.feature_activity is None or not ds.feature_children:
        return None
    features, active, children = ds.features, ds.feature_activity, ds.feature_children
    return current.cached(
        "absorption",
        lambda: compute_absorption(features, current.W_dec, current.latents, active, children),
    )


def label_values(current: Current) -> list[int]:
    """The distinct test labels, ascending (empty without labels)."""
    y = current.dataset.y_test
    return [] if y is None else [int(v) for v in np.unique(y)]
