"""One streaming pass gives the statistics, and the preprocessing, that data in memory gives."""

from __future__ import annotations

import numpy as np
import pytest

from sae_core.data.preprocessing import apply_preprocess, parse_preprocess
from sae_core.data.stream_stats import (
    ColumnStats,
    check_finite_rows,
    empty_stats,
    preprocessing_from_stats,
)
from sae_core.errors import DataError


def _data(dtype: type = np.float32) -> np.ndarray:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((997, 9)) * rng.uniform(0.1, 5, 9) + rng.uniform(-20, 20, 9)
    x[:, 4] = 3.0  # a constant dimension: standardise leaves its scale at 1
    return x.astype(dtype)


def test_merged_chunks_give_the_whole_arrays_statistics() -> None:
    x = _data(np.float64)
    stats = empty_stats(9)
    for start in range(0, len(x), 100):  # uneven last chunk
        stats = stats.merge(ColumnStats.of(x[start : start + 100]))
    assert stats.count == len(x)
    np.testing.assert_allclose(stats.mean, x.mean(0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(stats.std, x.std(0), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(stats.low, x.min(0))
    np.testing.assert_array_equal(stats.high, x.max(0))
    assert stats.merge(empty_stats(9)) is stats


@pytest.mark.parametrize(
    "preprocess",
    ["none", "centre", "standardise", "scale01", "scale01+centre", "standardise+scale01"],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_preprocessing_equals_the_in_memory_one(preprocess: str, dtype: type) -> None:
    x = _data(dtype)
    steps = parse_preprocess(preprocess)
    train, _, oracle = apply_preprocess(x, x[:5], steps)
    record = preprocessing_from_stats(ColumnStats.of(x), steps, np.dtype(dtype))
    assert record.steps == oracle.steps
    np.testing.assert_allclose(record.offset, oracle.offset, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(record.scale, oracle.scale, rtol=1e-5)
    scaled = (x - record.offset) / record.scale
    np.testing.assert_allclose(scaled, train, rtol=1e-4, atol=1e-4)


def test_values_beyond_float32_are_refused_unless_scaled() -> None:
    x = np.array([[1e39, 0.0], [-1e39, 1.0]])
    with pytest.raises(DataError, match="too large for 32-bit floats"):
        preprocessing_from_stats(ColumnStats.of(x), (), np.dtype(np.float64))
    record = preprocessing_from_stats(ColumnStats.of(x), ("scale01",), np.dtype(np.float64))
    assert record.offset == -1e39 and record.scale == 2e39


def test_the_first_nan_is_named_by_its_file_row_and_column() -> None:
    x = np.ones((4, 3), np.float32)
    check_finite_rows(x, np.array([10, 11, 12, 13]), "a.npy")  # all finite: no error
    x[2, 1], x[3, 0] = np.inf, np.nan
    with pytest.raises(DataError, match=r"a\.npy has a NaN or infinite value at row 12, column 1"):
        check_finite_rows(x, np.array([10, 11, 12, 13]), "a.npy")
