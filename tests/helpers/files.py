"""File contents for the loaders (NPY, NPZ, CSV, IDX, zip), and the rows that come back.

load_file_bytes(npy_bytes(matrix), "m.npy")
load_file_bytes(csv_bytes(x, labels=y), "table.csv", label_column="last")
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sae_core.data.mnist.idx import write_idx


def npy_bytes(array: np.ndarray) -> bytes:
    """``array`` as a .npy file; an object array is pickled, as a hostile file would be."""
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def npz_bytes(**arrays: np.ndarray) -> bytes:
    """The arrays as an uncompressed .npz file, each under its keyword's name."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def zip_bytes(members: Mapping[str, bytes]) -> bytes:
    """A zip archive holding each ``name: content`` of ``members`` (an .npz is one)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def csv_bytes(matrix: np.ndarray, labels: Sequence[Any] | None = None) -> bytes:
    """A headerless CSV of ``matrix``, every value written exactly; ``labels`` as a last column."""
    lines = [",".join(repr(float(v)) for v in row) for row in np.asarray(matrix)]
    if labels is not None:
        lines = [f"{line},{label}" for line, label in zip(lines, labels, strict=True)]
    return lines_bytes(lines)


def lines_bytes(lines: Sequence[str]) -> bytes:
    """Text lines as a file's bytes (UTF-8, no trailing newline)."""
    return "\n".join(lines).encode()


def idx_bytes(array: np.ndarray, name: str = "x.idx") -> bytes:
    """``array`` as an IDX file (gzipped when ``name`` ends in .gz), written by ``write_idx``."""
    with tempfile.TemporaryDirectory() as folder:
        return write_idx(Path(folder) / name, array).read_bytes()


def all_rows(ds: Any) -> np.ndarray:
    """A dataset's train and test rows together (each side keeps the file's order)."""
    return np.concatenate([ds.x_train, ds.x_test])


def all_labels(ds: Any) -> np.ndarray:
    """A labelled dataset's train and test labels together, in the order of :func:`all_rows`."""
    return np.concatenate([ds.y_train, ds.y_test])
