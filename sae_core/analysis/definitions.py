r"""The metric glass box: FVE and shrinkage under each definition in circulation.

Published "explained variance" numbers for SAEs are not one quantity. This module computes, for
one model's reconstruction of held-out data, each definition side by side with its formula and
where it comes from, so a user can see why numbers disagree (SAE_NOTES.md, "Metrics").

Every ``compute`` takes ``x``, ``x_hat`` [n, d_in] (any float dtype; accumulated in float64) and
returns a float. "x̄" is always the mean over the same n samples, per dimension: [d_in].
:func:`fve_definitions` and :func:`shrinkage_definitions` return DataFrames with the columns
``definition, value, formula, source``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sae_core.analysis.metrics import (
    METRIC_LATEX,
    compute_fve,
    compute_shrinkage,
    per_sample_sq_error,
)

COLUMNS = ["definition", "value", "formula", "source"]


@dataclass(frozen=True, kw_only=True)
class Definition:
    """One published definition of a metric: display name, LaTeX, one-line source, function."""

    name: str
    latex: str
    source: str
    compute: Callable[[np.ndarray, np.ndarray], float]


_CHUNK = 4096  # rows per float64 block, as in metrics: no whole-split float64 copies


def _sq_norms(a: np.ndarray) -> np.ndarray:
    """‖a_i‖² per row: [n, d] -> [n] float64."""
    return np.einsum("ij,ij->i", a, a, dtype=np.float64)


def _mean(x: np.ndarray) -> np.ndarray:
    """x̄, the mean over samples: [n, d_in] -> [d_in] float64."""
    return np.asarray(np.mean(x, axis=0, dtype=np.float64))


def _per_dimension_sums(x: np.ndarray, x_hat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Σ_i (x_id − x̂_id)², Σ_i (x_id − x̄_d)²), each [d_in] float64."""
    x_bar = _mean(x)
    residual = np.zeros(x.shape[1])
    total = np.zeros(x.shape[1])
    for s in range(0, x.shape[0], _CHUNK):
        block = np.asarray(x[s : s + _CHUNK], np.float64)
        residual += np.sum((block - x_hat[s : s + _CHUNK]) ** 2, axis=0)
        total += np.sum((block - x_bar) ** 2, axis=0)
    return residual, total


def fve_saelens_pre_fix(x: np.ndarray, x_hat: np.ndarray) -> float:
    """1 − Σ_i ‖x_i − x̂_i‖² / Σ_i ‖x_i‖²: total variance measured about zero, not about x̄.

    This is the quantity SAELens's ``explained_variance`` approximated before its 6.45.1 fix
    (its code also subtracted (mean_d E[x_d²])², a scalar that is small next to E‖x‖² for large
    d_in; that leftover is not reproduced here). Data far from the origin score close to 1 even
    when the reconstruction is no better than x̄. NaN when every x_i is 0.
    """
    total = float(_sq_norms(x).sum())
    if not total > 0:
        return math.nan
    return 1.0 - float(per_sample_sq_error(x, x_hat).sum()) / total


def fve_saebench_legacy(x: np.ndarray, x_hat: np.ndarray) -> float:
    """mean_i [1 − ‖x_i − x̂_i‖² / ‖x_i − x̄‖²]: a ratio per sample, then averaged over samples.

    SAEBench's core eval (``explained_variance``, later kept as ``explained_variance_legacy``,
    also in SAELens's training logs) computes this per evaluation batch, x̄ that batch's mean;
    here the whole held-out split is one batch. Samples near x̄ have tiny denominators and can
    pull the mean far below the pooled FVE. Samples exactly at x̄ (where SAEBench gets ±inf or
    NaN) are left out. NaN when no sample is left.
    """
    total = per_sample_sq_error(x, np.broadcast_to(_mean(x), x.shape))
    keep = total > 0
    if not keep.any():
        return math.nan
    return float(np.mean(1.0 - per_sample_sq_error(x, x_hat)[keep] / total[keep]))


def fve_per_dimension(x: np.ndarray, x_hat: np.ndarray) -> float:
    """mean_d [1 − Σ_i (x_id − x̂_id)² / Σ_i (x_id − x̄_d)²]: R² per dimension, then averaged.

    Equals ``sklearn.metrics.r2_score(x, x_hat, multioutput="uniform_average")``, including its
    convention for a constant dimension (zero denominator): it scores 1 when reconstructed
    exactly, else 0. (``explained_variance_score`` differs: it also subtracts the residual's mean.)
    Every pixel counts equally, however little it varies.
    """
    num, den = _per_dimension_sums(x, x_hat)
    varies = den > 0
    scores = np.where(num == 0, 1.0, 0.0)  # constant dimensions, sklearn's force_finite rule
    scores[varies] = 1.0 - num[varies] / den[varies]
    return float(scores.mean())


def l2_ratio_saebench(x: np.ndarray, x_hat: np.ndarray) -> float:
    """mean_i ‖x̂_i‖ / ‖x_i‖, a mean of per-sample ratios (SAEBench ``l2_ratio``).

    As SAEBench does, a sample with ‖x_i‖ < 1e-4 is divided by 1 instead.
    """
    norm_in = np.sqrt(_sq_norms(x))
    norm_out = np.sqrt(_sq_norms(x_hat))
    return float(np.mean(norm_out / np.where(norm_in < 1e-4, 1.0, norm_in)))


FVE_DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        name="Ours (pooled, about the mean)",
        latex=METRIC_LATEX["fve"],
        source="SAE_NOTES.md; the conventional R² / FVU; SAELens ≥ 6.45.1 after its fix",
        compute=compute_fve,
    ),
    Definition(
        name="SAELens before 6.45.1 (about zero)",
        latex=r"\mathrm{FVE}_0 = 1 - \frac{\sum_i \lVert x_i - \hat x_i \rVert^2}"
        r"{\sum_i \lVert x_i \rVert^2}",
        source="sae_lens.evals explained_variance before 6.45.1 (issue #659): "
        "variance about zero, not the mean",
        compute=fve_saelens_pre_fix,
    ),
    Definition(
        name="SAEBench legacy (per sample, then averaged)",
        latex=r"\mathrm{FVE}_{\mathrm{legacy}} = \frac{1}{n}\sum_i \left(1 - "
        r"\frac{\lVert x_i - \hat x_i \rVert^2}{\lVert x_i - \bar x \rVert^2}\right)",
        source="SAEBench core eval explained_variance (later explained_variance_legacy); "
        "x̄ = mean of the evaluation batch",
        compute=fve_saebench_legacy,
    ),
    Definition(
        name="Per-dimension average (sklearn R²)",
        latex=r"\mathrm{FVE}_{\mathrm{dim}} = \frac{1}{d_{\mathrm{in}}}\sum_d \left(1 - "
        r"\frac{\sum_i (x_{id} - \hat x_{id})^2}{\sum_i (x_{id} - \bar x_d)^2}\right)",
        source='sklearn.metrics.r2_score(x, x_hat, multioutput="uniform_average")',
        compute=fve_per_dimension,
    ),
)
"""The FVE definitions in circulation; the first is ours (what every other page reports)."""

SHRINKAGE_DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        name="γ, relative reconstruction bias (ours = SAEBench)",
        latex=METRIC_LATEX["gamma"],
        source="Rajamanoharan et al. 2024, eq. 10; SAEBench relative_reconstruction_bias",
        compute=lambda x, x_hat: compute_shrinkage(x, x_hat)[0],
    ),
    Definition(
        name="Norm ratio, ratio of means (ours)",
        latex=METRIC_LATEX["norm_ratio"],
        source="SAE_NOTES.md (E‖x̂‖/‖x‖ as a ratio of means)",
        compute=lambda x, x_hat: compute_shrinkage(x, x_hat)[1],
    ),
    Definition(
        name="L2 ratio, mean of ratios (SAEBench)",
        latex=r"\frac{1}{n}\sum_i \frac{\lVert \hat x_i \rVert}{\lVert x_i \rVert}",
        source="SAEBench / SAELens evals l2_ratio (‖x_i‖ < 1e-4 divided by 1)",
        compute=l2_ratio_saebench,
    ),
)
"""Shrinkage definitions in circulation (γ: ours and SAEBench's agree exactly)."""


def _table(definitions: tuple[Definition, ...], x: np.ndarray, x_hat: np.ndarray) -> pd.DataFrame:
    if x.shape != x_hat.shape or x.ndim != 2:
        raise ValueError(f"x {x.shape} and x_hat {x_hat.shape} must both be [n, d_in]")
    rows = [(d.name, float(d.compute(x, x_hat)), d.latex, d.source) for d in definitions]
    return pd.DataFrame(rows, columns=COLUMNS)


def fve_definitions(x: np.ndarray, x_hat: np.ndarray) -> pd.DataFrame:
    """FVE of ``x_hat`` [n, d_in] for ``x`` [n, d_in] under each of :data:`FVE_DEFINITIONS`."""
    return _table(FVE_DEFINITIONS, x, x_hat)


def shrinkage_definitions(x: np.ndarray, x_hat: np.ndarray) -> pd.DataFrame:
    """Shrinkage of ``x_hat`` [n, d_in] under each of :data:`SHRINKAGE_DEFINITIONS`."""
    return _table(SHRINKAGE_DEFINITIONS, x, x_hat)
