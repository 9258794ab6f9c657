"""Per-sample tables of the Reconstructions page: errors, which samples to show, their norms.

Shapes: ``x``, ``x_hat`` [n, d_in]; ``errors`` [n]; ``labels`` [n].
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sae_core.analysis.metrics import per_sample_sq_error
from sae_core.errors import ConfigError, DataError

SELECT_MODES: tuple[str, ...] = ("random", "best", "worst", "label")


def sample_errors(x: np.ndarray, x_hat: np.ndarray) -> np.ndarray:
    """Per-sample MSE ‖x_i − x̂_i‖² / d_in: [n, d_in] -> [n] float64."""
    return per_sample_sq_error(x, x_hat) / x.shape[1]


def select_samples(
    errors: np.ndarray,
    mode: str,
    n: int,
    labels: np.ndarray | None = None,
    label: int | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Indices of up to ``n`` samples to show: errors [n_samples] -> [≤ n] int64.

    ``random``: a seeded draw without replacement; ``best`` / ``worst``: lowest / highest error
    first (ties to the lower index); ``label``: a seeded draw among samples with ``labels == label``.
    """
    if mode not in SELECT_MODES:
        raise ConfigError(f"mode={mode!r} is invalid: choose one of {', '.join(SELECT_MODES)}")
    errors = np.asarray(errors, np.float64)
    rng = np.random.default_rng(seed)
    if mode == "best":
        return np.argsort(errors, kind="stable")[:n].astype(np.int64)
    if mode == "worst":
        return np.argsort(-errors, kind="stable")[:n].astype(np.int64)
    pool = np.arange(errors.size)
    if mode == "label":
        if labels is None or label is None:
            raise DataError(
                "mode='label' needs labels and a label: this dataset has none; pick "
                "'random', 'best' or 'worst'"
            )
        pool = np.flatnonzero(np.asarray(labels) == label)
    return rng.choice(pool, min(n, pool.size), replace=False).astype(np.int64)


def sample_norms(x: np.ndarray, x_hat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(‖x_i‖, ‖x̂_i‖) per sample: [n, d_in] twice -> two [n] float64 arrays."""
    return (
        np.linalg.norm(np.asarray(x, np.float64), axis=1),
        np.linalg.norm(np.asarray(x_hat, np.float64), axis=1),
    )


def reconstruction_table(
    ids: np.ndarray, errors: np.ndarray, labels: np.ndarray | None = None
) -> pd.DataFrame:
    """The shown samples in display order: DataFrame(sample, mse[, label]).

    ids [m] indices into the split; errors [n] per-sample MSE of the whole split.
    """
    ids = np.asarray(ids, np.int64)
    table = pd.DataFrame({"sample": ids, "mse": np.asarray(errors, np.float64)[ids]})
    if labels is not None:
        table["label"] = np.asarray(labels)[ids]
    return table
