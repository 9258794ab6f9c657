"""Bring your own activations: an .npz with ``x``, optional ``images`` (for display) and ``y``."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from sae_core.data import load_dataset, load_file_bytes
from sae_core.errors import DataError


def _arrays(n: int = 40) -> dict[str, np.ndarray]:
    g = np.random.default_rng(0)
    return {
        "x": g.normal(size=(n, 6)).astype(np.float32),
        "y": np.arange(n) % 4,
        # each image carries its row number, so a shuffled pairing would show
        "images": np.arange(n, dtype=np.float32)[:, None, None] * np.ones((1, 3, 5), np.float32),
    }


def _save(path: Path, **arrays: np.ndarray) -> Path:
    np.savez(path, **arrays)
    return path


def test_images_follow_their_rows_through_split_and_subsampling(tmp_path: Path) -> None:
    arrays = _arrays()
    path = _save(tmp_path / "acts.npz", **arrays)
    data = load_dataset(str(path), max_samples=30, seed=3)
    assert data.input_shape == (3, 5) and data.inputs_test is not None
    assert data.inputs_train is not None and data.n_train + data.n_test == 30
    for x, inputs in ((data.x_train, data.inputs_train), (data.x_test, data.inputs_test)):
        rows = inputs[:, 0].astype(int)  # the row each image came from
        np.testing.assert_array_equal(x, arrays["x"][rows])


def test_images_do_not_change_the_split_of_x_and_y(tmp_path: Path) -> None:
    arrays = _arrays()
    with_images = load_dataset(str(_save(tmp_path / "a.npz", **arrays)), seed=1)
    plain = {k: v for k, v in arrays.items() if k != "images"}
    without = load_dataset(str(_save(tmp_path / "b.npz", **plain)), seed=1)
    np.testing.assert_array_equal(with_images.x_test, without.x_test)
    np.testing.assert_array_equal(with_images.y_train, without.y_train)
    assert without.inputs_test is None


def test_an_uploaded_npz_keeps_its_images(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, **_arrays())
    data = load_file_bytes(buffer.getvalue(), "acts.npz")
    assert data.inputs_test is not None and len(data.inputs_test) == data.n_test


def test_images_that_do_not_match_x_are_a_clear_error(tmp_path: Path) -> None:
    arrays = _arrays()
    path = _save(tmp_path / "bad.npz", **{**arrays, "images": arrays["images"][:-1]})
    with pytest.raises(DataError, match="images has 39 images but x has 40 rows"):
        load_dataset(str(path))


def test_flat_images_must_be_square(tmp_path: Path) -> None:
    arrays = _arrays()
    flat_square = {**arrays, "images": np.zeros((40, 16), np.float32)}
    assert load_dataset(str(_save(tmp_path / "ok.npz", **flat_square))).input_shape == (4, 4)
    flat_odd = {**arrays, "images": np.zeros((40, 15), np.float32)}
    with pytest.raises(DataError, match=r"\[samples, height, width\]"):
        load_dataset(str(_save(tmp_path / "odd.npz", **flat_odd)))
