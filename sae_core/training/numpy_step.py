r"""The hand-written step in NumPy: exact gradients of untied ReLU SAEs without autograd.

Small models are bound by per-operation overhead, not arithmetic: a torch CPU op costs 7–11 µs to
dispatch, a NumPy op about 2 µs, and autograd records a graph and runs a generic backward
(docs/benchmarks.md). For a ReLU SAE the gradients have a short closed form. With
``x_c = x − b_dec``, ``e = x̂ − x``, ``g = 2e/B`` and ``m = [f > 0]`` (ReLU's derivative; TopK's
unselected latents are 0 too):

    ∂L/∂W_dec = fᵀ g                                  ∂L/∂b_dec = Σ_b g − W_enc · ∂L/∂b_enc
    ∂L/∂pre   = (g W_decᵀ + λ ∂R/∂f) ⊙ m              ∂L/∂W_enc = x_cᵀ ∂L/∂pre
    ∂L/∂b_enc = Σ_b ∂L/∂pre

so a step costs five matmuls (autograd's sixth, the gradient of x_c, collapses to the
matrix-vector product in ∂L/∂b_dec). ``R`` and ``∂R/∂f`` come from the method registry
(``Method.numpy_penalty``), AuxK and weight decay from their own modules. The arrays are NumPy
views of the Trainer's flat torch buffers: nothing is copied, and the fused Adam kernel still
updates the weights. Every array is float32 except the masks.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from sae_core import methods
from sae_core.config import SAEConfig, TrainConfig
from sae_core.errors import ConfigError
from sae_core.training.auxk import auxk_numpy
from sae_core.training.flat_adam import FlatParams
from sae_core.training.numpy_ops import sum_squares, top_k_mask
from sae_core.training.step import StepResult
from sae_core.training.weight_decay import weight_decay_numpy


def numpy_step_applies(cfg: SAEConfig, device: torch.device) -> bool:
    """True when :class:`NumpyEngine` computes this model's exact gradients on ``device``.

    Methods whose registry entry says ``fast_step`` (ReLU activations with a NumPy penalty
    gradient), untied weights, on the CPU. Unit-norm decoders qualify: their renormalisation
    happens after the optimiser step, outside the gradient.
    """
    plain = not cfg.tied and not cfg.decoder_norm_penalty  # its penalty ignores W_dec's norms
    return methods.get(cfg.method).fast_step and plain and device.type == "cpu"


class NumpyEngine:
    """The hand-written step for a stack of N untied ReLU models (see the module docstring)."""

    def __init__(self, cfg: SAEConfig, train_config: TrainConfig, weights: FlatParams) -> None:
        method = methods.get(cfg.method)
        if not numpy_step_applies(cfg, weights.flat.device) or method.numpy_penalty is None:
            raise ConfigError(
                f"the NumPy step does not cover method={cfg.method!r} (tied={cfg.tied}) on "
                f"{weights.flat.device}: train it with the autograd engine"
            )
        self._penalty = method.numpy_penalty
        self._top_k = cfg.k if method.activation == "topk" and cfg.k < cfg.d_sae else None
        self._weight_decay = cfg.weight_decay
        self._aux_k, self._aux_coef = min(train_config.aux_k, cfg.d_sae), train_config.aux_coef
        self._params = {name: t.numpy() for name, t in weights.params.items()}
        self._grads = {name: t.numpy() for name, t in weights.grads.items()}

    def loss_and_grads(self, x: Tensor, lam: Tensor, dead: Tensor | None) -> StepResult:
        with np.errstate(invalid="ignore", over="ignore"):  # divergence is checked after
            return self._step(x.numpy(), lam.numpy(), None if dead is None else dead.numpy())

    def _forward(
        self, x: np.ndarray, p: dict[str, np.ndarray], *, keep_pre: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(x_c = x − b_dec, pre-activations, latents, err = x̂ − x). ``pre`` is overwritten by
        the latents unless ``keep_pre`` (AuxK reads it)."""
        x_c = x - p["b_dec"][..., None, :]
        pre = np.matmul(x_c, p["W_enc"])
        pre += p["b_enc"][..., None, :]
        # torch's ReLU on the same memory: ~5× faster than np.maximum's NaN-aware loop
        latents = np.maximum(pre, 0) if keep_pre else torch.relu_(torch.from_numpy(pre)).numpy()
        if self._top_k is not None:
            latents *= top_k_mask(latents, self._top_k)
        err = np.matmul(latents, p["W_dec"])
        err -= x_c  # x̂ − x = f W_dec + b_dec − x = f W_dec − x_c
        return x_c, pre, latents, err

    def _step(self, x: np.ndarray, lam: np.ndarray, dead: np.ndarray | None) -> StepResult:
        n_models = lam.shape[0]
        squeeze = x.ndim == 2 and n_models == 1  # one model: 2-D matmuls beat batched ones
        p = {name: a[0] if squeeze else a for name, a in self._params.items()}
        g = {name: a[0] if squeeze else a for name, a in self._grads.items()}
        lam_b = lam.reshape(()) if squeeze else lam.reshape(-1, 1, 1)
        W_enc, W_dec = p["W_enc"], p["W_dec"]
        batch = x.shape[-2]
        x_c, pre, latents, err = self._forward(x, p, keep_pre=dead is not None)
        # ReLU's derivative mask as float32 1/0 (torch's sign of f ≥ 0): multiplying by it and
        # summing it cost a third of a bool mask's casts
        active = torch.sign(torch.from_numpy(latents)).numpy()
        recon = sum_squares(err) / np.float32(batch)
        penalty, d_penalty = self._penalty(latents)
        loss = recon + lam * penalty
        aux = None  # needs err as x̂ − x, before it becomes the gradient below
        if dead is not None:
            aux = auxk_numpy(pre, err, W_dec, dead, self._aux_k, self._aux_coef)

        g_err = err
        g_err *= np.float32(2.0 / batch)
        np.matmul(latents.swapaxes(-1, -2), g_err, out=g["W_dec"])
        ones = np.ones(batch, np.float32)  # sums over the batch as matvecs: ~4× np.sum(axis=-2)
        np.matmul(ones, g_err, out=g["b_dec"])
        g_pre = np.matmul(g_err, W_dec.swapaxes(-1, -2))
        if isinstance(d_penalty, np.ndarray) or d_penalty:  # a float 0.0: no penalty
            g_pre += lam_b * d_penalty
        g_pre *= active
        if aux is not None:
            loss = loss + np.float32(self._aux_coef) * aux.loss
            g["W_dec"] += aux.grad_W_dec
            g_pre += aux.grad_pre
        np.matmul(x_c.swapaxes(-1, -2), g_pre, out=g["W_enc"])
        np.matmul(ones, g_pre, out=g["b_enc"])
        g["b_dec"] -= np.matmul(W_enc, g["b_enc"][..., None])[..., 0]
        if self._weight_decay:
            decay = weight_decay_numpy(self._weight_decay, [W_enc, W_dec], [g["W_enc"], g["W_dec"]])
            loss = loss + np.float32(self._weight_decay) * decay
        fires = np.matmul(ones, active)  # [N, d_sae] firing counts, exact in float32
        l0 = np.atleast_1d(fires.sum(-1, dtype=np.float64)) / np.float32(batch)
        return StepResult(
            loss=loss.tolist(),
            recon=recon.tolist(),
            penalty=penalty.tolist(),
            aux=[0.0] * n_models if aux is None else aux.loss.tolist(),
            l0=l0.tolist(),
            fired=torch.from_numpy((fires > 0).reshape(n_models, -1)),
        )
