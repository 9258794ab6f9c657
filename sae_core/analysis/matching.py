"""Cosines between directions, the one-to-one matching of true features to latents, and the
dictionary metrics built on them (MMCS, MCC, recovered count; SAE_NOTES.md "Metrics").

Shared by the dictionary metrics (MMCS, MCC), the recovery tables and the per-feature scores
(F1, absorption), which all pair each true feature with the latent the Hungarian matching gives it.
Shapes: ``a`` [m, d], ``b`` [k, d]; ``abs_cos`` [F, d_sae].
"""

from __future__ import annotations

import numpy as np


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """cos(a_i, b_j): a [m, d], b [k, d] -> [m, k] float64. A zero row has cosine 0 with all."""
    a64 = np.asarray(a, np.float64)
    b64 = np.asarray(b, np.float64)
    a_unit = a64 / np.maximum(np.linalg.norm(a64, axis=1, keepdims=True), 1e-12)
    b_unit = b64 / np.maximum(np.linalg.norm(b64, axis=1, keepdims=True), 1e-12)
    return np.clip(a_unit @ b_unit.T, -1.0, 1.0)


def hungarian_match(abs_cos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one matching maximising Σ |cos|: abs_cos [F, d_sae] -> (rows, cols), min(F, d_sae) each."""
    from scipy.optimize import linear_sum_assignment  # SciPy loads when a matching is needed

    rows, cols = linear_sum_assignment(-abs_cos)
    return rows.astype(np.int64), cols.astype(np.int64)


def matched_latents(features: np.ndarray, W_dec: np.ndarray) -> np.ndarray:
    """The latent matched to each feature (as MCC matches them), −1 where none is left.

    features [F, d_in], W_dec [d_sae, d_in] -> [F] int64; −1 only when d_sae < F.
    """
    rows, cols = hungarian_match(np.abs(cosine_matrix(features, W_dec)))
    matched = np.full(features.shape[0], -1, dtype=np.int64)
    matched[rows] = cols
    return matched


def compute_mmcs(features: np.ndarray, W_dec: np.ndarray) -> float:
    """MMCS = (1/F) Σ_g max_j cos(g, W_dec[j]) (signed cosine). features [F, d_in], W_dec [d_sae, d_in]."""
    return float(cosine_matrix(features, W_dec).max(axis=1).mean())


def compute_mcc(features: np.ndarray, W_dec: np.ndarray) -> float:
    """MCC = mean |cos| over a one-to-one Hungarian matching of features to latents.

    features [F, d_in], W_dec [d_sae, d_in]. min(F, d_sae) pairs are matched; the sum is divided
    by F, so when d_sae < F the features left unmatched count as 0 (a dictionary too small to hold
    every feature cannot score 1). Extra latents (d_sae > F) cost nothing.
    """
    abs_cos = np.abs(cosine_matrix(features, W_dec))
    rows, cols = hungarian_match(abs_cos)
    return float(abs_cos[rows, cols].sum() / features.shape[0])


def recovered_count(features: np.ndarray, W_dec: np.ndarray, threshold: float = 0.9) -> int:
    """Number of features g with max_j cos(g, W_dec[j]) ≥ threshold. Shapes as :func:`compute_mmcs`."""
    return int(np.count_nonzero(cosine_matrix(features, W_dec).max(axis=1) >= threshold))
