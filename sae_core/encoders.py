r"""The encoders and losses of the field's current SAEs: JumpReLU, BatchTopK, Matryoshka and Gated
(SAE_NOTES.md, "The field's current SAEs"). The method registry (:mod:`sae_core.methods`) points
at these.

JumpReLU (Rajamanoharan et al. 2024): ``f_j = z_j · H(z_j − θ_j)`` with a learned θ_j > 0. The step
H has zero gradient almost everywhere, so θ learns through straight-through pseudo-derivatives
with a rectangle kernel ``K(u) = 1[|u| < 1/2]`` of bandwidth ε:

    ∂f/∂θ = −(θ/ε) K((z − θ)/ε)          ∂H(z − θ)/∂θ = −(1/ε) K((z − θ)/ε)

while ``∂f/∂z = H(z − θ)`` and ``∂H/∂z = 0`` (the L0 penalty reaches only θ, as in SAELens).

BatchTopK (Bussmann et al. 2024): in training keep the k·B largest ReLU activations of the whole
batch; at inference ``f = z · 1[z > θ]`` with one threshold θ, the running mean of the smallest
kept activation (dictionary_learning), stored per latent (all equal) so it exports as a JumpReLU.

Matryoshka BatchTopK (Bussmann et al. 2025; SAELens ``matryoshka_batchtopk``): BatchTopK codes.
With prefix sizes m_1 < m_2 < … < m_P = d_sae (``methods.matryoshka_prefixes``), the first m
latents alone decode to ``x̂_{≤m} = f[:m] W_dec[:m] + b_dec``, and training minimises

    L = (1/P) Σ_p ‖x − x̂_{≤m_p}‖²

the *mean* over prefixes (SAE_NOTES writes the sum; the mean keeps the loss on the scale of one
reconstruction, so the learning rate and the loss curve compare with BatchTopK's; the gradient's
direction is the same). Every prefix must reconstruct on its own, so early latents take the
coarse, frequent directions and later ones refine them. No λ: k sets the sparsity.

Gated (Rajamanoharan et al. 2024; SAELens ``gated``): two paths share one matrix, W_gate = our
W_enc (and b_gate = our b_enc):

    π = W_gateᵀ (x − b_dec) + b_gate                       (the gate: which latents fire)
    μ = (exp(r_mag) ⊙ W_gate)ᵀ (x − b_dec) + b_mag          (the magnitude: how much)
    f = 1[π > 0] ⊙ ReLU(μ)

The step 1[π > 0] has no gradient, so the gate learns from its own two terms:

    L = ‖x − x̂(f)‖² + λ Σ_j ReLU(π_j) ‖W_dec[j]‖ + ‖x − (ReLU(π) W_dec + b_dec)|frozen‖²

where "frozen" means W_dec and b_dec are detached in that last term (only the encoder learns from
it). Since μ = exp(r_mag)·(π − b_gate) + b_mag, the magnitude path is computed from π.

All functions take any number of leading model dimensions ``...`` (a stacked sweep).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from sae_core.topk import topk_rows

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
    values, indices = topk_rows(flat, keep)  # 3× torch.topk on the CPU at [256, 4096]
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


# --- Matryoshka: the nested reconstruction loss


def prefix_reconstructions(
    latents: Tensor, W_dec: Tensor, b_dec: Tensor, prefixes: Sequence[int]
) -> list[Tensor]:
    """x̂_{≤m} for each prefix m: latents [..., B, d_sae], W_dec [..., d_sae, d_in], b_dec
    [..., d_in] -> P tensors [..., B, d_in] (the last is the full reconstruction)."""
    out: list[Tensor] = []
    acc = b_dec.unsqueeze(-2)
    start = 0
    for end in prefixes:  # each block's contribution added once: P matmuls in all
        acc = acc + latents[..., start:end] @ W_dec[..., start:end, :]
        out.append(acc)
        start = end
    return out


def prefix_errors(
    x: Tensor, latents: Tensor, W_dec: Tensor, b_dec: Tensor, prefixes: Sequence[int]
) -> Tensor:
    """‖x − x̂_{≤m}‖² per prefix, batch mean: -> [P, ...]. Training minimises its mean over P."""
    parts = prefix_reconstructions(latents, W_dec, b_dec, prefixes)
    return torch.stack([(x_hat - x).square().sum(-1).mean(-1) for x_hat in parts])


# --- Gated: encoder, penalty and the frozen-decoder gate loss


def gated_encoder(
    pre_acts: Tensor, params: Mapping[str, Tensor], cfg: Any, training: bool
) -> Tensor:
    """π [..., B, d_sae] (our pre-activations) -> f = 1[π > 0] ⊙ ReLU(μ) [..., B, d_sae].

    params: ``b_enc`` (b_gate), ``r_mag`` and ``b_mag``, each [..., d_sae].
    """
    b_gate = params["b_enc"].unsqueeze(-2)
    scale = params["r_mag"].exp().unsqueeze(-2)
    magnitude = scale * (pre_acts - b_gate) + params["b_mag"].unsqueeze(-2)
    return (pre_acts > 0).to(pre_acts.dtype) * torch.relu(magnitude)


def gated_penalty(pre_acts: Tensor, W_dec: Tensor) -> Tensor:
    """R = Σ_j ReLU(π_j) ‖W_dec[j]‖, batch mean: π [..., B, d_sae], W_dec [..., d_sae, d_in] ->
    [...]."""
    norms = W_dec.norm(dim=-1).unsqueeze(-2)  # [..., 1, d_sae]
    return (torch.relu(pre_acts) * norms).sum(-1).mean(-1)


def gated_recon_loss(
    x: Tensor, x_hat: Tensor, pre_acts: Tensor, W_dec: Tensor, b_dec: Tensor
) -> Tensor:
    """‖x − x̂‖² + ‖x − x̂_frozen(ReLU(π))‖² (W_dec, b_dec detached), batch means: -> [...].

    x, x_hat [..., B, d_in]; π [..., B, d_sae]; W_dec [..., d_sae, d_in]; b_dec [..., d_in].
    """
    plain = (x_hat - x).square().sum(-1).mean(-1)
    via_gate = torch.relu(pre_acts) @ W_dec.detach() + b_dec.detach().unsqueeze(-2)
    return plain + (via_gate - x).square().sum(-1).mean(-1)
