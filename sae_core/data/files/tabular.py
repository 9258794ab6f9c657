"""User files -> a checked numeric matrix: CSV, NPY or NPZ, from a path or uploaded bytes.

Every problem a user's file can have becomes a :class:`DataError` that says what is wrong, where
(line and column for CSV, index for arrays) and what to do. Values are kept in the file's units.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from sae_core.data.files.checks import (
    check_finite,
    check_matrix_shape,
    resolve_column,
    to_labels,
)
from sae_core.data.files.csvfile import CsvTable, parse_csv
from sae_core.data.files.images import check_images
from sae_core.data.files.label_names import is_no_label
from sae_core.data.files.npyfile import read_npy, read_npz
from sae_core.errors import ConfigError, DataError

MAX_FILE_BYTES = 200 * 1024**2
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
FILE_SUFFIXES = (*CSV_SUFFIXES, ".npy", ".npz")

LabelColumn = int | str | None


@dataclass(frozen=True, kw_only=True)
class Table:
    """A user's data: x [n, d_in] float, y [n] int64 or None, and what the user should know
    (``notes``) or act on (``notices``: a column taken as the labels because of its name)."""

    x: np.ndarray
    y: np.ndarray | None
    image_shape: tuple[int, int] | None
    notes: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    images: np.ndarray | None = None  # [n, h·w] inputs behind x's rows (an .npz's images)
    images_shape: tuple[int, int] | None = None


def read_table_file(path: str | os.PathLike[str], **options: object) -> Table:
    """Read a .csv/.npy/.npz file at ``path`` (options as for :func:`parse_table`)."""
    path = Path(path).expanduser()
    check_suffix(path.name)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DataError(_too_large(str(path), size))
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_table(data, str(path), **options)  # type: ignore[arg-type]


def parse_table(
    data: bytes,
    filename: str,
    *,
    label_column: LabelColumn = None,
    image_shape: tuple[int, int] | str | None = None,
    has_header: bool | None = None,
) -> Table:
    """Parse the bytes of a file named ``filename`` (its suffix decides the format).

    Args:
        label_column: None, a 0-based column index (negative counts from the end), a header
            name, ``"first"`` or ``"last"``; its values become integer labels. None takes a CSV
            column whose header is label, y, target or class (any case) as the labels, with a
            notice; ``"none"`` keeps every column as a feature.
        image_shape: ``(height, width)``, ``"HxW"`` or ``"auto"`` (square when d_in is a square).
        has_header: CSV only; None detects a header row (a non-numeric feature cell in row 1, or
            the label column's name there; see csvfiles._guess_header).
    """
    check_suffix(filename)
    _check_label_option(label_column)
    auto_label = label_column is None
    if is_no_label(label_column):
        label_column = None
    shape_option = parse_image_shape(image_shape)
    if has_header not in (None, True, False):
        raise ConfigError(f"has_header={has_header!r} is invalid: give true, false or leave unset")
    if len(data) > MAX_FILE_BYTES:
        raise DataError(_too_large(filename, len(data)))
    if not data.strip():
        raise DataError(f"{filename} is empty: choose a file with data in it")
    suffix = Path(filename).suffix.lower()
    if suffix in CSV_SUFFIXES:
        table = _from_csv(
            parse_csv(data, filename, label_column, has_header, auto_label=auto_label)
        )
    elif suffix == ".npy":
        table = _from_array(read_npy(data, filename), None, filename, label_column, ())
    else:
        arrays = read_npz(data, filename)
        notes = (f"ignored arrays {', '.join(arrays.ignored)}",) if arrays.ignored else ()
        table = _from_array(arrays.x, arrays.y, filename, label_column, notes)
        if arrays.images is not None:
            images, images_shape = check_images(arrays.images, len(table.x), filename)
            table = replace(table, images=images, images_shape=images_shape)
    return _with_image_shape(table, shape_option, filename)


def check_suffix(filename: str) -> None:
    suffix = Path(filename).suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise DataError(
            f"{filename}: unsupported file type {suffix or '(none)'!r}: use {', '.join(FILE_SUFFIXES)}"
        )


def _too_large(name: str, size: int) -> str:
    return (
        f"{name} is {size / 1024**2:.0f} MB, more than the {MAX_FILE_BYTES // 1024**2} MB allowed: "
        "subsample it first, or train on it with the command line, which streams a .npy from "
        "disk at any size: python -m sae_core train --data FILE.npy (save it with np.save)"
    )


def _check_label_option(label_column: object) -> None:
    if label_column is None or isinstance(label_column, str):
        return
    if not isinstance(label_column, int) or isinstance(label_column, bool):
        raise ConfigError(
            f"label_column={label_column!r} is invalid: give a column index, a header name, "
            "'last', 'none', or leave it unset"
        )


def parse_image_shape(value: object) -> tuple[int, int] | str | None:
    """``(28, 28)``, ``"28x28"``, ``"28×28"`` -> ``(28, 28)``; ``"auto"`` and None pass through."""
    if value is None or value == "auto":
        return value
    parts: list[Any]
    if isinstance(value, str):
        parts = value.lower().replace("×", "x").replace(",", "x").split("x")
    elif isinstance(value, (tuple, list)):
        parts = list(value)
    else:
        parts = []
    try:
        dims = tuple(int(str(p).strip()) for p in parts)
    except ValueError:
        dims = ()
    if len(dims) != 2 or min(dims) < 1 or any(isinstance(p, (bool, float)) for p in parts):
        raise ConfigError(f"image_shape={value!r} is invalid: give height x width, e.g. 28x28")
    return (dims[0], dims[1])


def _from_csv(csv: CsvTable) -> Table:
    return Table(x=csv.x, y=csv.y, image_shape=None, notes=csv.notes, notices=csv.notices)


def _from_array(
    array: np.ndarray,
    y: np.ndarray | None,
    name: str,
    label_column: LabelColumn,
    notes: tuple[str, ...],
) -> Table:
    """Check a loaded array and turn it into a Table: [n, d] as is, [n, h, w] flattened."""
    if array.dtype.kind not in "biuf":
        raise DataError(f"{name} holds {array.dtype} values: save a numeric (int or float) array")
    image_shape = None
    if array.ndim == 3:
        if label_column is not None:
            raise DataError(
                f"{name} is a 3-D image stack, which has no label column: save labels as y in "
                "an .npz (np.savez(path, x=images, y=labels))"
            )
        image_shape = (int(array.shape[1]), int(array.shape[2]))
        array = array.reshape(array.shape[0], -1)
    if array.ndim != 2:
        raise DataError(
            f"{name} holds an array of shape {array.shape}: need a 2-D [samples, features] matrix "
            "(or a 3-D [samples, height, width] image stack)"
        )
    check_matrix_shape(array.shape, name)
    if label_column is not None:
        index = resolve_column(label_column, array.shape[1], None, name)
        y = array[:, index].astype(np.float64)
        array = np.delete(array, index, axis=1)
        check_matrix_shape(array.shape, name)
    x = np.asarray(array, dtype=np.float64 if array.dtype.itemsize > 4 else np.float32)
    check_finite(x, name)
    labels = None if y is None else to_labels(np.asarray(y), name, len(x))
    return Table(x=x, y=labels, image_shape=image_shape, notes=notes)


def _with_image_shape(table: Table, option: tuple[int, int] | str | None, name: str) -> Table:
    d_in = table.x.shape[1]
    shape = table.image_shape
    if option == "auto":
        side = math.isqrt(d_in)
        shape = shape or ((side, side) if side * side == d_in and side >= 2 else None)
    elif isinstance(option, tuple):
        if option[0] * option[1] != d_in:
            raise DataError(
                f"image_shape {option[0]}x{option[1]} has {option[0] * option[1]} pixels but "
                f"{name} has {d_in} feature columns: give a shape whose product is {d_in}"
            )
        shape = option
    return replace(table, image_shape=shape)
