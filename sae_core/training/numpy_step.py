"""The hand-written SAE step of :mod:`sae_core.training.torch_step` in NumPy, for training on the CPU.

Small models are bound by per-operation overhead, not arithmetic: a torch CPU op costs 7–11 µs
to dispatch, a NumPy op about 2 µs, and NumPy's BLAS matmul was as fast as torch's at every
shape we measured (docs/benchmarks.md). The Trainer keeps its parameters in torch tensors and
runs this step on NumPy views of the same memory, so nothing is copied and the torch optimiser
still updates the weights. Same formulas, shapes and conventions as ``fast_step.forward_backward``;
every array is float32 except the masks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch

from sae_core.config import SAEConfig
from sae_core.training.torch_step import PARAM_ORDER


@dataclass(frozen=True, kw_only=True)
class NumpyStepResult:
    """Per-model [N] loss terms and mean L0, and which latents fired on the batch [N, d_sae]."""

    loss: np.ndarray
    recon: np.ndarray
    penalty: np.ndarray
    l0: np.ndarray
    fired: np.ndarray


@dataclass(frozen=True, kw_only=True)
class NumpyAuxK:
    """AuxK inputs: ``dead`` [N, d_sae] bool, ``k`` latents, loss weight ``coef``."""

    dead: np.ndarray
    k: int
    coef: float


def top_k_mask(values: np.ndarray, k: int) -> np.ndarray:
    """True at the k largest entries of each row: [..., d] -> [..., d] bool (ties: any k).

    torch.topk on a zero-copy view: 4× faster than np.argpartition here, which slows down
    badly on rows full of equal values (the zeros of ReLU outputs).
    """
    if k >= values.shape[-1]:
        return np.ones(values.shape, dtype=bool)
    keep = torch.from_numpy(values).topk(k, dim=-1, sorted=False).indices.numpy()
    mask = np.zeros(values.shape, dtype=bool)
    np.put_along_axis(mask, keep, True, axis=-1)
    return mask


def _per_model(a: np.ndarray) -> np.ndarray:
    """Sum over the last two axes: [..., B, k] -> [...] (at least 1-D)."""
    return np.atleast_1d(a.sum(axis=(-2, -1), dtype=np.float32))


def _sum_squares(a: np.ndarray) -> np.ndarray:
    """Σ a² over the last two axes without a squared temporary: [..., B, k] -> [N] float32."""
    if a.ndim == 2:
        return np.atleast_1d(np.vdot(a, a))
    return np.einsum("nij,nij->n", a, a)


def forward_backward_numpy(
    x: np.ndarray,
    params: Mapping[str, np.ndarray],
    grads: Mapping[str, np.ndarray],
    cfg: SAEConfig,
    lam: np.ndarray,
    *,
    auxk: NumpyAuxK | None = None,
) -> NumpyStepResult:
    """Loss terms of one step; the gradients are written into ``grads`` (NumPy views).

    x: [B, d_in] (shared) or [N, B, d_in]; params and grads: PARAM_ORDER arrays with a leading
    model dimension N; lam: [N] float32. Methods none, l1, l2 and topk (untied weights).
    """
    squeeze = x.ndim == 2 and lam.shape[0] == 1
    p = {name: params[name][0] if squeeze else params[name] for name in PARAM_ORDER}
    g = {name: grads[name][0] if squeeze else grads[name] for name in PARAM_ORDER}
    lam_b = lam.reshape(()) if squeeze else lam.reshape(-1, 1, 1)
    W_enc, W_dec, b_enc, b_dec = (p[name] for name in PARAM_ORDER)
    batch = x.shape[-2]
    x_c = x - b_dec[..., None, :]
    pre = np.matmul(x_c, W_enc)
    pre += b_enc[..., None, :]
    latents = np.maximum(pre, 0, out=None if auxk else pre)  # AuxK still needs pre
    if cfg.method == "topk" and cfg.k < latents.shape[-1]:
        latents *= top_k_mask(latents, cfg.k)
    fired = latents > 0
    err = np.matmul(latents, W_dec)
    err -= x_c  # x̂ − x = f W_dec + b_dec − x = f W_dec − x_c
    recon = _sum_squares(err) / batch
    penalty = _penalty(latents, cfg) / batch
    loss = recon + lam * penalty
    aux = None if auxk is None else _auxk_terms(pre, err, W_dec, auxk, squeeze)

    g_err = err
    g_err *= np.float32(2.0 / batch)
    np.matmul(latents.swapaxes(-1, -2), g_err, out=g["W_dec"])
    np.sum(g_err, axis=-2, out=g["b_dec"])
    g_pre = np.matmul(g_err, W_dec.swapaxes(-1, -2))
    if cfg.method == "l1":
        g_pre += lam_b / batch
    elif cfg.method == "l2":
        g_pre += latents * (2 * lam_b / batch)
    g_pre *= fired
    if aux is not None:
        loss = loss + aux.loss
        g["W_dec"] += aux.grad_W_dec
        g_pre += aux.grad_pre
    np.matmul(x_c.swapaxes(-1, -2), g_pre, out=g["W_enc"])
    np.sum(g_pre, axis=-2, out=g["b_enc"])
    g["b_dec"] -= np.matmul(W_enc, g["b_enc"][..., None])[..., 0]
    if cfg.weight_decay:
        wd = np.float32(cfg.weight_decay)
        loss = loss + wd * (_per_model(np.square(W_enc)) + _per_model(np.square(W_dec)))
        g["W_enc"] += (2 * wd) * W_enc
        g["W_dec"] += (2 * wd) * W_dec
    return NumpyStepResult(
        loss=loss,
        recon=recon,
        penalty=penalty,
        l0=np.atleast_1d(np.count_nonzero(fired, axis=(-2, -1))) / np.float32(batch),
        fired=fired.any(axis=-2).reshape(lam.shape[0], -1),
    )


def _penalty(latents: np.ndarray, cfg: SAEConfig) -> np.ndarray:
    """Batch-summed penalty per model (latents ≥ 0, so |f| = f): [..., B, d_sae] -> [N]."""
    if cfg.method == "l1":
        return _per_model(latents)
    if cfg.method == "l2":
        return _sum_squares(latents)
    return np.zeros(1 if latents.ndim == 2 else latents.shape[0], dtype=np.float32)


@dataclass(frozen=True, kw_only=True)
class _AuxTerms:
    loss: np.ndarray  # [N], already weighted by coef
    grad_W_dec: np.ndarray | float  # like W_dec
    grad_pre: np.ndarray | float  # like pre


def _auxk_terms(
    pre: np.ndarray, err: np.ndarray, W_dec: np.ndarray, auxk: NumpyAuxK, squeeze: bool
) -> _AuxTerms:
    """AuxK (Gao et al. 2024): the dead latents' k largest ReLU pre-activations reconstruct the
    detached residual x − x̂ = −err, so aux_err = f_aux W_dec + err. ``err`` must still be x̂ − x."""
    n_models = auxk.dead.shape[0]
    if not auxk.dead.any():
        return _AuxTerms(loss=np.zeros(n_models, np.float32), grad_W_dec=0.0, grad_pre=0.0)
    batch = pre.shape[-2]
    dead = auxk.dead[0] if squeeze else auxk.dead[:, None, :]
    masked = np.where(dead, np.maximum(pre, 0), np.float32(0))
    masked *= top_k_mask(masked, auxk.k)
    aux_err = np.matmul(masked, W_dec)
    aux_err += err
    loss = np.float32(auxk.coef) * _per_model(np.square(aux_err)) / batch
    g_aux = aux_err * np.float32(2.0 * auxk.coef / batch)
    grad_pre = np.matmul(g_aux, W_dec.swapaxes(-1, -2))
    grad_pre *= masked > 0
    return _AuxTerms(
        loss=loss, grad_W_dec=np.matmul(masked.swapaxes(-1, -2), g_aux), grad_pre=grad_pre
    )
