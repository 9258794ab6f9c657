"""Natural-image patches from scikit-learn's two sample photos: the classic route to Gabor filters.

Following UFLDL (Olshausen & Field's set-up): grey patches at random positions, each patch's own
mean removed (brightness carries no structure), one global scale to unit standard deviation,
then optionally PCA or ZCA whitening with ε added to every eigenvalue (a gentle low-pass).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from sae_core.data.dataset import Preprocessing
from sae_core.errors import ConfigError, DataError

WHITENINGS: tuple[str, ...] = ("none", "zca", "pca")
MAX_CELLS = 50_000_000  # n_patches · patch_size²: keeps a patch set under ~200 MB of float32


@dataclass(frozen=True, kw_only=True)
class PatchSpec:
    """Which patches to cut and how to whiten them."""

    patch_size: int = 8  # 8×8 as in UFLDL; 12 and 16 show larger, smoother filters
    n_patches: int = 10_000
    whitening: str = "none"
    # added to every eigenvalue. The patches are at unit std, so their eigenvalues average 1:
    # 0.1 barely regularises and whitened patches become pixel noise (learned atoms too); 1.0
    # keeps the low frequencies that make edges (neighbour correlation of atoms ~0.2, not ~0.04)
    eps: float = 1.0

    def __post_init__(self) -> None:
        p, n = self.patch_size, self.n_patches
        if not (isinstance(p, int) and not isinstance(p, bool) and 2 <= p <= 32):
            raise ConfigError(
                f"patch_size={p!r} is invalid: choose an integer in 2..32 (8 is usual)"
            )
        if not (isinstance(n, int) and not isinstance(n, bool) and 2 <= n * p * p <= MAX_CELLS):
            raise ConfigError(
                f"n_patches={n!r} is invalid: choose an integer ≥ 2 with n_patches·patch_size² "
                f"≤ {MAX_CELLS:,}"
            )
        if self.whitening not in WHITENINGS:
            raise ConfigError(
                f"whitening={self.whitening!r} is invalid: choose {', '.join(WHITENINGS)}"
            )
        eps = self.eps
        if not (isinstance(eps, (int, float)) and math.isfinite(eps) and eps > 0):
            raise ConfigError(f"eps={eps!r} is invalid: choose a positive number such as 1.0")


@functools.lru_cache(maxsize=1)
def grey_photos() -> tuple[np.ndarray, ...]:
    """scikit-learn's sample photos as read-only grey [height, width] float32 arrays in [0, 1]."""
    try:
        from sklearn.datasets import load_sample_images

        photos = load_sample_images().images
    except ImportError as exc:  # the JPEGs need Pillow
        raise DataError(
            f"cannot read scikit-learn's sample photos ({exc}): pip install pillow"
        ) from None
    luminance = np.array([0.299, 0.587, 0.114], dtype=np.float32) / 255
    greys = []
    for photo in photos:
        grey = np.ascontiguousarray(photo[..., :3].astype(np.float32) @ luminance)
        grey.setflags(write=False)
        greys.append(grey)
    return tuple(greys)


def cut_patches(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """[n, size·size] float32 patches at uniformly random photos and positions."""
    photos = grey_photos()
    which = rng.integers(0, len(photos), size=n)
    out = np.empty((n, size, size), dtype=np.float32)
    for i, photo in enumerate(photos):
        chosen = np.flatnonzero(which == i)
        windows = np.lib.stride_tricks.sliding_window_view(photo, (size, size))
        rows = rng.integers(0, windows.shape[0], size=len(chosen))
        cols = rng.integers(0, windows.shape[1], size=len(chosen))
        out[chosen] = windows[rows, cols]
    return out.reshape(n, size * size)


def whitening_matrix(x_train: np.ndarray, kind: str, eps: float) -> np.ndarray:
    """[d, d] matrix W with x_white = x · W, from the second moments of x_train [n, d].

    PCA: W = U diag((λ+ε)^-½), columns by decreasing variance (the result is not pixel-shaped).
    ZCA: W = U diag((λ+ε)^-½) Uᵀ, the whitening that stays closest to the pixels.
    """
    x = x_train.astype(np.float64)
    moments = x.T @ x / len(x)
    eigenvalues, eigenvectors = np.linalg.eigh(moments)
    eigenvalues, eigenvectors = eigenvalues[::-1], eigenvectors[:, ::-1]
    scaled = eigenvectors / np.sqrt(np.clip(eigenvalues, 0, None) + eps)
    return scaled if kind == "pca" else scaled @ eigenvectors.T


def prepare_patches(
    spec: PatchSpec, train_index: np.ndarray, test_index: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, Preprocessing, str]:
    """Cut, centre, scale and whiten; statistics from the training rows only.

    Returns (x_train [n_train, p²], x_test [n_test, p²], what was done, a one-line description).
    Without whitening ``to_raw`` gives centred grey values; whitening cannot be undone that way.
    """
    x = cut_patches(spec.n_patches, spec.patch_size, rng)
    x -= x.mean(axis=1, keepdims=True)
    x_train, x_test = x[train_index], x[test_index]
    std = float(x_train.std(dtype=np.float64)) or 1.0
    x_train /= std
    x_test /= std
    steps = ("grey", "patch_centre", "unit_std")
    record = Preprocessing(steps=steps, offset=0.0, scale=std)
    if spec.whitening != "none":
        w = whitening_matrix(x_train, spec.whitening, spec.eps).astype(np.float32)
        x_train, x_test = x_train @ w, x_test @ w
        record = Preprocessing(steps=(*steps, spec.whitening), offset=0.0, scale=1.0)
    p = spec.patch_size
    what = (
        "" if spec.whitening == "none" else f", {spec.whitening.upper()}-whitened (ε={spec.eps:g})"
    )
    description = (
        f"{spec.n_patches} random {p}×{p} grey patches of scikit-learn's two sample photos, each "
        f"patch centred, scaled to unit std{what}"
    )
    return np.ascontiguousarray(x_train), np.ascontiguousarray(x_test), record, description
