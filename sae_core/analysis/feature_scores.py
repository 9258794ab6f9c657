r"""Per-feature scores on synthetic data: does each true feature's matched latent fire exactly when
the feature does (precision, recall, F1), and do parents' latents absorb their children?

Definitions as SAE_NOTES.md ("Metrics") gives them. Each true feature g is paired with the latent
the Hungarian matching of :mod:`sae_core.analysis.matching` gives it (as MCC pairs them).
Shapes: ``features`` [F, d_in]; ``W_dec`` [d_sae, d_in]; ``latents`` [n, d_sae];
``active`` [n, F] bool, which features fire in each of the same n samples.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from sae_core.analysis.matching import cosine_matrix, matched_latents

if TYPE_CHECKING:  # pandas loads with the first table, not the app's first page
    import pandas as pd

ABSORPTION_COS = 0.4
"""A parent's latent "carries" a child's direction when cos(W_dec[parent latent], child) exceeds
this: well above the cosine of two random directions in the usual d_in (≈ 1/√d_in)."""

FEATURE_LATEX: dict[str, str] = {
    "f1": r"\mathrm{F1} = \frac{1}{|G'|}\sum_{g \in G'} \frac{2\,P_g R_g}{P_g + R_g},\quad "
    r"P_g = P(g \text{ active} \mid f_{\pi(g)} > 0),\ R_g = P(f_{\pi(g)} > 0 \mid g \text{ active})",
    "absorption": r"A = \frac{\sum_{(p, c)} \#\{\, i : c \text{ active},\ f_{\pi(c)}(x_i) = 0,\ "
    r"f_{\pi(p)}(x_i) > 0 \,\}\cdot[\cos(W_{\mathrm{dec},\pi(p)}, g_c) > "
    + f"{ABSORPTION_COS:g}"
    + r"]}{\sum_{(p, c)} \#\{\, i : c \text{ active} \,\}}",
}
"""LaTeX for the UI. π: the Hungarian matching of features to latents; G': the features active in
at least one evaluated sample; (p, c): every parent and each of its children."""


def feature_scores(
    features: np.ndarray,
    W_dec: np.ndarray,
    latents: np.ndarray,
    active: np.ndarray,
    matched: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per true feature: feature, latent (matched; −1 if none), cosine, n_active,
    precision, recall, f1.

    precision = #{i : g active and f_j > 0} / #{i : f_j > 0} (0 when latent j never fires),
    recall = #{i : g active and f_j > 0} / #{i : g active} (NaN when g never fires here),
    f1 = 2PR / (P + R) (0 when P + R = 0, NaN with recall). A feature left without a latent
    (d_sae < F) scores 0. ``matched``: :func:`matched_latents`, when already computed.
    """
    import pandas as pd

    matched = matched_latents(features, W_dec) if matched is None else matched
    has = matched >= 0
    fires = latents[:, np.where(has, matched, 0)] > 0  # [n, F]: the matched latent fires
    fires[:, ~has] = False
    both = np.count_nonzero(fires & active, axis=0).astype(np.float64)
    n_fires = np.count_nonzero(fires, axis=0)
    n_active = np.count_nonzero(active, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(n_fires > 0, both / n_fires, 0.0)
        recall = np.where(n_active > 0, both / n_active, np.nan)
        total = precision + recall
        f1 = np.where(total > 0, 2 * precision * recall / total, 0.0)
    f1 = np.where(n_active > 0, f1, np.nan)
    cos = cosine_matrix(features, W_dec)
    return pd.DataFrame(
        {
            "feature": np.arange(features.shape[0]),
            "latent": matched,
            "cosine": np.where(has, cos[np.arange(len(matched)), np.maximum(matched, 0)], 0.0),
            "n_active": n_active,
            "precision": precision,
            "recall": recall,
            "f1": f1,
        }
    )


def mean_f1(scores: pd.DataFrame) -> float | None:
    """Mean F1 over the features that fire at least once (None when none does)."""
    values = scores["f1"].dropna()
    return float(values.mean()) if len(values) else None


def compute_absorption(
    features: np.ndarray,
    W_dec: np.ndarray,
    latents: np.ndarray,
    active: np.ndarray,
    children: Mapping[int, tuple[int, ...]],
    threshold: float = ABSORPTION_COS,
    matched: np.ndarray | None = None,
) -> float | None:
    """Feature absorption: of all (sample, child) pairs where a child feature c is active, the
    fraction where c's matched latent is silent, its parent p's matched latent fires, and that
    latent's decoder row carries c (cos(W_dec[π(p)], g_c) > ``threshold``).

    children: parent -> its children (feature indices). None without any active child.
    A child or parent left without a latent (d_sae < F) counts as not absorbed.
    """
    matched = matched_latents(features, W_dec) if matched is None else matched
    cos = cosine_matrix(features, W_dec)
    absorbed = events = 0
    for parent, kids in children.items():
        j_parent = int(matched[parent])
        for child in kids:
            child_on = active[:, child]
            events += int(np.count_nonzero(child_on))
            j_child = int(matched[child])
            if j_parent < 0 or j_child < 0 or not cos[child, j_parent] > threshold:
                continue
            hit = child_on & (latents[:, j_child] <= 0) & (latents[:, j_parent] > 0)
            absorbed += int(np.count_nonzero(hit))
    return absorbed / events if events else None


def feature_metrics(
    features: np.ndarray,
    W_dec: np.ndarray,
    latents: np.ndarray,
    active: np.ndarray,
    children: Mapping[int, tuple[int, ...]] | None,
) -> dict[str, float | None]:
    """``{"f1": mean F1, "absorption": score or None without a hierarchy}`` for EvalMetrics."""
    matched = matched_latents(features, W_dec)  # one Hungarian matching for both scores
    f1 = mean_f1(feature_scores(features, W_dec, latents, active, matched))
    absorption = (
        compute_absorption(features, W_dec, latents, active, children, matched=matched)
        if children
        else None
    )
    return {
        "f1": f1,
        "absorption": None if absorption is None or not math.isfinite(absorption) else absorption,
    }
