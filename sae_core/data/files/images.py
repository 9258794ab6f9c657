"""The optional ``images`` array of an .npz of activations: one picture per row of ``x``."""

from __future__ import annotations

import math

import numpy as np

from sae_core.errors import DataError


def check_images(
    images: np.ndarray, n_samples: int, name: str
) -> tuple[np.ndarray, tuple[int, int]]:
    """``images`` [n, h, w] (or [n, h·w] with h·w a square) -> ([n, h·w] float32, (h, w)).

    ``images[i]`` is what the network saw when it produced ``x[i]``, so the counts must match.
    """
    if images.dtype.kind not in "biuf":
        raise DataError(f"{name}: images holds {images.dtype} values: save a numeric array")
    if images.ndim == 0 or len(images) != n_samples:
        got = "a scalar" if images.ndim == 0 else f"{len(images)} images"
        raise DataError(
            f"{name}: images has {got} but x has {n_samples} rows: images[i] must be the input "
            "behind x[i], so save one image per row of x"
        )
    if images.ndim == 3 and min(images.shape[1:]) >= 1:
        shape = (int(images.shape[1]), int(images.shape[2]))
    elif images.ndim == 2 and math.isqrt(images.shape[1]) ** 2 == images.shape[1] > 0:
        side = math.isqrt(images.shape[1])
        shape = (side, side)
    else:
        raise DataError(
            f"{name}: images has shape {list(images.shape)}: save it as [samples, height, width]"
        )
    flat = np.asarray(images, np.float32).reshape(n_samples, shape[0] * shape[1])
    if not np.isfinite(flat).all():
        raise DataError(f"{name}: images holds NaN or infinite values")
    return flat, shape
