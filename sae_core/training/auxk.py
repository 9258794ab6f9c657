r"""AuxK (Gao et al. 2024): dead latents learn to model what the live ones miss.

With ``f_aux`` the ``k`` largest ReLU pre-activations among the dead latents (the rest 0) and the
residual ``x − x̂`` detached (no gradient reaches the main reconstruction through it):

    aux = mean_b ‖f_aux W_dec − (x − x̂)‖²

Both implementations return ``aux`` **without** its weight: the engines add
``aux_coef · aux`` to the loss. The NumPy one also returns the gradients of that weighted term
(``coef · aux``), which the hand-written step adds to its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from sae_core.topk import topk_rows
from sae_core.training.numpy_ops import sum_squares, top_k_mask


def _dead_shape(dead_shape: tuple[int, ...], pre_ndim: int) -> tuple[int, ...]:
    """dead [N, d_sae] reshaped to broadcast against pre [B, d_sae] (N = 1) or [N, B, d_sae]."""
    return (-1,) if pre_ndim == 2 else (dead_shape[0], 1, -1)


def auxk_loss(x: Tensor, x_hat: Tensor, pre: Tensor, W_dec: Tensor, dead: Tensor, k: int) -> Tensor:
    """The AuxK loss per model, unweighted (torch, differentiable).

    x, x_hat: [..., B, d_in]; pre: pre-activations [..., B, d_sae]; W_dec: [..., d_sae, d_in];
    dead: [N, d_sae] bool. -> [...] (zeros when no latent is dead).
    """
    if not bool(dead.any()):
        return pre.new_zeros(pre.shape[:-2])
    mask = dead.reshape(_dead_shape(tuple(dead.shape), pre.ndim))
    masked = torch.where(mask, torch.relu(pre), torch.zeros_like(pre))
    values, indices = topk_rows(masked, min(k, pre.shape[-1]))
    aux_latents = torch.zeros_like(pre).scatter_(-1, indices, values)
    residual = (x - x_hat).detach()
    return (aux_latents @ W_dec - residual).square().sum(-1).mean(-1)


@dataclass(frozen=True, kw_only=True)
class AuxKGrads:
    """``loss`` [N] unweighted; the gradients of ``coef · loss`` (0.0 when no latent is dead)."""

    loss: np.ndarray
    grad_W_dec: np.ndarray | float  # like W_dec
    grad_pre: np.ndarray | float  # like pre


def auxk_numpy(
    pre: np.ndarray, err: np.ndarray, W_dec: np.ndarray, dead: np.ndarray, k: int, coef: float
) -> AuxKGrads:
    """The same term in NumPy, with its gradients. ``err`` = x̂ − x (so the detached residual is
    −err and aux_err = f_aux W_dec + err); shapes as in :func:`auxk_loss`, float32."""
    if not dead.any():
        return AuxKGrads(loss=np.zeros(dead.shape[0], np.float32), grad_W_dec=0.0, grad_pre=0.0)
    batch = pre.shape[-2]
    mask = dead.reshape(_dead_shape(dead.shape, pre.ndim))
    masked = np.where(mask, np.maximum(pre, 0), np.float32(0))
    masked *= top_k_mask(masked, k)
    aux_err = np.matmul(masked, W_dec)
    aux_err += err
    loss = sum_squares(aux_err) / np.float32(batch)
    g_aux = aux_err * np.float32(2.0 * coef / batch)
    grad_pre = np.matmul(g_aux, W_dec.swapaxes(-1, -2))
    grad_pre *= masked > 0
    return AuxKGrads(
        loss=loss, grad_W_dec=np.matmul(masked.swapaxes(-1, -2), g_aux), grad_pre=grad_pre
    )
