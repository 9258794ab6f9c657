"""A ``.npy`` file opened as a read-only memory map, read in rows and released after each read.

For files too large to hold in memory (the command line's streamed training). The header is
checked as :mod:`sae_core.data.files.npyfile` checks uploaded bytes (no pickled objects, no
truncated data), and the array is never copied whole: :meth:`NpyMap.rows` copies the rows asked
for and then drops the pages it touched from this process's mapping (``madvise(MADV_DONTNEED)``).
Without that, every page read once stays mapped and counts in the resident set (RSS) until the
kernel needs the memory: streaming a 2 GB file would show a 2 GB RSS. The pages stay in the
kernel's page cache, so a later epoch still reads them from memory when they fit there.
"""

from __future__ import annotations

import math
import mmap
import os
from pathlib import Path
from typing import BinaryIO

import numpy as np

from sae_core.data.files.checks import check_matrix_shape
from sae_core.errors import DataError

# Pages are dropped only where the platform can (Linux, macOS); elsewhere the kernel decides.
_DONTNEED = getattr(mmap, "MADV_DONTNEED", None)
_WILLNEED = getattr(mmap, "MADV_WILLNEED", None)
SPAN_BYTES = 32 * 2**20  # the most of the file one read maps before releasing it


class NpyMap:
    """A checked 2-D numeric ``.npy`` [n_rows, d] (a 3-D [n, h, w] stack is read as [n, h·w]).

    Attributes:
        name: the path, for messages.
        n_rows, d: the matrix's shape; ``image_shape``: (h, w) for a 3-D stack, else None.
        dtype: the file's dtype (any integer or float kind).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        path = Path(path).expanduser()
        self.name = str(path)
        try:
            with open(path, "rb") as handle:
                shape, fortran, dtype, offset = _read_header(handle, self.name)
                size = os.fstat(handle.fileno()).st_size
                count = math.prod(shape)
                if size - offset < count * dtype.itemsize:
                    raise DataError(
                        f"{self.name} is truncated: shape {shape} needs {count * dtype.itemsize} "
                        f"bytes but {size - offset} follow the header; save it again"
                    )
                self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except OSError as exc:
            raise DataError(f"cannot read {self.name}: {exc.strerror or exc}") from None
        if len(shape) not in (2, 3):
            raise DataError(
                f"{self.name} holds an array of shape {shape}: need a 2-D [samples, features] "
                "matrix (or a 3-D [samples, height, width] image stack)"
            )
        if fortran and len(shape) > 1 and min(shape) > 1:
            raise DataError(
                f"{self.name} is stored column by column (Fortran order), so its rows cannot be "
                "streamed: save it with np.save(path, np.ascontiguousarray(x))"
            )
        self.image_shape = (int(shape[1]), int(shape[2])) if len(shape) == 3 else None
        self.n_rows, self.d = int(shape[0]), int(math.prod(shape[1:]))
        check_matrix_shape((self.n_rows, self.d), self.name)
        self.dtype = dtype
        self._offset = offset
        self.row_bytes = self.d * dtype.itemsize
        # a view of the mapped file, never copied whole: [n_rows, d] in the file's dtype
        self._rows = np.ndarray((self.n_rows, self.d), dtype=dtype, buffer=self._map, offset=offset)

    @property
    def nbytes(self) -> int:
        return self.n_rows * self.row_bytes

    def rows(self, index: np.ndarray) -> np.ndarray:
        """Copy of rows ``index`` ([m] sorted int64 file rows) -> [m, d] in the file's dtype.

        Read in file order, in pieces spanning at most ``SPAN_BYTES`` of the file, each piece's
        pages released right after its copy: scattered rows (a random sample) would otherwise
        map most of the file at once, as the kernel maps the cached pages around each one it
        faults in (fault-around), and the resident set would reach the file's size.
        """
        if len(index) == 0:
            return np.empty((0, self.d), dtype=self.dtype)
        span = max(1, SPAN_BYTES // self.row_bytes)
        pieces, start = [], 0
        while start < len(index):
            first = int(index[start])
            stop = int(np.searchsorted(index, first + span, side="left"))
            last = int(index[stop - 1]) + 1
            if last - first == stop - start:  # a run of rows: a slice copies without an index
                pieces.append(np.array(self._rows[first:last]))
            else:
                pieces.append(self._rows[index[start:stop]])
            self.release(first, last)
            start = stop
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)

    def release(self, start: int, stop: int) -> None:
        """Drop rows [start, stop) from this process's resident pages (they stay cached)."""
        self._advise(_DONTNEED, start, stop)

    def prefetch(self, start: int, stop: int) -> None:
        """Ask the kernel to start reading rows [start, stop) ahead of need (from disk)."""
        self._advise(_WILLNEED, start, stop)

    def _advise(self, advice: int | None, start: int, stop: int) -> None:
        if advice is None or stop <= start:
            return
        begin = self._offset + start * self.row_bytes
        end = self._offset + stop * self.row_bytes
        # madvise needs a page-aligned start; widening the range to whole pages is harmless: a
        # dropped page of a read-only file mapping is simply read again from the cache if needed
        aligned = begin - begin % mmap.PAGESIZE
        self._map.madvise(advice, aligned, min(end, len(self._map)) - aligned)


def _read_header(handle: BinaryIO, name: str) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """(shape, fortran_order, dtype, data offset) of an open .npy, or DataError."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(handle)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(handle)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(handle)
        else:
            raise DataError(
                f"{name} is not a valid .npy file (format version {version}): save it with np.save"
            )
    except DataError:
        raise
    except Exception as exc:  # numpy's header parser raises many types on junk bytes
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise DataError(
            f"{name} is not a valid .npy file ({reason}): save it with np.save"
        ) from None
    if dtype.hasobject:
        raise DataError(
            f"{name} holds Python objects, which would need unpickling (refused for safety): "
            "save a numeric array"
        )
    if dtype.kind not in "biuf" or dtype.itemsize == 0:
        raise DataError(f"{name} holds {dtype} values: save a numeric (int or float) array")
    return tuple(int(s) for s in shape), bool(fortran), dtype, handle.tell()
