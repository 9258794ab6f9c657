"""What the exploration pages show, computed from one model's test-split outputs.

Numbers and tables only (no streamlit, no plotting): the Reconstructions, Activations, Filters
and Ground-truth pages call these and hand the results to :mod:`sae_core.figures`.
Shapes: ``x``, ``x_hat`` [n, d_in]; ``latents`` [n, d_sae]; ``W_dec`` [d_sae, d_in];
``features`` [F, d_in]; ``labels`` [n].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sae_core.analysis.latents import matched_similarity
from sae_core.analysis.metrics import (
    compute_mcc,
    compute_mmcs,
    compute_shrinkage,
    cosine_matrix,
    firing_frequency,
    l0_per_sample,
)
from sae_core.errors import ConfigError

LATENT_SORTS: tuple[str, ...] = (
    "frequency",
    "mean_activation",
    "max_activation",
    "decoder_norm",
    "latent",
)


@dataclass(frozen=True, kw_only=True)
class SparsityStats:
    """The headline numbers of the Activations page (test split)."""

    n_samples: int
    d_sae: int
    l0_mean: float
    l0_median: float
    dead_count: int  # latents with p_j = 0
    dense_count: int  # latents with p_j > 0.5
    gamma: float  # Σ‖x̂‖² / Σ x·x̂ (NaN when undefined)
    norm_ratio: float  # mean ‖x̂‖ / mean ‖x‖


def compute_sparsity_stats(x: np.ndarray, x_hat: np.ndarray, latents: np.ndarray) -> SparsityStats:
    """L0 mean and median, dead and dense counts and shrinkage of one model's outputs."""
    l0 = l0_per_sample(latents)
    freq = firing_frequency(latents)
    gamma, norm_ratio = compute_shrinkage(x, x_hat)
    return SparsityStats(
        n_samples=int(latents.shape[0]),
        d_sae=int(latents.shape[1]),
        l0_mean=float(l0.mean()),
        l0_median=float(np.median(l0)),
        dead_count=int(np.count_nonzero(freq == 0)),
        dense_count=int(np.count_nonzero(freq > 0.5)),
        gamma=gamma,
        norm_ratio=norm_ratio,
    )


def sample_norms(x: np.ndarray, x_hat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(‖x_i‖, ‖x̂_i‖) per sample: [n, d_in] twice -> two [n] float64 arrays."""
    return (
        np.linalg.norm(np.asarray(x, np.float64), axis=1),
        np.linalg.norm(np.asarray(x_hat, np.float64), axis=1),
    )


def mean_activation(latents: np.ndarray) -> np.ndarray:
    """ρ̂_j, the mean value of each latent over the samples: [n, d_sae] -> [d_sae] float64."""
    return np.asarray(latents.mean(axis=0, dtype=np.float64))


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


def page_count(n_items: int, per_page: int) -> int:
    """Pages needed for ``n_items`` at ``per_page`` each (at least 1)."""
    if per_page < 1:
        raise ConfigError(f"per_page={per_page!r} is invalid: choose a positive integer")
    return max(1, math.ceil(n_items / per_page))


def sort_latent_table(table: pd.DataFrame, by: str, descending: bool = True) -> pd.DataFrame:
    """``table`` (see :func:`sae_core.analysis.latents.latent_table`) sorted by column ``by``.

    Ties keep latent order; NaN (dead latents' mean activation) go last. The index is reset, so
    row position i is the i-th row shown.
    """
    if by not in table.columns:
        raise ConfigError(f"cannot sort latents by {by!r}: choose one of {', '.join(LATENT_SORTS)}")
    ordered = table.sort_values(by, ascending=not descending, kind="stable", na_position="last")
    return ordered.reset_index(drop=True)


@dataclass(frozen=True, kw_only=True)
class Recovery:
    """How well a dictionary recovers known features (see SAE_NOTES.md, Metrics)."""

    mmcs: float
    mcc: float
    best_cosine: np.ndarray  # [F] max_j cos(g, W_dec[j]) per feature, in feature order
    cos: np.ndarray  # [F, d_sae] signed cosines in matched order (pairs on the diagonal)
    feature_order: np.ndarray  # [F] feature index of each row of ``cos``
    latent_order: np.ndarray  # [d_sae] latent index of each column of ``cos``

    @property
    def n_features(self) -> int:
        return int(self.best_cosine.size)

    def recovered(self, threshold: float = 0.9) -> int:
        """Features whose best cosine with any latent is ≥ ``threshold``."""
        return int(np.count_nonzero(self.best_cosine >= threshold))

    def matched_pairs(self) -> pd.DataFrame:
        """Hungarian-matched pairs: DataFrame(feature, latent, cosine, best_cosine) by feature."""
        m = min(self.cos.shape)
        return pd.DataFrame(
            {
                "feature": self.feature_order[:m],
                "latent": self.latent_order[:m],
                "cosine": np.diagonal(self.cos)[:m],
                "best_cosine": self.best_cosine[self.feature_order[:m]],
            }
        )


def compute_recovery(features: np.ndarray, W_dec: np.ndarray) -> Recovery:
    """MMCS, MCC, per-feature best cosine and the matched similarity matrix."""
    cos, rows, cols = matched_similarity(features, W_dec)
    return Recovery(
        mmcs=compute_mmcs(features, W_dec),
        mcc=compute_mcc(features, W_dec),
        best_cosine=cosine_matrix(features, W_dec).max(axis=1),
        cos=cos,
        feature_order=rows,
        latent_order=cols,
    )


def sample_titles(samples: pd.DataFrame) -> list[str]:
    """Short titles for example samples: "#id a=0.53" (prefixed "q2 " when a ``bin`` is given).

    ``samples`` has columns sample, activation and optionally bin (as :func:`top_activating`,
    :func:`quantile_samples` in :mod:`sae_core.analysis.latents` return).
    """
    ids = samples["sample"].to_numpy()
    acts = samples["activation"].to_numpy()
    bins = samples["bin"].to_numpy() if "bin" in samples.columns else None
    return [
        ("" if bins is None else f"q{int(bins[i]) + 1} ") + f"#{int(ids[i])} a={acts[i]:.2g}"
        for i in range(len(ids))
    ]


def sparsity_advice(method: str, lam: float, d_sae: int, l0: float, dead: float) -> str | None:
    """One hint when an L1 model's codes are far from a useful sparsity, else None.

    Thresholds are rough rules of thumb, not a tuning procedure: codes using over half the
    latents are hardly sparse; a third of the latents dead usually means λ (or lr) is too high.
    """
    if method != "l1" or d_sae < 8:
        return None
    if l0 > 0.5 * d_sae:
        return (
            f"L0 = {l0:.0f} of {d_sae}: these codes are dense. Raise λ (try {lam * 10:g}) for a "
            "sparser code; watch FVU rise on Compare & sweep."
        )
    if dead > 1 / 3:
        return (
            f"{dead:.0%} of the latents are dead. Lower λ (try {lam / 10:g}) or the learning "
            "rate, or use a λ warm-up or resampling (Advanced)."
        )
    return None
