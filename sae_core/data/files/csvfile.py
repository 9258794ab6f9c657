"""Parse delimited text (CSV, TSV, whitespace) into a numeric matrix with optional labels.

numpy's C ``loadtxt`` does the bulk conversion; only when it fails do we walk the lines in Python
to name the first bad cell by line and column, so good files stay fast and bad ones get a
message a person can act on.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass

import numpy as np

from sae_core.data.files.checks import (
    check_finite,
    check_matrix_shape,
    resolve_column,
    to_labels,
)
from sae_core.data.files.label_names import label_by_name
from sae_core.errors import DataError

MAX_LABEL_CLASSES = 1000
_DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True, kw_only=True)
class CsvTable:
    """x: [n, d] float64; y: [n] int64 or None; notes: what the user should know; notices:
    what they should act on (a column taken as the labels because of its name)."""

    x: np.ndarray
    y: np.ndarray | None
    notes: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()


def parse_csv(
    data: bytes,
    name: str,
    label_column: int | str | None,
    has_header: bool | None,
    *,
    auto_label: bool = True,
) -> CsvTable:
    """Parse delimited text; see :func:`sae_core.data.files.tabular.parse_table` for the options.

    ``auto_label``: no ``label_column`` takes a column named like a label (:mod:`.label_names`).
    """
    text, notes = _decode(data, name)
    numbered = [(i, line) for i, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not numbered:
        raise DataError(f"{name} is empty: choose a file with data in it")
    delimiter = _sniff_delimiter(numbered[0][1])
    first = _split_header(numbered[0][1], delimiter, name)
    if has_header is None:
        second = _split_fields(numbered[1][1], delimiter) if len(numbered) > 1 else None
        has_header = _guess_header(first, second, label_column)
    names = tuple(first) if has_header else None
    rows = numbered[1:] if has_header else numbered
    if not rows:
        raise DataError(f"{name} has a header row but no data rows: add data below the header")
    check_matrix_shape((len(rows), len(first)), name)
    line_numbers = np.array([i for i, _ in rows])
    lines = [line for _, line in rows]
    _check_ragged(lines, line_numbers, delimiter, len(first), name)
    label = None if label_column is None else resolve_column(label_column, len(first), names, name)
    y: np.ndarray | None = None
    label_notes: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    if label is not None:
        y, label_notes = _read_labels(lines, line_numbers, delimiter, label, name)
    elif auto_label and names:
        read = functools.partial(_read_labels, lines, line_numbers, delimiter, name=name)
        label, y, label_notes, notices = label_by_name(names, read)
    use = [c for c in range(len(first)) if c != label]
    check_matrix_shape((len(lines), len(use)), name)
    x = _read_numbers(lines, line_numbers, delimiter, use, names, name)
    x, index_notes = _drop_index_column(x, names, label)
    return CsvTable(x=x, y=y, notes=(*notes, *label_notes, *index_notes), notices=notices)


def _decode(data: bytes, name: str) -> tuple[str, tuple[str, ...]]:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), ("read as UTF-16",)
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig"), ()
    except UnicodeDecodeError as exc:
        note = (
            f"{name} is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "read as Latin-1: save it as UTF-8 if names look wrong"
        )
        return data.decode("latin-1"), (note,)


def _sniff_delimiter(line: str) -> str | None:
    """The most frequent of , ; TAB in the first line; None (whitespace) if none occurs."""
    counts = [line.count(d) for d in _DELIMITERS]
    if max(counts) == 0:
        return None
    return _DELIMITERS[counts.index(max(counts))]


def _split_fields(line: str, delimiter: str | None) -> list[str]:
    fields = line.split() if delimiter is None else line.split(delimiter)
    return [field.strip().strip('"').strip() for field in fields]


def _split_header(line: str, delimiter: str | None, name: str) -> list[str]:
    if delimiter is None:
        return _split_fields(line, None)
    try:
        fields = next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration) as exc:
        raise DataError(
            f"{name}: cannot read the first line as CSV ({exc}): check the file"
        ) from None
    return [field.strip() for field in fields] or [""]


def _guess_header(
    first: list[str], second: list[str] | None, label_column: int | str | None
) -> bool:
    """Whether the first row is a header, judged from its feature cells.

    The label column is left out: class names there ("cat") are data, and counting them made a
    headerless file lose its first sample. A word on top of a label column whose next cell is a
    number is still a header (``0,1,label`` over ``0.5,0.7,3``).
    """
    if _names_header_column(label_column, first):
        return True
    label = _label_index(label_column, len(first))
    features = [cell for c, cell in enumerate(first) if c != label and cell]
    if not all(_is_number(cell) for cell in features):
        return True
    if label is None or not first[label] or _is_number(first[label]):
        return False
    below = second[label] if second is not None and label < len(second) else ""
    return _is_number(below)


def _names_header_column(label_column: int | str | None, first: list[str]) -> bool:
    """True when ``label_column`` is a column name (not first/last/an index) found in ``first``."""
    if not isinstance(label_column, str) or label_column in ("first", "last"):
        return False
    return not label_column.lstrip("-").isdigit() and label_column in first


def _label_index(label_column: int | str | None, n_columns: int) -> int | None:
    """The label column's index when the option gives one without a header, else None.

    Bad options give None here and get their error message from ``resolve_column`` later.
    """
    if isinstance(label_column, str):
        if label_column in ("first", "last"):
            return 0 if label_column == "first" else n_columns - 1
        if not label_column.lstrip("-").isdigit():
            return None
        label_column = int(label_column)
    if label_column is None or not -n_columns <= label_column < n_columns:
        return None
    return label_column % n_columns


def _is_number(cell: str) -> bool:
    # float() accepts "1_000"; loadtxt does not, and the two must agree.
    if not cell or "_" in cell:
        return False
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _count_fields(line: str, delimiter: str | None) -> int:
    return len(line.split()) if delimiter is None else line.count(delimiter) + 1


def _check_ragged(
    lines: list[str], line_numbers: np.ndarray, delimiter: str | None, width: int, name: str
) -> None:
    counts = np.fromiter((_count_fields(line, delimiter) for line in lines), int, len(lines))
    bad = np.flatnonzero(counts != width)
    if len(bad):
        row = int(bad[0])
        raise DataError(
            f"{name}: line {line_numbers[row]} has {counts[row]} fields but the first line has "
            f"{width} ({len(bad)} such lines): every row needs the same number of columns"
        )


def _column_label(column: int, names: tuple[str, ...] | None) -> str:
    named = f" ({names[column]!r})" if names and names[column] else ""
    return f"column {column + 1}{named}"


def _read_numbers(
    lines: list[str],
    line_numbers: np.ndarray,
    delimiter: str | None,
    use: list[int],
    names: tuple[str, ...] | None,
    name: str,
) -> np.ndarray:
    """[n, len(use)] float64 of the chosen columns; DataError naming the first bad cell."""
    try:
        x = np.loadtxt(
            lines,
            delimiter=delimiter,
            usecols=use,
            ndmin=2,
            dtype=np.float64,
            quotechar='"',
            comments=None,
        )
    except (ValueError, TypeError, OverflowError) as exc:
        _raise_first_bad_cell(lines, line_numbers, delimiter, use, names, name)
        raise DataError(f"{name} could not be read as numbers ({exc}): check the file") from None
    if not np.isfinite(x).all():
        row, col = (int(i) for i in np.argwhere(~np.isfinite(x))[0])
        where = f"line {line_numbers[row]}, {_column_label(use[col], names)}"
        check_finite(x, name, where)
    return x


def _raise_first_bad_cell(
    lines: list[str],
    line_numbers: np.ndarray,
    delimiter: str | None,
    use: list[int],
    names: tuple[str, ...] | None,
    name: str,
) -> None:
    for line, number in zip(lines, line_numbers, strict=True):
        fields = _split_fields(line, delimiter)
        for column in use:
            cell = fields[column] if column < len(fields) else ""
            if not _is_number(cell):
                what = "is empty" if not cell else f"holds {cell[:40]!r}, which is not a number"
                raise DataError(
                    f"{name}: line {number}, {_column_label(column, names)} {what}: fix the cell, "
                    "or make that column the label column if it holds class names"
                )


def _read_labels(
    lines: list[str], line_numbers: np.ndarray, delimiter: str | None, column: int, name: str
) -> tuple[np.ndarray, tuple[str, ...]]:
    """[n] int64 labels of one column: integers as they are, names numbered alphabetically."""
    cells = _label_cells(lines, delimiter, column)
    if all(_is_number(cell) for cell in cells):
        values = np.array([float(cell) for cell in cells])
        return to_labels(values, f"{name} label column", len(values), line_numbers), ()
    if "" in cells:
        number = line_numbers[cells.index("")]
        raise DataError(f"{name}: the label at line {number} is empty: give every row a label")
    classes, y = np.unique(np.array(cells), return_inverse=True)
    if len(classes) > MAX_LABEL_CLASSES:
        raise DataError(
            f"{name}: the label column has {len(classes)} distinct values, more than "
            f"{MAX_LABEL_CLASSES}: it does not look like class labels; choose another column"
        )
    shown = ", ".join(f"{c}={i}" for i, c in enumerate(classes[:10]))
    more = ", ..." if len(classes) > 10 else ""
    return y.astype(np.int64), (f"label names numbered alphabetically: {shown}{more}",)


def _label_cells(lines: list[str], delimiter: str | None, column: int) -> list[str]:
    try:  # C speed for the usual case; the Python split below handles what loadtxt rejects
        cells = np.loadtxt(
            lines,
            delimiter=delimiter,
            usecols=[column],
            dtype=str,
            quotechar='"',
            comments=None,
            ndmin=1,
        )
        return [cell.strip().strip('"').strip() for cell in cells.tolist()]
    except (ValueError, TypeError):
        return [_split_fields(line, delimiter)[column] for line in lines]


def _drop_index_column(
    x: np.ndarray, names: tuple[str, ...] | None, label: int | None
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Drop a leading 0, 1, 2, ... column with a blank name: a row index pandas wrote."""
    if not names or names[0] not in ("", "Unnamed: 0") or label == 0 or x.shape[1] < 2:
        return x, ()
    if not np.array_equal(x[:, 0], np.arange(len(x))):
        return x, ()
    return np.ascontiguousarray(x[:, 1:]), ("dropped the first column, a row index",)
