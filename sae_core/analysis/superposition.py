"""How a toy model's W stores its features (Elhage et al. 2022); W: [d_hidden, n_features].

- norm ‖W_i‖: near 1 when feature i is represented, near 0 when dropped;
- interference Σ_{j≠i} (Ŵ_i · W_j)²: how much other features leak into feature i's direction;
- dimensions per feature m / ‖W‖_F²: how many hidden dimensions each feature gets on average;
- feature dimensionality D_i = ‖W_i‖² / Σ_j (Ŵ_i · W_j)²: 1 for an orthogonal feature, 1/2 in a
  digon (antipodal pair), 2/5 in a pentagon.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_EPS = 1e-12


def compute_feature_norms(W: np.ndarray) -> np.ndarray:
    """[n] ‖W_i‖, the length of each feature's column."""
    return np.linalg.norm(W, axis=0)


def _overlaps(W: np.ndarray) -> np.ndarray:
    """[n, n] (Ŵ_i · W_j)², row i for feature i."""
    unit = W / np.maximum(compute_feature_norms(W), _EPS)
    return (unit.T @ W) ** 2


def compute_interference(W: np.ndarray) -> np.ndarray:
    """[n] Σ_{j≠i} (Ŵ_i · W_j)² per feature i."""
    overlaps = _overlaps(W)
    return overlaps.sum(axis=1) - np.diag(overlaps)


def compute_dimensions_per_feature(W: np.ndarray) -> float:
    """m / ‖W‖_F²: hidden dimensions per (represented) feature."""
    return float(W.shape[0] / max(float((W**2).sum()), _EPS))


def compute_feature_dimensionality(W: np.ndarray) -> np.ndarray:
    """[n] D_i = ‖W_i‖² / Σ_j (Ŵ_i · W_j)²; 0 for a dropped feature."""
    norms2 = compute_feature_norms(W) ** 2
    return norms2 / np.maximum(_overlaps(W).sum(axis=1), _EPS)


def compute_neighbour_angles(W: np.ndarray, min_norm: float = 0.5) -> np.ndarray:
    """Angles in degrees between neighbouring represented features in the plane of W's first
    two rows (sorted by angle, wrapping around); empty when fewer than two are represented."""
    keep = compute_feature_norms(W) >= min_norm
    angles = np.sort(np.degrees(np.arctan2(W[1, keep], W[0, keep])) % 360)
    if len(angles) < 2:
        return np.zeros(0)
    return np.diff(np.append(angles, angles[0] + 360))


def superposition_table(W: np.ndarray) -> pd.DataFrame:
    """One row per feature: norm, interference and dimensionality."""
    return pd.DataFrame(
        {
            "feature": np.arange(W.shape[1]),
            "norm": compute_feature_norms(W),
            "interference": compute_interference(W),
            "dimensionality": compute_feature_dimensionality(W),
        }
    )
