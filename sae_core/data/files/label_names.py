"""A CSV column named like a label is the label, unless the user says otherwise.

A header ``a,b,label`` with no ``label_column`` given used to train on the labels as a feature:
an SAE then spends latents on the class number. Such a column is now taken as the labels, and
a notice says so and how to choose otherwise (``label_column=N|NAME``, or ``"none"`` to keep it
as a feature).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sae_core.errors import DataError

LABEL_NAMES = ("label", "y", "target", "class")
NO_LABEL = "none"  # label_column="none": no label column, every column is a feature
_CHOOSE = (
    "set label_column to choose another column, or label_column=none to train on it as a feature"
)


def is_no_label(label_column: object) -> bool:
    """True for ``label_column="none"`` (any case): the user wants no label column."""
    return isinstance(label_column, str) and label_column.strip().lower() == NO_LABEL


def label_named_columns(names: tuple[str, ...]) -> list[int]:
    """0-based indices of the header cells named like a label (case and quotes ignored)."""
    return [i for i, cell in enumerate(names) if cell.strip().strip('"').lower() in LABEL_NAMES]


def label_by_name(
    names: tuple[str, ...],
    read: Callable[[int], tuple[np.ndarray, tuple[str, ...]]],
) -> tuple[int | None, np.ndarray | None, tuple[str, ...], tuple[str, ...]]:
    """The first label-named column as labels: (index, y [n] int64, notes, notices).

    ``read(column)`` reads a column's labels or raises DataError; a label-named column that is
    not labels (a "target" holding 0.37) stays a feature, with a notice saying why. The only
    column of a file is never taken: no feature would remain.
    """
    named = label_named_columns(names)
    if not named or len(names) < 2:
        return None, None, (), ()
    try:
        y, notes = read(named[0])
    except DataError as exc:
        # "data.csv label column: label 0.37 at line 2 is not an integer ...: choose ..."
        parts = str(exc).split(": ")
        reason = parts[1] if len(parts) > 2 else str(exc)
        return None, None, (), (kept_as_feature(names, named[0], reason),)
    return named[0], y, notes, (used_as_labels(names, named[0], named[1:]),)


def _column(names: tuple[str, ...], index: int) -> str:
    return f"column {index + 1} ({names[index]!r})"


def used_as_labels(names: tuple[str, ...], index: int, others: list[int]) -> str:
    """The notice when ``names[index]`` became the labels because of its name."""
    also = ""
    if others:
        kept = ", ".join(_column(names, i) for i in others)
        also = f"; {kept} also named like a label, kept as feature(s)"
    return (
        f"{_column(names, index)} is used as the labels, not as a feature, because of its "
        f"name{also}: {_CHOOSE}"
    )


def kept_as_feature(names: tuple[str, ...], index: int, reason: str) -> str:
    """The notice when a label-named column could not be labels (``reason``) and stays a feature."""
    return (
        f"{_column(names, index)} is named like a label but is trained on as a feature: "
        f"{reason}. Give label_column to use another column as the labels"
    )
