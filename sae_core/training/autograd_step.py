"""The autograd step: any method, tied or untied weights, any device.

The objective is written once with :mod:`sae_core.model`'s functions and the method's penalty
from the registry; autograd differentiates it. The leaves are views of the Trainer's flat
buffers, and their ``.grad`` are views of its flat gradient: backward accumulates straight into
the buffer the fused Adam kernel reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from sae_core import methods
from sae_core.config import SAEConfig, TrainConfig
from sae_core.methods import PenaltyContext
from sae_core.model import activate, compute_pre_acts, decode_latents
from sae_core.training.auxk import auxk_loss
from sae_core.training.flat_adam import FlatParams
from sae_core.training.step import StepResult
from sae_core.training.weight_decay import weight_norms_sq


@dataclass(frozen=True, kw_only=True)
class Objective:
    """The loss terms per model [N] (still in the graph) and the latents [N?, B, d_sae]."""

    loss: Tensor
    recon: Tensor
    penalty: Tensor
    aux: Tensor
    latents: Tensor


class AutogradEngine:
    """One autograd step for a stack of N models whose weights live in ``weights``."""

    def __init__(self, cfg: SAEConfig, train_config: TrainConfig, weights: FlatParams) -> None:
        self.cfg = cfg
        self._method = methods.get(cfg.method)
        frozen = {p.name for p in self._method.extra_params if not p.trained}
        self._aux_k, self._aux_coef = train_config.aux_k, train_config.aux_coef
        self._grad = weights.grad
        self.leaves: dict[str, Tensor] = {}
        for name, view in weights.params.items():
            if name in frozen:  # state the method writes itself: no gradient (stays 0)
                self.leaves[name] = view
                continue
            leaf = view.detach().requires_grad_(True)  # shares the buffer's memory
            leaf.grad = weights.grads[name]  # backward adds into it in place
            self.leaves[name] = leaf

    def objective(self, x: Tensor, lam: Tensor, dead: Tensor | None) -> Objective:
        """The training objective on ``x`` (shapes as in :meth:`loss_and_grads`)."""
        squeeze = lam.shape[0] == 1 and x.ndim == 2  # one model: 2-D matmuls beat batched ones
        p = {name: t[0] if squeeze else t for name, t in self.leaves.items()}
        W_dec, b_enc, b_dec = p["W_dec"], p["b_enc"], p["b_dec"]
        W_enc = W_dec.transpose(-1, -2) if self.cfg.tied else p["W_enc"]
        extras = {name: p[name] for name in self._method.extra_names}
        pre = compute_pre_acts(x, W_enc, b_enc, b_dec)
        latents = activate(pre, self.cfg, {**extras, "b_enc": b_enc}, training=True)
        x_hat = decode_latents(latents, W_dec, b_dec)
        recon = (x_hat - x).square().sum(-1).mean(-1)
        context = PenaltyContext(
            x=x,
            pre_acts=pre,
            latents=latents,
            x_hat=x_hat,
            W_enc=W_enc,
            W_dec=W_dec,
            params=extras,
            cfg=self.cfg,
            b_dec=b_dec,
        )
        penalty = self._method.compute_penalty(context)
        # the method's reconstruction term where it has one (Matryoshka, Gated); recon reports
        # the plain ‖x − x̂‖² for every method
        loss = self._method.compute_recon(context, recon) + lam * penalty
        if self.cfg.weight_decay:  # tied: the one shared matrix counts once
            matrices = [W_dec] if self.cfg.tied else [W_dec, W_enc]
            loss = loss + self.cfg.weight_decay * weight_norms_sq(matrices)
        aux = recon.new_zeros(recon.shape)
        if dead is not None:
            aux = auxk_loss(x, x_hat, pre, W_dec, dead, self._aux_k)
            loss = loss + self._aux_coef * aux
        return Objective(
            loss=loss.reshape(-1),
            recon=recon.reshape(-1),
            penalty=penalty.reshape(-1),
            aux=aux.reshape(-1),
            latents=latents,
        )

    def loss_and_grads(self, x: Tensor, lam: Tensor, dead: Tensor | None) -> StepResult:
        terms = self.objective(x, lam, dead)
        self._grad.zero_()
        terms.loss.sum().backward()
        latents = terms.latents.detach().reshape(lam.shape[0], -1, self.cfg.d_sae)
        fired = latents > 0
        l0 = fired.sum(-1).float().mean(-1)
        values = torch.stack([terms.loss, terms.recon, terms.penalty, terms.aux, l0])
        loss, recon, penalty, aux, l0_list = values.detach().cpu().tolist()
        return StepResult(
            loss=loss,
            recon=recon,
            penalty=penalty,
            aux=aux,
            l0=l0_list,
            fired=fired.any(-2),
            latents=latents if self._method.update_state is not None else None,
        )
