"""The Trainer's safety checks: data it can train on, and steps that diverged.

A diverged step is refused before the optimiser applies it; the Trainer then restores its last
good weights and raises :class:`~sae_core.errors.TrainingDivergedError` with the message here.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from sae_core.errors import DataError

# Reconstruction error this many times its reference (the larger of E‖x‖², the cost of
# predicting zeros, and the first step's error) counts as divergence: lr 10 reaches 1e10×,
# healthy runs stay under 1e3× (digits, every method, lr ≤ 0.3).
EXPLODE_FACTOR = 1e4
HUGE_DATA_VALUE = 1e15  # beyond this, squared errors summed over a batch overflow float32


def all_finite(x: Tensor, rows: int = 8192) -> bool:
    """torch.isfinite(x).all() in row blocks: on all of MNIST at once its temporaries peak at
    ~300 MB."""
    return all(bool(torch.isfinite(x[i : i + rows]).all()) for i in range(0, x.shape[0], rows))


def check_data(x_train: np.ndarray | Tensor, d_in: int, device: torch.device) -> Tensor:
    """The training data as a contiguous float32 [n, d_in] tensor on ``device``, or DataError."""
    x = torch.as_tensor(x_train, dtype=torch.float32)
    if x.ndim != 2 or x.shape[0] < 1:
        raise DataError(f"training data must be a [samples, features] matrix, got {list(x.shape)}")
    if x.shape[1] != d_in:
        raise DataError(
            f"the data has {x.shape[1]} columns but the model's d_in is {d_in}: "
            "build the model for this data's width"
        )
    if not all_finite(x):
        raise DataError("the training data holds NaN or infinite values: clean or drop them")
    return x.to(device).contiguous()


def _restored(step: int) -> str:
    """What became of the weights when step ``step`` (1-based) diverged."""
    if step <= 1:  # no step succeeded: there is no good state to go back to
        return "nothing was trained (the first step already failed)"
    return "the model was restored to its last good state"


class DivergenceGuard:
    """Spots a diverged step on data ``x`` trained with learning rate ``lr``."""

    def __init__(self, x: Tensor, lr: float) -> None:
        self.x = x
        self.lr = lr
        self._first: list[float] | None = None  # each model's first reconstruction error
        self._low: list[float] = []  # EXPLODE_FACTOR · max(first error, 1e-6): ≤ the limit
        self._recon_limit: list[float] | None = None  # set once an error gets past _low

    def problem(self, loss: list[float], recon: list[float], step: int) -> str | None:
        """Why step ``step`` (1-based) diverged, or None: a NaN/inf loss, or a reconstruction
        error exploding while finite (lr far too high). The first call's errors set the
        limits."""
        if not all(math.isfinite(v) for v in loss):
            return f"the loss became {loss[0]} at step {step}: {self._advice()}; {_restored(step)}"
        if self._first is None:
            self._first = list(recon)
            self._low = [EXPLODE_FACTOR * max(r, 1e-6) for r in recon]
        # The limit EXPLODE_FACTOR · max(first error, E‖x‖², 1e-6) is at least _low, so E‖x‖²
        # (a pass over all of x: 18 ms at 1M × 32) is computed only once an error passes _low.
        if all(r <= low for r, low in zip(recon, self._low, strict=True)):
            return None
        if self._recon_limit is None:
            # mean ‖x‖²: vector_norm reduces in place; x.square() would copy all of x
            energy = float(torch.linalg.vector_norm(self.x, dim=-1).square().mean())
            self._recon_limit = [EXPLODE_FACTOR * max(r, energy, 1e-6) for r in self._first]
        if max(r / limit for r, limit in zip(recon, self._recon_limit, strict=True)) > 1:
            return (
                f"training diverged at step {step}: the reconstruction error grew over "
                f"{EXPLODE_FACTOR:g} times its starting size: lower the learning rate "
                f"(lr={self.lr:g}) or λ; {_restored(step)}"
            )
        return None

    def _advice(self) -> str:
        """What to change after a NaN/inf loss: the data's scale when its values are so large
        that squared errors overflow float32 (no learning rate helps then), else lr or λ."""
        largest = float(self.x.abs().max()) if self.x.numel() else 0.0
        if not math.isfinite(largest) or largest > HUGE_DATA_VALUE:
            return (
                f"the data's values are too large (max |x| = {largest:.3g}): their squares "
                "overflow float32; standardise or scale them (preprocessing) first"
            )
        return f"lower the learning rate (lr={self.lr:g}) or λ"
