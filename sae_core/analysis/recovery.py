"""Ground-truth recovery on synthetic data: how well a dictionary's atoms match known features.

Numbers and tables only (no streamlit, no plotting); the Ground-truth page draws them with
:mod:`sae_core.figures`. Shapes: ``W_dec`` [d_sae, d_in]; ``features`` [F, d_in].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sae_core import methods
from sae_core.analysis.matching import compute_mcc, compute_mmcs, cosine_matrix, hungarian_match


def matched_similarity(
    features: np.ndarray, W_dec: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature-by-latent cosine matrix arranged so Hungarian-matched pairs lie on the diagonal.

    features [F, d_in], W_dec [d_sae, d_in] -> (cos [F, d_sae] signed, row_order [F],
    col_order [d_sae]) with ``cos[a, b] = cos(features[row_order[a]], W_dec[col_order[b]])``.
    Pairs are matched on |cos| (as MCC) and listed by feature index; unmatched features follow in
    index order, unmatched latents by their best |cos| with any feature, highest first.
    """
    cos = cosine_matrix(features, W_dec)
    abs_cos = np.abs(cos)
    rows, cols = hungarian_match(abs_cos)  # rows come back sorted
    rest_rows = np.setdiff1d(np.arange(cos.shape[0]), rows)
    rest_cols = np.setdiff1d(np.arange(cos.shape[1]), cols)
    rest_cols = rest_cols[np.argsort(-abs_cos[:, rest_cols].max(axis=0), kind="stable")]
    row_order = np.concatenate([rows, rest_rows]).astype(np.int64)
    col_order = np.concatenate([cols, rest_cols]).astype(np.int64)
    return cos[np.ix_(row_order, col_order)], row_order, col_order


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


def sparsity_advice(method: str, lam: float, d_sae: int, l0: float, dead: float) -> str | None:
    """One hint when a model's codes are far from a useful sparsity, else None.

    Only for methods whose λ sets L0 (``Method.lam_sets_l0``: L1), where "raise / lower λ" helps.
    Thresholds are rough rules of thumb, not a tuning procedure: codes using over half the
    latents are hardly sparse; a third of the latents dead usually means λ (or lr) is too high.
    """
    if not methods.get(method).lam_sets_l0 or d_sae < 8:
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
