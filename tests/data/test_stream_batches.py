"""Block-shuffled batches: every row once per epoch, epochs as the in-memory trainer's, mixed."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from sae_core.data.stream_batches import block_batches


def _batches(n: int, batch: int, block: int, window: int, seed: int = 0) -> list[np.ndarray]:
    """Two epochs of batches of rows whose single value is their file row."""
    rows = np.arange(n) * 3  # sorted, with gaps (held-out rows between)
    read_calls: list[np.ndarray] = []

    def read(index: np.ndarray) -> np.ndarray:
        read_calls.append(index)
        return index[:, None].astype(np.float32)

    stream = block_batches(
        rows,
        batch,
        read=read,
        rng=np.random.default_rng(seed),
        block_rows=block,
        window_blocks=window,
    )
    out = list(itertools.islice(stream, 2 * math.ceil(n / batch)))
    assert all(len(r) <= block for r in read_calls)  # one block read at a time
    return out


@pytest.mark.parametrize(("n", "batch", "block", "window"), [(1000, 64, 37, 4), (640, 64, 64, 1)])
def test_each_epoch_uses_every_row_once_in_ceil_n_over_b_batches(
    n: int, batch: int, block: int, window: int
) -> None:
    batches = _batches(n, batch, block, window)
    per_epoch = math.ceil(n / batch)
    for epoch in (batches[:per_epoch], batches[per_epoch:]):
        sizes = [len(b) for b in epoch]
        assert sizes[:-1] == [batch] * (per_epoch - 1) and sizes[-1] == n - batch * (per_epoch - 1)
        values = np.concatenate(epoch)[:, 0]
        np.testing.assert_array_equal(np.sort(values), np.arange(n) * 3)
    first = np.concatenate(batches[:per_epoch])[:, 0]
    second = np.concatenate(batches[per_epoch:])[:, 0]
    assert not np.array_equal(first, second)  # each epoch its own order


def test_a_batch_mixes_rows_from_several_blocks_and_the_seed_sets_the_order() -> None:
    batches = _batches(2000, 50, 40, 8)
    blocks_in_first = np.unique((batches[0][:, 0] // 3) // 40)
    assert len(blocks_in_first) >= 4  # 50 rows from a window of 8 blocks of 40
    again = _batches(2000, 50, 40, 8)
    other = _batches(2000, 50, 40, 8, seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(batches, again, strict=True))
    assert not np.array_equal(batches[0], other[0])


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        next(
            block_batches(
                np.arange(10),
                0,
                read=lambda r: r[:, None],
                rng=np.random.default_rng(0),
                block_rows=4,
                window_blocks=2,
            )
        )
