"""The Dataset checks its arrays when built, so a mismatch fails before any training."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sae_core.data.dataset import Dataset
from sae_core.errors import DataError


def _arrays(**overrides: Any) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    fields: dict[str, Any] = {
        "name": "tiny",
        "x_train": rng.normal(size=(10, 4)).astype(np.float32),
        "x_test": rng.normal(size=(5, 4)).astype(np.float32),
        "y_train": np.arange(10, dtype=np.int64) % 2,
        "y_test": np.arange(5, dtype=np.int64) % 2,
        "image_shape": (2, 2),
        "features": np.eye(4, dtype=np.float32)[:3],
        "feature_activity": np.zeros((5, 3), dtype=bool),
    }
    return {**fields, **overrides}


def test_a_consistent_dataset_builds_and_reports_its_sizes() -> None:
    ds = Dataset(**_arrays())
    assert (ds.d_in, ds.n_train, ds.n_test, ds.has_labels, ds.is_image) == (4, 10, 5, True, True)


def test_train_and_test_of_different_widths_are_refused_when_built() -> None:
    x_test = np.zeros((5, 3), dtype=np.float32)
    with pytest.raises(DataError, match=r"x_train has 4 columns but x_test has 3"):
        Dataset(**_arrays(x_test=x_test, image_shape=None, features=None, feature_activity=None))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("x_train", np.zeros((10, 4)), r"x_train is float64.*astype\(np.float32\)"),
        ("x_test", np.zeros(4, dtype=np.float32), r"x_test must be a 2-D .* got a 1-D"),
        ("x_train", [[0.0] * 4] * 10, r"x_train must be a 2-D .* got list"),
        ("x_test", np.zeros((0, 4), dtype=np.float32), r"x_test has shape \[0, 4\]"),
        ("y_train", np.zeros(9, dtype=np.int64), r"y_train has 9 labels but x_train has 10"),
        ("y_test", np.zeros(5, dtype=np.float32), r"y_test must be a 1-D integer array"),
        ("y_test", None, r"labels are given for one split only"),
        ("image_shape", (3, 3), r"image_shape \(3, 3\) does not hold d_in = 4"),
        ("features", np.eye(5, dtype=np.float32), r"features have shape \(5, 5\).*d_in = 4"),
        ("feature_activity", np.zeros((4, 3), bool), r"feature_activity has shape \(4, 3\)"),
        ("feature_activity", np.zeros((5, 2), bool), r"needs \[n_test, n_features\] = \[5, 3\]"),
    ],
)
def test_each_inconsistent_field_is_named_in_the_error(
    field: str, value: Any, message: str
) -> None:
    with pytest.raises(DataError, match=message):
        Dataset(**_arrays(**{field: value}))


def test_a_dataset_without_labels_images_or_features_is_fine() -> None:
    ds = Dataset(
        **_arrays(y_train=None, y_test=None, image_shape=None, features=None, feature_activity=None)
    )
    assert not ds.has_labels and not ds.is_image
