"""A data set saved exactly as the trainer sees it (``python -m sae_core data SPEC --save F.npz``),
and read back by the ``file`` source with the same split, so training on it gives the same
numbers as training on the source.

Layout (one ``.npz``, arrays only, no pickles):

- ``x`` [n_train + n_test, d_in] float32: the training rows, then the held-out rows, after the
  source's preprocessing (so the file source's default, none, keeps them as they are);
- ``split`` [n] uint8: 0 for a training row, 1 for a held-out row (the marker of this layout);
- ``y`` [n] int64 when labelled; ``image_shape`` [2] int64 when rows are images (height, width);
- ``features`` [n_features, d_in] float32 when the ground-truth directions are known;
- ``images`` [n, height, width] float32 when each row has an input image behind it (a network's
  activations: the picture the network saw), in the order of ``x``.

Not saved: which features fire in each sample, so per-feature F1 is not available on the file.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from sae_core.data.dataset import Dataset
from sae_core.data.files.images import check_images
from sae_core.data.preprocessing import RawData
from sae_core.errors import DataError

SPLIT_KEY = "split"


def dataset_arrays(dataset: Dataset) -> dict[str, np.ndarray]:
    """The arrays of the layout above for ``dataset`` (train rows first, then test)."""
    arrays: dict[str, np.ndarray] = {
        "x": np.concatenate([dataset.x_train, dataset.x_test]).astype(np.float32),
        SPLIT_KEY: np.repeat(np.array([0, 1], np.uint8), [dataset.n_train, dataset.n_test]),
    }
    if dataset.y_train is not None and dataset.y_test is not None:
        arrays["y"] = np.concatenate([dataset.y_train, dataset.y_test]).astype(np.int64)
    if dataset.image_shape is not None:
        arrays["image_shape"] = np.asarray(dataset.image_shape, np.int64)
    if dataset.features is not None:
        arrays["features"] = np.asarray(dataset.features, np.float32)
    if dataset.inputs_train is not None and dataset.inputs_test is not None:
        images = np.concatenate([dataset.inputs_train, dataset.inputs_test]).astype(np.float32)
        shape = dataset.input_shape
        arrays["images"] = images if shape is None else images.reshape(len(images), *shape)
    return arrays


def save_dataset(dataset: Dataset, path: str | Path) -> Path:
    """Write ``dataset`` to ``path`` (.npz) in the layout above; returns the path written."""
    path = Path(path).expanduser()
    if path.suffix != ".npz":
        raise DataError(f"{path.name}: save the data set as a .npz file (e.g. data.npz)")
    arrays: dict[str, Any] = dataset_arrays(dataset)
    with path.open("wb") as handle:
        np.savez_compressed(handle, **arrays)
    return path


def read_saved(path: str | Path) -> RawData | None:
    """The file's data with its own split when ``path`` is an .npz in this layout, else None."""
    path = Path(path).expanduser()
    if path.suffix != ".npz" or not path.is_file():
        return None
    return read_saved_bytes(path.read_bytes(), path.name)


def read_saved_bytes(data: bytes, name: str) -> RawData | None:
    """:func:`read_saved` for an upload's bytes (``name``: its file name)."""
    if not name.endswith(".npz"):
        return None
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            if SPLIT_KEY not in npz.files or "x" not in npz.files:
                return None
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, EOFError, ValueError, zipfile.BadZipFile):
        return None  # not a readable archive: the table reader gives the clear error
    return _raw(arrays, name)


def _raw(arrays: dict[str, np.ndarray], name: str) -> RawData:
    split = arrays[SPLIT_KEY]
    x = np.asarray(arrays["x"], np.float32)
    if split.shape != (len(x),) or not np.isin(split, (0, 1)).all() or x.ndim != 2:
        raise DataError(f"{name}: 'split' must hold one 0 (train) or 1 (test) per row of a 2-D 'x'")
    train, test = split == 0, split == 1
    y = arrays.get("y")
    shape = arrays.get("image_shape")
    images, images_shape = None, None
    if "images" in arrays:
        images, images_shape = check_images(arrays["images"], len(x), name)
    return RawData(
        x=np.ascontiguousarray(x[train]),
        x_test=np.ascontiguousarray(x[test]),
        y=None if y is None else y[train].astype(np.int64),
        y_test=None if y is None else y[test].astype(np.int64),
        image_shape=None if shape is None else (int(shape[0]), int(shape[1])),
        features=arrays.get("features"),
        description=f"{name}: saved data set, {int(train.sum())} train / "
        f"{int(test.sum())} test rows as the trainer saw them",
        inputs=None if images is None else np.ascontiguousarray(images[train]),
        inputs_test=None if images is None else np.ascontiguousarray(images[test]),
        input_shape=images_shape,
    )
