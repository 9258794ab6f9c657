r"""The encoders and losses of the threshold SAEs: JumpReLU and BatchTopK (SAE_NOTES.md, "The
field's current SAEs"). The method registry (:mod:`sae_core.methods`) points at these.

JumpReLU (Rajamanoharan et al. 2024): ``f_j = z_j · H(z_j − θ_j)`` with a learned θ_j > 0. The step
H has zero gradient almost everywhere, so θ learns through straight-through pseudo-derivatives
with a rectangle kernel ``K(u) = 1[|u| < 1/2]`` of bandwidth ε:

    ∂f/∂θ = −(θ/ε) K((z − θ)/ε)          ∂H(z − θ)/∂θ = −(1/ε) K((z − θ)/ε)

while ``∂f/∂z = H(z − θ)`` and ``∂H/∂z = 0`` (the L0 penalty reaches only θ, as in SAELens).

BatchTopK (Bussmann et al. 2024): in training keep the k·B largest ReLU activations of the whole
batch; at inference ``f = z · 1[z > θ]`` with one threshold θ, the running mean of the smallest
kept activation (dictionary_learning), stored per latent (all equal) so it exports as a JumpReLU.

All functions take any number of leading model dimensions ``...`` (a stacked sweep).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

# BatchTopK's running threshold: θ ← β θ + (1 − β) min kept activation. dictionary_learning uses
# 0.999 after 1000 steps over runs of ~10⁵ steps; our runs are ~10³ steps, so a shorter memory.
THRESHOLD_BETA = 0.99
UNSET_THRESHOLD = -1.0  # BatchTopK's θ before its first batch: every ReLU output passes


def rectangle(u: Tensor) -> Tensor:
    """K(u) = 1[|u| < 1/2] (float, like u)."""
    return (u.abs() < 0.5).to(u.dtype)


class _JumpReLU(torch.autograd.Function):
    """f = z·H(z − θ) with the straight-through ∂f/∂θ (module docstring)."""

    @staticmethod
    def forward(ctx: Any, z: Tensor, theta: Tensor, bandwidth: float) -> Tensor:
        ctx.save_for_backward(z, theta)
        ctx.bandwidth = bandwidth
        return z * (z > theta).to(z.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, Tensor, None]:
        z, theta = ctx.saved_tensors
        eps = ctx.bandwidth
        grad_z = grad * (z > theta).to(z.dtype)
        grad_theta = -(theta / eps) * rectangle((z - theta) / eps) * grad
        return grad_z, grad_theta.sum_to_size(theta.shape), None


class _Step(torch.autograd.Function):
    """H(z − θ) with the straight-through ∂H/∂θ = −(1/ε) K((z − θ)/ε) and no gradient to z."""

    @staticmethod
    def forward(ctx: Any, z: Tensor, theta: Tensor, bandwidth: float) -> Tensor:
        ctx.save_for_backward(z, theta)
        ctx.bandwidth = bandwidth
        return (z > theta).to(z.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, Tensor, None]:
        z, theta = ctx.saved_tensors
        eps = ctx.bandwidth
        grad_theta = -(1.0 / eps) * rectangle((z - theta) / eps) * grad
        return torch.zeros_like(z), grad_theta.sum_to_size(theta.shape), None


def jumprelu(pre_acts: Tensor, threshold: Tensor, bandwidth: float) -> Tensor:
    """pre_acts [..., B, d_sae], threshold θ [..., d_sae] -> latents z·H(z − θ) [..., B, d_sae]."""
    return _JumpReLU.apply(pre_acts, threshold.unsqueeze(-2), bandwidth)


def step(pre_acts: Tensor, threshold: Tensor, bandwidth: float) -> Tensor:
    """H(z − θ) [..., B, d_sae] (1 where a latent fires), differentiable in θ only."""
    return _Step.apply(pre_acts, threshold.unsqueeze(-2), bandwidth)


def jumprelu_l0(pre_acts: Tensor, threshold: Tensor, bandwidth: float) -> Tensor:
    """Mean over the batch of Σ_j H(z_j − θ_j): [..., B, d_sae] -> [...]."""
    return step(pre_acts, threshold, bandwidth).sum(-1).mean(-1)


def jumprelu_penalty(pre_acts: Tensor, threshold: Tensor, cfg: Any) -> Tensor:
    """R = L0 (batch mean), or (L0/target − 1)² when ``cfg.target_l0`` is set. -> [...]."""
    l0 = jumprelu_l0(pre_acts, threshold, cfg.jumprelu_bandwidth)
    if cfg.target_l0 is None:
        return l0
    return (l0 / cfg.target_l0 - 1).square()


def batch_topk(pre_acts: Tensor, k: int) -> Tensor:
    """Keep the k·B largest ReLU outputs of the whole batch: [..., B, d_sae] -> [..., B, d_sae]."""
    acts = torch.relu(pre_acts)
    *lead, batch, d_sae = acts.shape
    flat = acts.reshape(*lead, batch * d_sae)
    keep = min(k * batch, flat.shape[-1])
    values, indices = flat.topk(keep, dim=-1, sorted=False)
    return torch.zeros_like(flat).scatter_(-1, indices, values).reshape(acts.shape)


def threshold_relu(pre_acts: Tensor, threshold: Tensor) -> Tensor:
    """Inference BatchTopK: z·1[z > θ] with z = ReLU(pre): [..., B, d_sae], θ [..., d_sae]."""
    acts = torch.relu(pre_acts)
    return acts * (acts > threshold.unsqueeze(-2)).to(acts.dtype)


def batchtopk_encoder(
    pre_acts: Tensor, params: Mapping[str, Tensor], cfg: Any, training: bool
) -> Tensor:
    """The k·B largest in training, the running threshold at inference."""
    if training:
        return batch_topk(pre_acts, cfg.k)
    return threshold_relu(pre_acts, params["threshold"])


@torch.no_grad()
def update_batchtopk_threshold(
    params: Mapping[str, Tensor], latents: Tensor, cfg: Any, beta: float = THRESHOLD_BETA
) -> None:
    """θ ← β θ + (1 − β) · (smallest positive kept activation of the batch), per model, in place.

    params["threshold"]: [N, d_sae] (all equal per model); latents: [N, B, d_sae]. A model whose
    batch kept nothing positive keeps θ; the first batch sets θ outright.
    """
    theta = params["threshold"]
    flat = latents.reshape(latents.shape[0], -1)
    smallest = torch.where(flat > 0, flat, torch.full_like(flat, torch.inf)).amin(-1)  # [N]
    seen = torch.isfinite(smallest)
    first = theta[:, 0] < 0
    mixed = beta * theta[:, 0] + (1 - beta) * smallest
    new = torch.where(first, smallest, mixed)
    theta.copy_(torch.where(seen, new, theta[:, 0]).unsqueeze(-1).expand_as(theta))


@torch.no_grad()
def keep_thresholds_positive(params: Mapping[str, Tensor], latents: Tensor, cfg: Any) -> None:
    """JumpReLU's θ stays > 0 (a θ ≤ 0 would let negative pre-activations through)."""
    params["threshold"].clamp_(min=MIN_THRESHOLD)


MIN_THRESHOLD = 1e-6
