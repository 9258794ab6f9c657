"""Checks shared by the CSV and array readers: shape limits, label columns, finiteness, labels."""

from __future__ import annotations

import numpy as np

from sae_core.config import MAX_D_IN
from sae_core.errors import DataError

MAX_COLUMNS = MAX_D_IN


def check_matrix_shape(shape: tuple[int, ...], name: str) -> None:
    """At least 2 rows, 1 to MAX_COLUMNS columns."""
    if shape[0] < 2:
        raise DataError(f"{name} has {shape[0]} row(s): need at least 2 samples")
    if shape[1] < 1:
        raise DataError(f"{name} has no feature columns: need at least one")
    if shape[1] > MAX_COLUMNS:
        raise DataError(
            f"{name} has {shape[1]} columns, more than the {MAX_COLUMNS} allowed: reduce the "
            "dimension first (e.g. PCA or cropping)"
        )


def resolve_column(
    label_column: int | str, n_columns: int, names: tuple[str, ...] | None, name: str
) -> int:
    """A label_column option -> a 0-based column index (DataError if it names nothing)."""
    if isinstance(label_column, str):
        if label_column in ("first", "last"):
            return 0 if label_column == "first" else n_columns - 1
        if names is not None and label_column in names:
            return names.index(label_column)
        if label_column.lstrip("-").isdigit():
            label_column = int(label_column)
        elif names is None:
            raise DataError(
                f"label_column={label_column!r} names a column but {name} has no header row: "
                "give the column's 0-based index instead"
            )
        else:
            shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
            raise DataError(f"{name} has no column {label_column!r}: its columns are {shown}")
    if not -n_columns <= label_column < n_columns:
        raise DataError(
            f"label_column={label_column} is out of range: {name} has {n_columns} columns "
            f"(0..{n_columns - 1}, or negative from the end)"
        )
    return label_column % n_columns


def check_finite(x: np.ndarray, name: str, where: str | None = None) -> None:
    """DataError saying how many values are NaN/inf and where the first one is."""
    bad = ~np.isfinite(x)
    count = int(bad.sum())
    if count:
        row, col = (int(i) for i in np.argwhere(bad)[0])
        place = where or f"index [{row}, {col}]"
        raise DataError(
            f"{name} has {count} NaN or infinite value(s), the first at {place}: fill or remove "
            "them before loading"
        )


def to_labels(
    values: np.ndarray, name: str, n: int, line_numbers: np.ndarray | None = None
) -> np.ndarray:
    """[n] numeric label values -> int64, refusing non-integers (they are not classes).

    ``line_numbers`` [n] (CSV) makes messages say "line L" instead of "index i".
    """
    values = np.asarray(values)
    if values.ndim != 1 or len(values) != n:
        raise DataError(f"{name}: labels have shape {values.shape} but there are {n} samples")
    if values.dtype.kind not in "biuf":
        raise DataError(f"{name}: labels are {values.dtype}, not numbers: save integer labels")
    as_float = values.astype(np.float64)
    integral = np.isfinite(as_float) & (as_float == np.round(as_float))
    if not integral.all():
        first = int(np.flatnonzero(~integral)[0])
        place = f"index {first}" if line_numbers is None else f"line {line_numbers[first]}"
        raise DataError(
            f"{name}: label {float(as_float[first])!r} at {place} is not an integer class number "
            f"({int((~integral).sum())} such labels): choose another label column or none"
        )
    return as_float.astype(np.int64)
