"""A ``.npy`` larger than memory as training data: memory-mapped, checked and scaled in one
streaming pass, then read in shuffled blocks while the model trains.

:func:`load_streamed` splits the rows as :func:`sae_core.data.load_dataset` would (same seed,
same held-out rows), makes one pass over the kept rows in file order (every value checked for
NaN/inf, the row named; preprocessing statistics of the training rows, :mod:`stream_stats`), and
keeps in memory only two small samples, in model units: ``dataset.x_train``, up to
``REFERENCE_ROWS`` training rows (the trainer's divergence check and dead-latent resampling,
figures), and ``dataset.x_test``, up to ``EVAL_ROWS`` held-out rows (the metrics after training).
:meth:`StreamedData.batches` is the trainer's batch source (:mod:`stream_batches`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from sae_core.data.dataset import Dataset, Preprocessing
from sae_core.data.files.stream import NpyMap
from sae_core.data.preprocessing import (
    parse_preprocess,
    rng_for,
    split_indices,
    subsample_indices,
)
from sae_core.data.stream_batches import block_batches
from sae_core.data.stream_stats import (
    ColumnStats,
    check_finite_rows,
    empty_stats,
    preprocessing_from_stats,
)
from sae_core.errors import DataError

REFERENCE_ROWS = 8192  # training rows kept in memory (divergence check, resampling, figures)
EVAL_ROWS = 16_384  # held-out rows the metrics are measured on after training
SCAN_BYTES = 16 * 2**20  # rows read per step of the statistics pass
BLOCK_BYTES = 4 * 2**20  # one block of consecutive rows (float32), read at once
WINDOW_BLOCKS = 16  # blocks shuffled together: a window of 64 MB at most
STREAM_SAMPLES, STREAM_BATCHES = 11, 12  # rng_for streams (preprocessing.py uses 1..4)

Progress = Callable[[int, int], None]  # (rows scanned, rows to scan)


class StreamedData:
    """Training rows of a memory-mapped ``.npy``, streamed; see the module docstring.

    Attributes:
        name: ``file:PATH``, as :func:`load_dataset` names a file.
        dataset: the in-memory samples (x_train: reference rows, x_test: evaluation rows), the
            preprocessing record and the description.
        train_rows, test_rows: [n] sorted int64 file rows of each split.
        stats: the training rows' raw per-dimension statistics.
    """

    def __init__(
        self,
        npy: NpyMap,
        *,
        name: str,
        train_rows: np.ndarray,
        test_rows: np.ndarray,
        stats: ColumnStats,
        preprocessing: Preprocessing,
        description: str,
        image_shape: tuple[int, int] | None,
        seed: int,
        block_rows: int | None = None,
        window_blocks: int = WINDOW_BLOCKS,
    ) -> None:
        self.npy = npy
        self.name = name
        self.train_rows, self.test_rows = train_rows, test_rows
        self.stats = stats
        self.preprocessing = preprocessing
        self._work = np.dtype(np.float64 if npy.dtype == np.float64 else np.float32)
        self._offset = np.asarray(preprocessing.offset, dtype=self._work)
        self._scale = np.asarray(preprocessing.scale, dtype=self._work)
        self.block_rows = block_rows or max(1, BLOCK_BYTES // (4 * npy.d))
        self.window_blocks = window_blocks
        rng = rng_for(seed, STREAM_SAMPLES)
        self.dataset = Dataset(
            name=name,
            x_train=self.read(_sample(train_rows, REFERENCE_ROWS, rng)),
            x_test=self.read(_sample(test_rows, EVAL_ROWS, rng)),
            image_shape=image_shape,
            preprocessing=preprocessing,
            description=description,
        )

    @property
    def n_samples(self) -> int:
        """Training rows (the trainer's epoch length)."""
        return len(self.train_rows)

    @property
    def n_train(self) -> int:
        return len(self.train_rows)

    @property
    def n_test(self) -> int:
        return len(self.test_rows)

    @property
    def d_in(self) -> int:
        return self.npy.d

    def read(self, rows: np.ndarray) -> np.ndarray:
        """File rows ``rows`` ([m] sorted) -> [m, d_in] float32 in model units."""
        x = self.npy.rows(rows).astype(self._work, copy=False)
        if not self.preprocessing.is_identity:  # rows() returned a copy: scaled in place
            x -= self._offset
            x /= self._scale
        return np.ascontiguousarray(x, dtype=np.float32)

    def reference(self) -> np.ndarray:
        """[m, d_in] float32 training rows in memory, m ≤ REFERENCE_ROWS."""
        return self.dataset.x_train

    def mean(self) -> np.ndarray:
        """[d_in] float32 mean of every training row in model units (from the pass)."""
        return ((self.stats.mean - self._offset) / self._scale).astype(np.float32)

    def batches(self, batch_size: int, seed: int) -> Iterator[np.ndarray]:
        """Endless shuffled [B, d_in] float32 batches, epoch after epoch (``seed``: the order)."""
        return block_batches(
            self.train_rows,
            batch_size,
            read=self.read,
            rng=rng_for(seed, STREAM_BATCHES),
            block_rows=self.block_rows,
            window_blocks=self.window_blocks,
            prefetch=lambda rows: self.npy.prefetch(int(rows[0]), int(rows[-1]) + 1),
        )


def load_streamed(
    path: str | os.PathLike[str],
    *,
    test_fraction: float = 0.2,
    seed: int = 0,
    max_samples: int | None = None,
    preprocess: str | None = None,
    progress: Progress | None = None,
    block_rows: int | None = None,
    window_blocks: int = WINDOW_BLOCKS,
) -> StreamedData:
    """Open, check and scan ``path`` (a .npy); options as :func:`sae_core.data.load_dataset`'s.

    ``progress(done, total)`` is called after each chunk of the pass (rows); ``block_rows`` and
    ``window_blocks`` set the shuffle (defaults: 4 MB blocks, 16 per window).
    """
    steps = parse_preprocess(preprocess or "none")
    npy = NpyMap(path)
    keep = subsample_indices(npy.n_rows, max_samples, seed)
    kept = np.arange(npy.n_rows) if keep is None else keep
    train, test = split_indices(len(kept), test_fraction, seed)
    is_train = np.zeros(len(kept), dtype=bool)
    is_train[train] = True
    stats = _scan(npy, kept, is_train, progress)
    work = np.dtype(np.float64 if npy.dtype == np.float64 else np.float32)
    record = preprocessing_from_stats(stats, steps, work)
    name = f"file:{Path(path).expanduser().resolve()}"
    words = " then ".join(steps) if steps else "values as loaded"
    description = (
        f"{Path(path).name}: {npy.n_rows} rows × {npy.d} columns streamed from disk; "
        f"{len(train)} train / {len(test)} test (seed {seed}), metrics on up to {EVAL_ROWS} "
        f"held-out rows; {words}"
    )
    return StreamedData(
        npy,
        name=name,
        train_rows=kept[train],
        test_rows=kept[test],
        stats=stats,
        preprocessing=record,
        description=description,
        image_shape=npy.image_shape,
        seed=seed,
        block_rows=block_rows,
        window_blocks=window_blocks,
    )


def _scan(
    npy: NpyMap, kept: np.ndarray, is_train: np.ndarray, progress: Progress | None
) -> ColumnStats:
    """One pass over rows ``kept`` in file order: NaN/inf refused, training rows' statistics."""
    chunk = max(1, SCAN_BYTES // npy.row_bytes)
    stats = empty_stats(npy.d)
    for start in range(0, len(kept), chunk):
        rows = kept[start : start + chunk]
        x = npy.rows(rows)
        if x.dtype.kind == "f":
            check_finite_rows(x, rows, npy.name)
        train = x[is_train[start : start + chunk]]
        if len(train):
            stats = stats.merge(ColumnStats.of(train))
        if progress is not None:
            progress(min(start + chunk, len(kept)), len(kept))
    if stats.count == 0:
        raise DataError(f"{npy.name}: no training rows: lower test_fraction")
    return stats


def _sample(rows: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Up to ``size`` of ``rows``, chosen at random, sorted (read in file order)."""
    if len(rows) <= size:
        return rows
    return np.sort(rng.choice(rows, size=size, replace=False))
