"""Input checks for the estimator, in scikit-learn's words (its ``validate_data``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils import check_array

try:  # scikit-learn ≥ 1.6
    from sklearn.utils.validation import validate_data
except ImportError:  # pragma: no cover - older scikit-learn
    validate_data = None

FLOATS = (np.float64, np.float32)
"""Accepted as they are; any other numeric dtype (ints, float16) becomes float64."""


def check_x(estimator: BaseEstimator, X: Any, *, reset: bool) -> np.ndarray:
    """``X`` as a finite 2-D float32/float64 array; sets (``reset``) or checks the estimator's
    ``n_features_in_`` and ``feature_names_in_``. A 1-D ``X`` is refused with the reshape to use."""
    if validate_data is not None:
        return np.asarray(validate_data(estimator, X, reset=reset, dtype=FLOATS))
    return np.asarray(estimator._validate_data(X, reset=reset, dtype=FLOATS))  # pragma: no cover


def capped_batch_size(batch_size: Any, n_samples: int) -> Any:
    """``batch_size`` at most ``n_samples``; anything not a positive int is left for
    TrainConfig to refuse with its own message."""
    ok = isinstance(batch_size, int) and not isinstance(batch_size, bool) and batch_size >= 1
    return min(batch_size, n_samples) if ok else batch_size


def check_codes(codes: Any, d_sae: int) -> np.ndarray:
    """Codes as a finite [n, d_sae] float array, or a ValueError naming the expected shape."""
    if isinstance(codes, pd.DataFrame):
        codes = codes.to_numpy()
    array = np.asarray(check_array(codes, dtype=FLOATS))
    if array.shape[1] != d_sae:
        raise ValueError(f"codes must be [n, {d_sae}] (d_sae={d_sae}), got {list(array.shape)}")
    return array
