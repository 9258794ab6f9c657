"""MNIST-format data as a source: find the folder (argument, env var, cache, download), read it.

Where ``mnist`` looks, in order: ``mnist:FOLDER``; ``$SAE_EXPLORER_MNIST_DIR``; the cache folder
(``$SAE_EXPLORER_CACHE`` or ``~/.cache/sae-explorer``, then ``/mnist``); a download into that cache
when ``download=True``. ``fashion-mnist`` likewise with ``$SAE_EXPLORER_FASHION_MNIST_DIR``.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np

from sae_core.data.mnist.download import default_cache_dir, download_mnist
from sae_core.data.mnist.idx import (
    ImageSet,
    find_idx_files,
    is_folder,
    is_idx_images_file,
    labels_beside,
    path_exists,
    read_image_set,
    read_mnist_folder,
)
from sae_core.data.preprocessing import RawData
from sae_core.errors import DataError

ENV_FOLDERS = {"mnist": "SAE_EXPLORER_MNIST_DIR", "fashion-mnist": "SAE_EXPLORER_FASHION_MNIST_DIR"}
TITLES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}


def mnist_folder(
    kind: str,
    folder: str | os.PathLike[str] | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    download: bool = False,
) -> Path:
    """The folder ``kind`` loads from, downloading into the cache if asked and needed."""
    if folder:
        return Path(folder).expanduser()
    configured = os.environ.get(ENV_FOLDERS[kind])
    if configured:
        return Path(configured).expanduser()
    cached = (Path(cache_dir).expanduser() if cache_dir else default_cache_dir()) / kind
    if is_folder(cached) and find_idx_files(cached):
        return cached
    if download:
        return download_mnist(kind, cache_dir)
    raise DataError(
        f"{TITLES[kind]} is not on this machine: use {kind}:FOLDER for a folder of its IDX files, "
        f"set {ENV_FOLDERS[kind]}, or pass download=True to fetch it into {cached} (needs internet)"
    )


def raw_from_idx(path: str | os.PathLike[str], title: str = "IDX data") -> RawData:
    """Read an MNIST-format folder, or one images file with its labels beside it.

    With train and test files the official split is kept; with one pair the common code splits.
    Raw values stay uint8 0..255 (``value_range``), so ``scale01`` divides by 255.
    """
    path = Path(path).expanduser()
    train, test = _read_sets(path)
    first = train or test
    assert first is not None  # read_mnist_folder raises when both are missing
    which = "test" if test is not None else "train"
    raw = RawData(
        x=_flat(first),
        y=first.labels,
        image_shape=_image_shape(first),
        value_range=(0.0, 255.0) if first.images.dtype == np.uint8 else None,
        description=f"{title}: {len(first.labels)} images ({which} files only, split here)",
    )
    if train is None or test is None:
        return raw
    if train.images.shape[1:] != test.images.shape[1:]:
        raise DataError(
            f"{path}: train images are {train.images.shape[1:]} but test images are "
            f"{test.images.shape[1:]}: the files come from different data sets"
        )
    what = f"{title}: {len(train.labels)} train + {len(test.labels)} test images (official split)"
    return replace(raw, x_test=_flat(test), y_test=test.labels, description=what)


def _read_sets(path: Path) -> tuple[ImageSet | None, ImageSet | None]:
    if is_folder(path):  # DataError, not OSError, for a name too long or unreadable
        return read_mnist_folder(path)
    if is_idx_images_file(path):
        return read_image_set(path, labels_beside(path)), None
    if not path_exists(path):
        raise DataError(f"{path} does not exist: name a folder of MNIST-format IDX files")
    raise DataError(f"{path} is not an IDX images file: name a *-images-idx3-ubyte[.gz] file")


def _flat(images: ImageSet) -> np.ndarray:
    return images.images.reshape(len(images.images), -1)


def _image_shape(images: ImageSet) -> tuple[int, int] | None:
    shape = images.images.shape
    return (int(shape[1]), int(shape[2])) if len(shape) == 3 else None
