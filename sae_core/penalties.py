"""Sparsity penalties R as pure functions (SAE_NOTES.md, "Sparsity mechanisms").

Every function takes tensors with any number of leading model dimensions ``...`` so the same code
serves one model ([B, d_sae]) and a stacked sweep ([N, B, d_sae]). Each returns the per-model
penalty averaged over the batch: shape ``[...]`` (a scalar for one model).

The method registry (:mod:`sae_core.methods`) says which penalty each method uses and its formula.
Only tensor methods here, never ``import torch``: the registry and configs import this module,
and must stay cheap to import (the CLI parser, say).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from torch import Tensor

KL_EPS = 1e-6  # keeps log() finite when a sigmoid latent saturates at exactly 0 or 1


def l1_penalty(latents: Tensor) -> Tensor:
    """Σ_j |f_j| per sample, mean over the batch. latents: [..., B, d_sae] -> [...]."""
    return latents.abs().sum(-1).mean(-1)


def l2_penalty(latents: Tensor) -> Tensor:
    """Σ_j f_j² per sample, mean over the batch. latents: [..., B, d_sae] -> [...]."""
    return latents.square().sum(-1).mean(-1)


def kl_penalty(latents: Tensor, rho: float) -> Tensor:
    """Σ_j KL(ρ ‖ ρ̂_j) with ρ̂_j the batch mean of sigmoid latent j (UFLDL).

    latents: [..., B, d_sae] in (0, 1) -> [...]. Already a batch statistic, so no further mean.
    """
    rho_hat = latents.mean(-2).clamp(KL_EPS, 1 - KL_EPS)  # [..., d_sae]
    kl = rho * (rho / rho_hat).log() + (1 - rho) * ((1 - rho) / (1 - rho_hat)).log()
    return kl.sum(-1)


def contractive_penalty(latents: Tensor, W_enc: Tensor) -> Tensor:
    """‖∂f/∂x‖²_F for a sigmoid encoder in closed form (Rifai et al. 2011).

    For f = σ(W_encᵀ x + b), ∂f_j/∂x = f_j(1 − f_j) W_enc[:, j], so the squared Frobenius norm is
    Σ_j (f_j(1 − f_j))² ‖W_enc[:, j]‖². latents: [..., B, d_sae], W_enc: [..., d_in, d_sae] -> [...].
    """
    col_norms_sq = W_enc.square().sum(-2).unsqueeze(-2)  # [..., 1, d_sae]
    slope_sq = (latents * (1 - latents)).square()  # [..., B, d_sae]
    return (slope_sq * col_norms_sq).sum(-1).mean(-1)


def zero_penalty(latents: Tensor) -> Tensor:
    """No activation penalty (plain autoencoder, or TopK where k sets L0). -> [...] zeros."""
    return latents.new_zeros(latents.shape[:-2])


# --- The same penalties in NumPy with their gradients, for the hand-written step
# (sae_core/training/numpy_step.py). Only for ReLU latents (f ≥ 0, so |f| = f). Each takes
# latents [B, d_sae] (one model) or [N, B, d_sae] and returns (R [N] as above, ∂R/∂f: an array
# like latents or a scalar).

NumpyPenaltyFn = Callable[[np.ndarray], tuple[np.ndarray, "np.ndarray | float"]]


def _batch_mean(total: np.ndarray, latents: np.ndarray) -> np.ndarray:
    return np.atleast_1d(total / np.float32(latents.shape[-2]))


def l1_penalty_numpy(latents: np.ndarray) -> tuple[np.ndarray, np.ndarray | float]:
    """L1 for f ≥ 0: R = Σ_j f_j (batch mean), ∂R/∂f = 1/B."""
    total = latents.sum(axis=(-2, -1), dtype=np.float32)
    return _batch_mean(total, latents), 1.0 / latents.shape[-2]


def l2_penalty_numpy(latents: np.ndarray) -> tuple[np.ndarray, np.ndarray | float]:
    """L2: R = Σ_j f_j² (batch mean), ∂R/∂f = 2f/B."""
    flat = latents.reshape(-1, latents.shape[-2] * latents.shape[-1])
    total = np.einsum("ni,ni->n", flat, flat)  # Σ f² without a squared temporary
    return _batch_mean(total, latents), latents * np.float32(2.0 / latents.shape[-2])


def zero_penalty_numpy(latents: np.ndarray) -> tuple[np.ndarray, np.ndarray | float]:
    """No penalty: R = 0, ∂R/∂f = 0."""
    return np.zeros(1 if latents.ndim == 2 else latents.shape[0], np.float32), 0.0
