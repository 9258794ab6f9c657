r"""Hand-written forward and backward pass for untied ReLU SAEs (none, l1, l2, topk; AuxK).

Autograd records a graph, keeps every intermediate and runs a generic backward, which on the small
models this app trains costs as much as the arithmetic (docs/benchmarks.md). For a ReLU SAE the
gradients have a short closed form. With ``x_c = x − b_dec``, ``e = x̂ − x``, ``g = 2e/B`` and
``m = [f > 0]`` (ReLU's derivative; TopK's unselected latents are 0 too):

    ∂L/∂W_dec = fᵀ g                                  ∂L/∂b_dec = Σ_b g − W_enc · ∂L/∂b_enc
    ∂L/∂pre   = (g W_decᵀ + λ ∂R/∂f) ⊙ m              ∂L/∂W_enc = x_cᵀ ∂L/∂pre
    ∂L/∂b_enc = Σ_b ∂L/∂pre

so a step costs five matmuls (autograd's sixth, the gradient of x_c, collapses to the matrix-vector
product in ∂L/∂b_dec). ∂R/∂f is λ/B for L1 and 2λf/B for L2. Every function accepts one model
(2-D weights) or a stack of N (a leading model dimension), like :mod:`sae_core.model`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import Tensor

from sae_core.config import SAEConfig, TrainConfig
from sae_core.model import activate

FAST_METHODS: frozenset[str] = frozenset({"none", "l1", "l2", "topk"})
PARAM_ORDER: tuple[str, ...] = ("W_enc", "W_dec", "b_enc", "b_dec")


def fast_step_applies(cfg: SAEConfig, train_config: TrainConfig) -> bool:
    """True when :func:`forward_backward` computes this model's exact gradients.

    Sigmoid methods (kl, contractive) and tied weights keep autograd. Unit-norm decoders qualify:
    their renormalisation happens after the optimiser step, outside the gradient.
    """
    del train_config  # every training option (λ warm-up, remedies, weight decay) is handled
    return cfg.method in FAST_METHODS and not cfg.tied


def flatten_params(params: Mapping[str, Tensor]) -> tuple[Tensor, dict[str, Tensor]]:
    """Copy ``params`` (PARAM_ORDER names) into one contiguous buffer [P].

    Returns the buffer and views of it with the original shapes: the optimiser then updates every
    parameter in one fused kernel over one tensor.
    """
    flat = torch.cat([params[name].detach().reshape(-1) for name in PARAM_ORDER])
    return flat, views_like(flat, params)


def views_like(flat: Tensor, params: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """Views of ``flat`` [P] laid out like :func:`flatten_params` lays out ``params``."""
    views: dict[str, Tensor] = {}
    offset = 0
    for name in PARAM_ORDER:
        shape = params[name].shape
        size = params[name].numel()
        views[name] = flat[offset : offset + size].view(shape)
        offset += size
    return views


@dataclass(frozen=True, kw_only=True)
class StepResult:
    """Per-model loss terms [N] and the latents [B, d_sae] (one model) or [N, B, d_sae]."""

    loss: Tensor
    recon: Tensor
    penalty: Tensor
    latents: Tensor


@dataclass(frozen=True, kw_only=True)
class AuxK:
    """The AuxK term (Gao et al. 2024): ``dead`` [N, d_sae] bool, ``k`` latents, weight ``coef``."""

    dead: Tensor
    k: int
    coef: float


def _matmul_into(a: Tensor, b: Tensor, out: Tensor) -> None:
    if out.ndim == 2:
        torch.mm(a, b, out=out)
    else:
        torch.bmm(a, b, out=out)


def _per_model(t: Tensor) -> Tensor:
    """Sum over the batch and feature dimensions: [..., B, k] -> [...]."""
    return t.sum((-2, -1))


@torch.no_grad()
def forward_backward(
    x: Tensor,
    params: Mapping[str, Tensor],
    grads: Mapping[str, Tensor],
    cfg: SAEConfig,
    lam: Tensor,
    *,
    auxk: AuxK | None = None,
) -> StepResult:
    """One training step's loss and gradients, the gradients written into ``grads``.

    x: [B, d_in] (shared by all models) or [N, B, d_in]. params and grads: PARAM_ORDER tensors
    with a leading model dimension N (W_enc [N, d_in, d_sae], W_dec [N, d_sae, d_in], b_enc
    [N, d_sae], b_dec [N, d_in]). lam: [N]. The loss equals :class:`~sae_core.training.trainer.Trainer`'s
    autograd objective (reconstruction + λ·penalty + weight decay + AuxK), and the gradients
    equal autograd's to float rounding.
    """
    squeeze = x.ndim == 2 and lam.shape[0] == 1
    if squeeze:  # one model: 2-D matmuls beat batched ones
        p = {name: t[0] for name, t in params.items()}
        g = {name: t[0] for name, t in grads.items()}
        lam_b = lam.reshape(())
    else:
        p, g = dict(params), dict(grads)
        lam_b = lam.reshape(-1, 1, 1)
    W_enc, W_dec, b_enc, b_dec = (p[name] for name in PARAM_ORDER)
    batch = x.shape[-2]
    x_c = x - b_dec.unsqueeze(-2)
    pre = torch.baddbmm(b_enc.unsqueeze(-2), x_c, W_enc) if not squeeze else x_c @ W_enc + b_enc
    latents = activate(pre, cfg)
    err = latents @ W_dec - x_c  # x̂ − x = f W_dec + b_dec − x
    recon = _per_model(err.square()) / batch
    penalty = _penalty(latents, cfg) / batch
    loss = recon + lam.reshape(recon.shape) * penalty

    g_err = err * (2.0 / batch)
    _matmul_into(latents.transpose(-1, -2), g_err, g["W_dec"])
    torch.sum(g_err, dim=-2, out=g["b_dec"])
    g_pre = g_err @ W_dec.transpose(-1, -2)
    if cfg.method == "l1":
        g_pre.add_(lam_b / batch)
    elif cfg.method == "l2":
        g_pre.add_(latents * (2.0 / batch) * lam_b)
    g_pre.mul_(latents > 0)
    if auxk is not None:
        loss = loss + auxk.coef * _auxk_into(pre, err, W_dec, g, g_pre, auxk, squeeze)
    _matmul_into(x_c.transpose(-1, -2), g_pre, g["W_enc"])
    torch.sum(g_pre, dim=-2, out=g["b_enc"])
    g["b_dec"].sub_((W_enc @ g["b_enc"].unsqueeze(-1)).squeeze(-1))
    if cfg.weight_decay:
        loss = loss + cfg.weight_decay * (_per_model(W_enc.square()) + _per_model(W_dec.square()))
        g["W_enc"].add_(W_enc, alpha=2 * cfg.weight_decay)
        g["W_dec"].add_(W_dec, alpha=2 * cfg.weight_decay)
    return StepResult(
        loss=loss.reshape(-1),
        recon=recon.reshape(-1),
        penalty=penalty.reshape(-1),
        latents=latents,
    )


def _penalty(latents: Tensor, cfg: SAEConfig) -> Tensor:
    """Batch-summed penalty per model (latents ≥ 0, so |f| = f): [..., B, d_sae] -> [...]."""
    if cfg.method == "l1":
        return _per_model(latents)
    if cfg.method == "l2":
        return _per_model(latents.square())
    return latents.new_zeros(latents.shape[:-2])


def _auxk_into(
    pre: Tensor,
    err: Tensor,
    W_dec: Tensor,
    g: dict[str, Tensor],
    g_pre: Tensor,
    auxk: AuxK,
    squeeze: bool,
) -> Tensor:
    """Adds the AuxK gradients to ``g["W_dec"]`` and ``g_pre``; returns the AuxK loss [...].

    The dead latents' k largest ReLU pre-activations reconstruct the (detached) residual
    ``x − x̂ = −err``: aux_err = f_aux W_dec + err.
    """
    dead = auxk.dead[0] if squeeze else auxk.dead.unsqueeze(-2)
    if not bool(auxk.dead.any()):
        return pre.new_zeros(pre.shape[:-2])
    batch = pre.shape[-2]
    k = min(auxk.k, pre.shape[-1])
    masked = torch.where(dead, torch.relu(pre), torch.zeros_like(pre))
    values, indices = masked.topk(k, dim=-1, sorted=False)
    aux_latents = torch.zeros_like(pre).scatter_(-1, indices, values)
    aux_err = aux_latents @ W_dec + err
    g_aux = aux_err * (2.0 * auxk.coef / batch)
    g["W_dec"].add_(aux_latents.transpose(-1, -2) @ g_aux)
    g_pre.add_((g_aux @ W_dec.transpose(-1, -2)).mul_(aux_latents > 0))
    return _per_model(aux_err.square()) / batch
