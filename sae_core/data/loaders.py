"""One loader per data source: options in, :class:`RawData` in the source's units out.

:mod:`sae_core.data.registry` names each source's loader beside its description and options.

Splitting, subsampling and scaling are common to all and happen afterwards in
:mod:`sae_core.data`; a loader splits only when its own statistics must come from training rows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from sae_core.data.files.tabular import Table, parse_table, read_table_file
from sae_core.data.mnist.folder import TITLES, mnist_folder, raw_from_idx
from sae_core.data.mnist.idx import read_idx
from sae_core.data.patches import PatchSpec, prepare_patches
from sae_core.data.preprocessing import (
    STREAM_PATCHES,
    STREAM_SYNTHETIC,
    RawData,
    rng_for,
    split_indices,
    subsample_indices,
)
from sae_core.data.synthetic import SyntheticSpec, generate_synthetic
from sae_core.errors import ConfigError, DataError


@dataclass(frozen=True, kw_only=True)
class SourceRequest:
    """What a loader gets: the spec's path, checked options, and the common settings."""

    path: str | None
    options: dict[str, Any]
    seed: int
    test_fraction: float
    max_samples: int | None


@functools.lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x, y = bunch.data.astype(np.uint8), bunch.target.astype(np.int64)
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


def raw_digits(request: SourceRequest) -> RawData:
    x, y = _digits_arrays()
    return RawData(
        x=x,
        y=y,
        image_shape=(8, 8),
        value_range=(0.0, 16.0),
        description="scikit-learn digits: 1797 images, 8×8, values 0–16",
    )


def raw_patches(request: SourceRequest) -> RawData:
    spec = PatchSpec(**request.options)
    if request.max_samples is not None and request.max_samples < spec.n_patches:
        spec = PatchSpec(**{**request.options, "n_patches": request.max_samples})
    train, test = split_indices(spec.n_patches, request.test_fraction, request.seed)
    x_train, x_test, base, what = prepare_patches(
        spec, train, test, rng_for(request.seed, STREAM_PATCHES)
    )
    shape = None if spec.whitening == "pca" else (spec.patch_size, spec.patch_size)
    return RawData(x=x_train, x_test=x_test, image_shape=shape, base=base, description=what)


def raw_synthetic(request: SourceRequest) -> RawData:
    spec = SyntheticSpec(**request.options)
    data = generate_synthetic(spec, rng_for(request.seed, STREAM_SYNTHETIC))
    structure = "".join(
        text
        for on, text in (
            (spec.zipf > 0, f", Zipf exponent {spec.zipf:g}"),
            (spec.correlation > 0, f", pairs correlated ρ={spec.correlation:g}"),
            (spec.hierarchy > 0, f", {spec.hierarchy} parents with children"),
        )
        if on
    )
    what = (
        f"synthetic: {spec.n_samples} samples of {spec.n_features} unit features in "
        f"{spec.d_in} dimensions, p_fire={spec.firing_probability:.3g}{structure}, "
        f"{spec.magnitude} magnitudes, noise {spec.noise:g}, feature seed {spec.feature_seed}"
    )
    return RawData(
        x=data.x,
        features=data.features,
        feature_activity=data.active,
        feature_children=data.children or None,
        description=what,
    )


def raw_mnist(kind: str) -> Callable[[SourceRequest], RawData]:
    """The loader of ``kind`` ("mnist" or "fashion-mnist"): its folder, cache or download."""

    def load(request: SourceRequest) -> RawData:
        download = request.options.get("download", False)
        if not isinstance(download, bool):
            raise ConfigError(f"download={download!r} is invalid: give true or false")
        folder = mnist_folder(
            kind, request.path, cache_dir=request.options.get("cache_dir"), download=download
        )
        return raw_from_idx(folder, TITLES[kind])

    return load


def raw_idx(request: SourceRequest) -> RawData:
    assert request.path is not None  # its registry entry requires a path
    return raw_from_idx(request.path, f"IDX data from {request.path}")


def raw_file(request: SourceRequest) -> RawData:
    assert request.path is not None  # its registry entry requires a path
    from sae_core.data.files.saved import read_saved

    saved = read_saved(request.path)  # `data SPEC --save F.npz`: its own split, kept
    if saved is not None:
        return saved
    return raw_from_table(read_table_file(request.path, **request.options), request.path, request)


def raw_from_upload(
    data: bytes, name: str, options: dict[str, Any], request: SourceRequest
) -> RawData:
    """An uploaded .csv/.npy/.npz: a saved data set (`data SPEC --save`) keeps its split."""
    from sae_core.data.files.saved import read_saved_bytes

    saved = read_saved_bytes(data, name)
    return saved or raw_from_table(parse_table(data, name, **options), name, request)


def raw_from_table(table: Table, name: str, request: SourceRequest | None = None) -> RawData:
    """A table as RawData; with ``images`` (and a request) split here, images alongside rows."""
    rows, cols = table.x.shape
    labels = f", labels {int(table.y.min())}..{int(table.y.max())}" if table.y is not None else ""
    pictures = f", with {table.images_shape} input images" if table.images_shape else ""
    raw = RawData(
        x=table.x,
        y=table.y,
        image_shape=table.image_shape,
        notes=table.notes,
        notices=table.notices,
        description=f"{Path(name).name}: {rows} rows × {cols} columns{labels}{pictures}",
        inputs=table.images,
        input_shape=table.images_shape,
    )
    return raw if table.images is None or request is None else split_with_inputs(raw, request)


def split_with_inputs(raw: RawData, request: SourceRequest) -> RawData:
    """Subsample and split as the common code would (same seeds, same order), inputs included."""
    assert raw.inputs is not None
    keep = subsample_indices(len(raw.x), request.max_samples, request.seed)
    if keep is None:
        keep = np.arange(len(raw.x))
    y = None if raw.y is None else raw.y[keep]
    train, test = split_indices(len(keep), request.test_fraction, request.seed, y)
    return replace(
        raw,
        x=raw.x[keep][train],
        x_test=raw.x[keep][test],
        y=None if y is None else y[train],
        y_test=None if y is None else y[test],
        inputs=raw.inputs[keep][train],
        inputs_test=raw.inputs[keep][test],
    )


def raw_from_idx_bytes(data: bytes, name: str) -> RawData:
    images = read_idx(data, name=name)
    if images.ndim not in (2, 3):
        raise DataError(f"{name} holds a {images.ndim}-D array: expected [n, height, width]")
    shape = (int(images.shape[1]), int(images.shape[2])) if images.ndim == 3 else None
    return RawData(
        x=images.reshape(len(images), -1),
        image_shape=shape,
        value_range=(0.0, 255.0) if images.dtype == np.uint8 else None,
        description=f"{name}: {len(images)} unlabelled IDX images",
    )
