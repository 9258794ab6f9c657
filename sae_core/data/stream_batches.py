"""Shuffled batches from rows read block by block: the streamed trainer's batch order.

Shuffling: the training rows are cut into blocks of ``block_rows`` consecutive rows; every epoch
visits the blocks in a random order, ``window_blocks`` at a time, and permutes the rows of each
window (with the few rows left over from the previous window) before cutting batches from it.

Why blocks rather than random rows sorted for locality: a block is one sequential read, which
the kernel reads ahead when the file is larger than memory (a random 2 KB row would cost a disk
seek each), and its pages are released right after the copy, so memory holds one window, never
the file. Why a window of several random blocks: rows next to each other in an activation file
are often alike (consecutive tokens of one document); mixing ``window_blocks`` blocks from
random places of the file gives each batch rows from that many regions. Every row is still used
exactly once per epoch.

An epoch is one pass over the training rows: ``ceil(n_train / batch_size)`` batches, the last
one short when the batch size does not divide n_train, as the in-memory trainer's epochs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np

# rows [m] sorted file rows -> [m, d] float32 in model units (the reader releases the pages)
ReadRows = Callable[[np.ndarray], np.ndarray]
Prefetch = Callable[[np.ndarray], None]


def block_batches(
    rows: np.ndarray,
    batch_size: int,
    *,
    read: ReadRows,
    rng: np.random.Generator,
    block_rows: int,
    window_blocks: int,
    prefetch: Prefetch | None = None,
) -> Iterator[np.ndarray]:
    """Endless [B, d] float32 batches over file rows ``rows`` ([n] sorted int64), epoch after
    epoch (see the module docstring)."""
    if batch_size < 1 or block_rows < 1 or window_blocks < 1:
        raise ValueError("batch_size, block_rows and window_blocks must be positive")
    n_blocks = math.ceil(len(rows) / block_rows)
    blocks = [rows[b * block_rows : (b + 1) * block_rows] for b in range(n_blocks)]
    while True:
        order = rng.permutation(n_blocks)
        windows = [order[w : w + window_blocks] for w in range(0, n_blocks, window_blocks)]
        carry: np.ndarray | None = None  # rows of the last window that did not fill a batch
        for w, window in enumerate(windows):
            if prefetch is not None and w + 1 < len(windows):
                for b in windows[w + 1]:  # the kernel reads the next window while this trains
                    prefetch(blocks[b])
            parts = [read(blocks[b]) for b in window]
            if carry is not None:
                parts.insert(0, carry)
            x = np.concatenate(parts) if len(parts) > 1 else parts[0]
            del parts  # at most two windows in memory: these rows and their permuted copy
            x = x[rng.permutation(len(x))]  # one copy; the batches below are its slices
            full = len(x) - len(x) % batch_size
            carry = x[full:].copy() if full < len(x) else None  # a copy: x is freed sooner
            for start in range(0, full, batch_size):
                yield x[start : start + batch_size]
            del x  # freed before the next window is read, not after
        if carry is not None:
            yield carry  # the epoch's last, short batch
