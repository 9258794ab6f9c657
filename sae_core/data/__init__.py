"""Data sources behind one registry (:mod:`sae_core.data.registry`), one spec syntax, and one
``load_dataset``.

Specs: ``digits`` | ``patches`` | ``synthetic`` | ``mnist[:FOLDER]`` | ``fashion-mnist[:FOLDER]`` |
``PATH`` (a .csv/.npy/.npz file, an ``*-images-idx3-ubyte[.gz]`` file, or an MNIST-format folder).
Every source returns :class:`~sae_core.data.dataset.Dataset`: float32 [n, d_in] splits with the
preprocessing recorded so ``dataset.preprocessing.to_raw`` shows values in original units.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sae_core.data.dataset import Dataset
from sae_core.data.files.tabular import FILE_SUFFIXES
from sae_core.data.loaders import SourceRequest, raw_from_idx_bytes, raw_from_upload
from sae_core.data.mnist.download import download_mnist
from sae_core.data.mnist.idx import is_folder, is_idx_images_file, path_exists
from sae_core.data.preprocessing import (
    RawData,
    apply_preprocess,
    check_split_options,
    parse_preprocess,
    split_indices,
    subsample_indices,
)
from sae_core.data.registry import SOURCES, DataSource, SourceOption, keyword_defaults
from sae_core.errors import ConfigError, DataError

__all__ = [
    "SOURCES",
    "DataSource",
    "DataSpec",
    "SourceOption",
    "canonical_options",
    "download_mnist",
    "load_dataset",
    "load_file_bytes",
    "option_default",
    "parse_data_spec",
]


@dataclass(frozen=True)
class DataSpec:
    """A parsed ``--data`` value: a source name and, for folder/file sources, a path."""

    source: str
    path: str | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ConfigError(f"unknown data source {self.source!r}: choose {', '.join(SOURCES)}")
        rule = SOURCES[self.source].path
        if rule == "required" and not self.path:
            raise ConfigError(f"data source {self.source!r} needs a path: write {self.source}:PATH")
        if rule == "none" and self.path:
            raise ConfigError(
                f"data source {self.source!r} takes no path: write just {self.source}"
            )

    def __str__(self) -> str:
        return self.source if self.path is None else f"{self.source}:{self.path}"


def parse_data_spec(spec: str) -> DataSpec:
    """``"digits"``, ``"mnist:/data/mnist"``, ``"x.csv"``, ... -> :class:`DataSpec`."""
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError(f"data={spec!r} is invalid: {_SPEC_HELP}")
    text = spec.strip()
    named = SOURCES.get(text.lower())
    if named is not None and named.path != "required":
        return DataSpec(source=named.name)
    prefix, colon, rest = text.partition(":")
    if colon and prefix.lower() in SOURCES and rest.strip():
        source = SOURCES[prefix.lower()]
        if source.path == "required":  # a path source: the path says which (file or idx)
            return _spec_for_path(rest.strip(), source.name)
        return DataSpec(source=source.name, path=rest.strip())
    return _spec_for_path(text, None)


_SPEC_HELP = (
    "choose "
    + ", ".join(
        s.name + ("[:FOLDER]" if s.path == "optional" else "")
        for s in SOURCES.values()
        if s.path != "required"
    )
    + ", or a path to a .csv/.npy/.npz file or an MNIST-format folder"
)


def _spec_for_path(text: str, source: str | None) -> DataSpec:
    path = Path(text).expanduser()
    if is_folder(path) or is_idx_images_file(path):  # DataError for unreadable paths
        kind = "idx"
    elif path.suffix.lower() in FILE_SUFFIXES:
        kind = "file"
    elif path_exists(path):
        raise DataError(f"{text}: unsupported file type: use {', '.join(FILE_SUFFIXES)}, or IDX")
    else:
        raise DataError(f"unknown data {text!r} (no such source, file or folder): {_SPEC_HELP}")
    if source is not None and source != kind:
        raise DataError(f"{text} is not {source} data: write it as {kind}:{text} or just {text}")
    if not path_exists(path):
        raise DataError(f"{text} does not exist: check the path")
    return DataSpec(source=kind, path=str(path))


def load_dataset(
    spec: str | DataSpec,
    *,
    test_fraction: float = 0.2,
    seed: int = 0,
    max_samples: int | None = None,
    preprocess: str | None = None,
    **source_options: Any,
) -> Dataset:
    """Load any source as a :class:`Dataset` (train/test split, preprocessing recorded).

    Args:
        spec: a spec string (see module docstring) or a parsed :class:`DataSpec`.
        test_fraction: held-out share when the source has no official split.
        seed: drives the split, subsampling, patch positions and synthetic samples.
        max_samples: cap on train + test samples, chosen deterministically from ``seed``.
        preprocess: None for the source's default, or none | scale01 | standardise | centre
            (chain with ``+``); statistics come from the training split.
        **source_options: see ``SOURCES[name].options``; None means "the default".
    """
    data_spec = spec if isinstance(spec, DataSpec) else parse_data_spec(spec)
    source = SOURCES[data_spec.source]
    check_split_options(test_fraction, seed, max_samples)
    options = _check_options(source, source_options)
    steps = parse_preprocess(preprocess if preprocess is not None else source.default_preprocess)
    request = SourceRequest(
        path=data_spec.path,
        options=options,
        seed=seed,
        test_fraction=test_fraction,
        max_samples=max_samples,
    )
    raw = source.loader(request)
    return _finish(str(data_spec), raw, steps, request)


def load_file_bytes(
    data: bytes,
    filename: str,
    *,
    test_fraction: float = 0.2,
    seed: int = 0,
    max_samples: int | None = None,
    preprocess: str | None = None,
    **options: Any,
) -> Dataset:
    """Load an uploaded file (CSV, NPY, NPZ, or an unlabelled IDX images file) from its bytes."""
    check_split_options(test_fraction, seed, max_samples)
    source = SOURCES["file"]
    checked = _check_options(source, options)
    steps = parse_preprocess(preprocess if preprocess is not None else source.default_preprocess)
    name = Path(filename).name or "upload"
    request = SourceRequest(
        path=None, options=checked, seed=seed, test_fraction=test_fraction, max_samples=max_samples
    )
    if is_idx_images_file(name):
        if checked:
            raise ConfigError(f"{name} is an IDX file: options {', '.join(checked)} do not apply")
        raw = raw_from_idx_bytes(data, name)
        own = SOURCES["idx"].default_preprocess
        steps = parse_preprocess(preprocess if preprocess is not None else own)
    else:
        raw = raw_from_upload(data, name, checked, request)
    return _finish(f"upload:{name}", raw, steps, request)


def _check_options(source: DataSource, options: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(options) - set(source.options))
    if unknown:
        accepted = f"it accepts {', '.join(source.options)}" if source.options else "it takes none"
        raise ConfigError(
            f"option(s) {', '.join(unknown)} do not apply to data source {source.name!r}: {accepted}"
        )
    return {key: value for key, value in options.items() if value is not None}


_STEP_WORDS = {
    "scale01": "scaled to [0, 1]",
    "standardise": "standardised per dimension",
    "centre": "centred per dimension",
}


def _finish(name: str, raw: RawData, steps: tuple[str, ...], request: SourceRequest) -> Dataset:
    """Subsample, split (unless the source did), preprocess, and describe."""
    if raw.x_test is None:
        keep = subsample_indices(len(raw.x), request.max_samples, request.seed)
        x, y = _take(raw.x, keep), _take(raw.y, keep)
        train, test = split_indices(len(x), request.test_fraction, request.seed, y)
        x_train, x_test, y_train, y_test = x[train], x[test], _take(y, train), _take(y, test)
        activity = _take(_take(raw.feature_activity, keep), test)  # the test split's only
        split = f"{len(train)} train / {len(test)} test (seed {request.seed})"
    else:
        x_train, y_train, x_test, y_test = raw.x, raw.y, raw.x_test, raw.y_test
        activity = None  # no source both splits itself and knows its features
        if request.max_samples is not None and len(x_train) + len(x_test) > request.max_samples:
            x_train, y_train, x_test, y_test = _shrink(raw, request.max_samples, request.seed)
        split = f"{len(x_train)} train / {len(x_test)} test"
    x_train, x_test, record = apply_preprocess(
        x_train, x_test, steps, value_range=raw.value_range, base=raw.base
    )
    words = ", ".join(_STEP_WORDS[s] for s in steps) or "values as loaded"
    description = "; ".join((raw.description, split, words, *raw.notes, *raw.notices))
    return Dataset(
        name=name,
        x_train=x_train,
        x_test=x_test,
        y_train=y_train,
        y_test=y_test,
        image_shape=raw.image_shape,
        features=raw.features,
        feature_activity=activity,
        feature_children=raw.feature_children,
        preprocessing=record,
        description=description,
        notices=raw.notices,
        inputs_train=raw.inputs,  # sources with inputs split (and subsample) them themselves
        inputs_test=raw.inputs_test,
        input_shape=raw.input_shape,
        readout=raw.readout,
    )


def _take(array: np.ndarray | None, index: np.ndarray | None) -> Any:
    if array is None or index is None:
        return array
    return array[index]


def _shrink(raw: RawData, max_samples: int, seed: int) -> tuple[Any, Any, Any, Any]:
    """Keep the source's split but only ``max_samples`` rows, in proportion to each side."""
    assert raw.x_test is not None
    n_train, n_test = len(raw.x), len(raw.x_test)
    keep_train = min(max(round(max_samples * n_train / (n_train + n_test)), 1), max_samples - 1)
    train = subsample_indices(n_train, keep_train, seed)
    test = subsample_indices(n_test, max_samples - keep_train, seed)
    return (
        _take(raw.x, train),
        _take(raw.y, train),
        _take(raw.x_test, test),
        _take(raw.y_test, test),
    )


# load_dataset's own keywords, shared by every source
_COMMON_DEFAULTS: dict[str, Any] = keyword_defaults(load_dataset)


def option_default(source: str, option: str) -> Any:
    """What ``load_dataset(source, ...)`` uses for ``option`` when it is not given.

    A source option's default is read from the spec or function it feeds (``("synthetic",
    "n_samples")`` -> 8192; ``mean_active`` -> 4, its value while ``p_fire`` is unset); the
    common keywords (``seed``, ``test_fraction``, ...) from ``load_dataset`` itself.
    """
    if option in _COMMON_DEFAULTS:
        return _COMMON_DEFAULTS[option]
    if source not in SOURCES:
        raise KeyError(f"unknown data source {source!r}: choose {', '.join(SOURCES)}")
    return SOURCES[source].option(option).default


def canonical_options(source: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` without the values ``load_dataset`` would use anyway, numbers in one form.

    Two spellings of one data set-up (``{"mean_active": 3}`` from a scenario, ``{"mean_active":
    3.0, "noise": 0.0, "seed": 0}`` from the Train page) become equal, so the app can tell that a
    shown model was trained on the data the controls describe.
    """
    entry = SOURCES.get(source)
    defaults = {**_COMMON_DEFAULTS, **(entry.defaults(options) if entry is not None else {})}
    canonical: dict[str, Any] = {}
    for name, value in options.items():
        value = _plain(value)
        if name in defaults and _plain(defaults[name]) == value:
            continue
        canonical[name] = value
    return canonical


def _plain(value: Any) -> Any:
    """3.0 -> 3 (whole floats as ints; bools and others unchanged)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
