"""MNIST-size data for the benchmarks: the shared MNIST test split tiled to 60 000 rows.

Dense matmul time does not depend on the values, so when the shared folder is missing random
data of the same shape stands in (the description says which was used).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from sae_core.data.mnist.idx import read_idx

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = Path(os.environ.get("SAE_BENCH_MNIST", ROOT.parent / "shared" / "data" / "mnist"))
MNIST_ROWS, MNIST_DIM = 60_000, 784


def mnist_size(rows: int = MNIST_ROWS) -> tuple[np.ndarray, np.ndarray, str]:
    """(x [rows, 784] float32 in [0, 1], labels [rows] int64, where the data came from)."""
    images = SHARED_MNIST / "t10k-images-idx3-ubyte.gz"
    labels = SHARED_MNIST / "t10k-labels-idx1-ubyte.gz"
    if images.is_file() and labels.is_file():
        base = read_idx(images).reshape(-1, MNIST_DIM)
        base_y = read_idx(labels).astype(np.int64)
        reps = -(-rows // base.shape[0])
        x = np.tile(base, (reps, 1))[:rows].astype(np.float32)
        x /= 255.0  # in place: no second 188 MB array
        y = np.tile(base_y, reps)[:rows]
        return x, y, f"MNIST test split tiled to {rows}×{MNIST_DIM}"
    rng = np.random.default_rng(0)
    x = rng.random((rows, MNIST_DIM), dtype=np.float32)
    y = rng.integers(0, 10, rows)
    return x, y, f"random uniform {rows}×{MNIST_DIM} (shared MNIST not found)"
