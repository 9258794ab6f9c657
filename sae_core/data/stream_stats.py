"""Preprocessing statistics of data too large for memory, in one streaming pass.

Every preprocessing step (:data:`~sae_core.data.preprocessing.PREPROCESS_STEPS`) is an affine
map per dimension with a positive scale, ``x' = (x − o) / s``, and its statistics are the
current values' per-dimension mean and spread (centre, standardise) or global min and max
(scale01). Those four per-dimension numbers move through an affine map exactly (mean' = (mean −
o)/s, std' = std/s, min' = (min − o)/s, max' = (max − o)/s; the global min is the min of the
per-dimension mins), so one pass over the raw rows gives the statistics of any chain of steps,
the same numbers :func:`~sae_core.data.preprocessing.apply_preprocess` takes from data in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sae_core.data.dataset import Preprocessing
from sae_core.errors import DataError

FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass(frozen=True, kw_only=True)
class ColumnStats:
    """Per-dimension statistics of ``count`` rows: mean, m2 (sum of squared deviations), min and
    max, each [d] float64. Chunks merge exactly (Chan, Golub and LeVeque's pairwise update), so
    a pass over any number of chunks needs memory for one chunk only."""

    count: int
    mean: np.ndarray
    m2: np.ndarray
    low: np.ndarray
    high: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray) -> ColumnStats:
        """The statistics of [m, d] rows (m ≥ 1), computed in float64."""
        x64 = np.asarray(x, dtype=np.float64)
        mean = x64.mean(axis=0)
        return cls(
            count=len(x64),
            mean=mean,
            m2=np.square(x64 - mean).sum(axis=0),
            low=x64.min(axis=0),
            high=x64.max(axis=0),
        )

    def merge(self, other: ColumnStats) -> ColumnStats:
        """Statistics of both sets of rows together."""
        if other.count == 0:
            return self
        if self.count == 0:
            return other
        count = self.count + other.count
        delta = other.mean - self.mean
        return ColumnStats(
            count=count,
            mean=self.mean + delta * (other.count / count),
            m2=self.m2 + other.m2 + np.square(delta) * (self.count * other.count / count),
            low=np.minimum(self.low, other.low),
            high=np.maximum(self.high, other.high),
        )

    @property
    def std(self) -> np.ndarray:
        """[d] population standard deviation (ddof 0, as ``np.std``)."""
        return np.sqrt(self.m2 / max(self.count, 1))


def empty_stats(d: int) -> ColumnStats:
    """Statistics of no rows (the start of a pass)."""
    zeros = np.zeros(d)
    return ColumnStats(count=0, mean=zeros, m2=zeros, low=zeros + np.inf, high=zeros - np.inf)


def check_finite_rows(x: np.ndarray, rows: np.ndarray, name: str) -> None:
    """DataError naming the file row and column of the first NaN/inf in ``x`` [m, d], whose rows
    are file rows ``rows`` [m]."""
    bad = ~np.isfinite(x)
    if bad.any():
        i, col = (int(v) for v in np.argwhere(bad)[0])
        raise DataError(
            f"{name} has a NaN or infinite value at row {int(rows[i])}, column {col} (the first "
            "one found): fill or remove such rows before training"
        )


def preprocessing_from_stats(
    stats: ColumnStats, steps: tuple[str, ...], work: np.dtype
) -> Preprocessing:
    """The :class:`Preprocessing` that ``steps`` give on rows with these raw statistics.

    ``work``: the dtype the statistics are stored in (float32, or float64 for float64 files),
    as ``apply_preprocess`` keeps them. DataError when the scaled values leave float32's range.
    """
    mean, std, low, high = stats.mean, stats.std, stats.low, stats.high
    offset: np.ndarray | float = 0.0
    scale: np.ndarray | float = 1.0
    for step in steps:
        step_offset, step_scale = _step(step, mean, std, low, high)
        offset = offset + step_offset * scale
        scale = scale * step_scale
        mean, std = (mean - step_offset) / step_scale, std / step_scale
        low, high = (low - step_offset) / step_scale, (high - step_offset) / step_scale
    if max(float(np.max(np.abs(low))), float(np.max(np.abs(high)))) > FLOAT32_MAX:
        raise DataError(
            "the data holds values too large for 32-bit floats (beyond ±3.4e38): rescale them "
            "first, or choose preprocess=scale01"
        )
    return Preprocessing(steps=steps, offset=_as(offset, work), scale=_as(scale, work))


def _step(
    step: str, mean: np.ndarray, std: np.ndarray, low: np.ndarray, high: np.ndarray
) -> tuple[np.ndarray | float, np.ndarray | float]:
    """(offset, scale) of one step from the current values' statistics (as _step_statistics)."""
    if step == "scale01":
        lo, hi = float(low.min()), float(high.max())
        return lo, (hi - lo) if hi > lo else 1.0
    if step == "centre":
        return mean, 1.0
    # a constant dimension has std 0: its scale is left alone rather than divided by zero
    return mean, np.where(std > 1e-12, std, 1.0)


def _as(value: np.ndarray | float, work: np.dtype) -> np.ndarray | float:
    return float(value) if np.ndim(value) == 0 else np.asarray(value, dtype=work)
