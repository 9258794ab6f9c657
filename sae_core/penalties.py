"""Sparsity penalties R as pure functions (SAE_NOTES.md, "Sparsity mechanisms").

Every function takes tensors with any number of leading model dimensions ``...`` so the same code
serves one model ([B, d_sae]) and a stacked sweep ([N, B, d_sae]). Each returns the per-model
penalty averaged over the batch: shape ``[...]`` (a scalar for one model).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
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
    kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
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


PenaltyFn = Callable[[Tensor, Tensor, float], Tensor]

# Display name -> penalty(latents, W_enc, rho). One registry, as in TensorFlow Playground.
PENALTIES: dict[str, PenaltyFn] = {
    "none": lambda f, W, rho: zero_penalty(f),
    "l1": lambda f, W, rho: l1_penalty(f),
    "l2": lambda f, W, rho: l2_penalty(f),
    "kl": lambda f, W, rho: kl_penalty(f, rho),
    "contractive": lambda f, W, rho: contractive_penalty(f, W),
    "topk": lambda f, W, rho: zero_penalty(f),
}

PENALTY_LATEX: dict[str, str] = {
    "none": r"R = 0",
    "l1": r"R(f) = \sum_j |f_j|",
    "l2": r"R(f) = \sum_j f_j^2",
    "kl": r"R(f) = \sum_j \rho\log\frac{\rho}{\hat\rho_j} + (1-\rho)\log\frac{1-\rho}{1-\hat\rho_j},"
    r"\ \hat\rho_j = \tfrac{1}{B}\sum_b f_{bj}",
    "contractive": r"R(f) = \|\partial f/\partial x\|_F^2 = \sum_j \big(f_j(1-f_j)\big)^2\,"
    r"\|W_{enc}[:,j]\|^2",
    "topk": r"R = 0,\ \ f = \mathrm{TopK}_k(\mathrm{ReLU}(\cdot))\ \Rightarrow\ L_0 \le k",
}
