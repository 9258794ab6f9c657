r"""The k largest entries of each row, exactly, faster than ``torch.topk`` on the CPU.

``torch.topk`` on the CPU costs about 4 ns an entry on a wide row (d_sae 4096: 3.9 ms for a
batch of 256 at k 32, a tenth of the sparse TopK step), and about 10 ns an entry on rows of
128–1024. Two ideas cut that:

- *Chunk maxima.* Cut the row into chunks and keep only the k chunks with the largest
  maxima: every entry among the row's top k lies in one of them, since its chunk's maximum is
  at least the k-th largest value and at most k − 1 chunks have a larger maximum. The maxima
  are one cheap pass; the rest works on k·s candidates instead of the whole row.
- *Thresholds.* ``np.partition`` finds a row's k-th value several times faster than
  ``torch.topk`` selects; the entries at or above it are the top k, unless ties (or a NaN)
  make more or fewer qualify, which is checked and then handled by the exact fallback.

:func:`topk_rows` (values and indices, like ``topk``) uses the first; the sparse step's
:func:`sorted_topk_columns` both. Measured on [256, 4096] at k 32 with one thread:
``torch.topk`` plus a sort 4.1–4.8 ms, :func:`topk_rows` plus a sort 3.0–3.4 ms,
:func:`sorted_topk_columns` 1.7 ms; at d_sae 16 384: 9.5–10.7, 6.0–7.6 and 5.5 ms
(``python -m benchmarks.run --only sparse`` shows the effect on the whole step).

Exact: the values are the row's k largest (as a multiset, ties included); which of several
equal entries is returned may differ from ``torch.topk``, whose choice among ties is
unspecified too. Off the CPU ``torch.topk`` is used as it is.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

MAX_CHUNK = 64
"""Widest chunk: a wider one leaves k·s candidates, costing more than the extra maxima saved
(measured: 64 beats 32 and 128 at d_sae 16 384, ties 32 at 4096)."""


def chunk_size(width: int, k: int) -> int:
    """The chunk size for a row of ``width`` entries (1: take the top k directly).

    About 4k chunks (top-k of a row of 4k entries is cheap), at most :data:`MAX_CHUNK` entries
    each, a power of two dividing the width; rows of 8k entries or fewer are left whole.
    """
    if width <= 8 * k:
        return 1
    size = 1
    while size * 2 <= min(MAX_CHUNK, width // (4 * k)):
        size *= 2
    while size > 1 and width % size:
        size //= 2
    return size


def topk_rows(x: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """Values and indices of the k largest entries along the last dimension, unsorted.

    x [..., n], 1 ≤ k ≤ n -> (values [..., k], indices [..., k] long), as
    ``x.topk(k, dim=-1, sorted=False)``. Differentiable in ``x`` (the values are gathered).
    """
    width = x.shape[-1]
    if x.device.type != "cpu" or chunk_size(width, k) == 1:
        values, indices = x.topk(k, dim=-1, sorted=False)
        return values, indices
    lead = x.shape[:-1]
    rows = x.reshape(-1, width)
    with torch.no_grad():
        candidates = rows.detach().contiguous()  # the chunk grids are views
        levels: list[tuple[Tensor, int]] = []  # per level: the chunks kept [R, k], chunk count
        while (size := chunk_size(candidates.shape[1], k)) > 1:
            candidates, best, n_chunks = _keep_best_chunks(candidates, size, k)
            levels.append((best, n_chunks))
        indices = candidates.topk(k, dim=-1, sorted=False).indices
        for best, n_chunks in reversed(levels):
            indices = _chunk_columns(best, indices, n_chunks)
    values = rows.gather(1, indices)
    return values.reshape(*lead, k), indices.reshape(*lead, k)


def _keep_best_chunks(rows: Tensor, size: int, k: int) -> tuple[Tensor, Tensor, int]:
    """The entries of each row's k chunks with the largest maxima: [R, m] -> ([R, size·k], the
    chunks kept [R, k], the chunk count c = m / size).

    Chunk j is every c-th entry from j (the row seen as [size, c]): the maxima are then an
    element-wise max of ``size`` contiguous slices (~3× faster than a max over short contiguous
    chunks), and the kept chunks are one gather of the [size, k] columns; candidate
    ``t·k + slot`` is entry t of chunk ``best[slot]``, column ``best[slot] + t·c``.
    """
    grid = _chunk_grid(rows, size)
    best = grid.amax(1).topk(k, dim=-1, sorted=False).indices  # [R, k]
    return _gather_chunks(grid, best), best, grid.shape[2]


def _chunk_grid(rows: Tensor, size: int) -> Tensor:
    """[R, m] -> the view [R, size, c]: chunk j (of c = m / size) is column j."""
    return rows.view(rows.shape[0], size, rows.shape[1] // size)


def _gather_chunks(grid: Tensor, best: Tensor) -> Tensor:
    """The entries of chunks ``best`` [R, k] of ``grid`` [R, size, c] -> [R, size·k]; candidate
    ``t·k + slot`` is entry t of chunk ``best[slot]``."""
    n_rows, size, _ = grid.shape
    k = best.shape[1]
    return grid.gather(2, best.unsqueeze(1).expand(n_rows, size, k)).view(n_rows, size * k)


def _chunk_columns(best: Tensor, positions: Tensor, n_chunks: int) -> Tensor:
    """Candidate positions [R, k] (as :func:`_gather_chunks` lays them out) -> the columns of
    the chunked row: entry t of chunk ``best[slot]`` is column ``best[slot] + t·c``."""
    k = best.shape[1]
    return best.gather(1, positions % k) + (positions // k) * n_chunks


def sorted_topk_columns(x: Tensor, k: int) -> Tensor:
    """Columns [R, k] of the k largest entries of each row of x [R, n], ascending in each row.

    On the CPU by thresholds, with ``np.partition`` (which finds a k-th value several times
    faster than ``torch.topk`` selects): the k-th largest chunk maximum picks the chunks, the
    k-th largest of their entries is the row's k-th value, and one ``np.flatnonzero`` pass
    finds the entries at or above it. Where a row has ties at a k-th value (more than k
    entries qualify) or a NaN, off the CPU and for dtypes NumPy lacks, it falls back to
    :func:`topk_rows`.
    """
    numpy_ready = x.device.type == "cpu" and x.dtype in (torch.float32, torch.float64)
    if numpy_ready and chunk_size(x.shape[1], k) > 1:
        columns = _threshold_columns(x.detach().contiguous(), k)
        if columns is not None:
            return columns.sort(dim=-1).values
    return topk_rows(x, k)[1].sort(dim=-1).values


def _threshold_columns(x: Tensor, k: int) -> Tensor | None:
    """The columns [R, k] of each row's k largest (unsorted), or None where ties or a NaN
    make a threshold keep other than k entries of a row."""
    grid = _chunk_grid(x, chunk_size(x.shape[1], k))
    best = _top_k_positions(grid.amax(1).numpy(), k)  # [R, k] chunk indices
    if best is None:
        return None
    picked = _top_k_positions(_gather_chunks(grid, best).numpy(), k)
    if picked is None:
        return None
    return _chunk_columns(best, picked, grid.shape[2])


def _top_k_positions(values: np.ndarray, k: int) -> Tensor | None:
    """Positions [R, k] (ascending) of the k largest of each row of ``values`` [R, m], or None
    where a row has more or fewer than k entries at or above its k-th value."""
    n_rows, width = values.shape
    kth = np.partition(values, width - k, axis=1)[:, width - k]
    flat = np.flatnonzero(values >= kth[:, None])
    if flat.shape[0] != n_rows * k:
        return None
    return torch.from_numpy(flat % width).view(n_rows, k)
