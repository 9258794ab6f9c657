"""Dead-latent resampling (Anthropic 2023), the remedy for penalty methods.

A latent that never fires gets no gradient from the reconstruction, and L1 keeps it dead. Every
``resample_every`` steps the trainer points each dead latent at an input it reconstructs badly.
"""

from __future__ import annotations

from typing import Protocol

import torch
from torch import Tensor

from sae_core import methods
from sae_core.config import SAEConfig
from sae_core.model import activate, compute_pre_acts, decode_latents, normalize_decoder_

RESAMPLE_SAMPLES = 2048  # inputs scored when choosing new directions for dead latents
ENCODER_SCALE = 0.2  # new encoder columns: this × the mean alive encoder norm


class Resamplable(Protocol):
    """What resampling reads and writes of a trainer (the Trainer is one)."""

    @property
    def cfg(self) -> SAEConfig: ...
    @property
    def params(self) -> dict[str, Tensor]: ...  # [N, ...] each, written in place
    @property
    def W_enc(self) -> Tensor: ...  # [N, d_in, d_sae]
    @property
    def dead(self) -> Tensor: ...  # [N, d_sae] bool
    @property
    def steps_since_fired(self) -> Tensor: ...  # [N, d_sae], written in place
    @property
    def x(self) -> Tensor: ...  # the training data [n, d_in]
    @property
    def seeds(self) -> list[int]: ...
    @property
    def step_count(self) -> int: ...
    def adam_moments(self) -> list[dict[str, Tensor]]: ...


@torch.no_grad()
def resample_dead(trainer: Resamplable) -> int:
    """Re-initialise the trainer's dead latents towards badly reconstructed inputs.

    Each dead latent's atom becomes the direction of an input drawn with probability ∝ its squared
    loss; its encoder column is that direction scaled to 0.2 × the mean alive encoder norm; its
    bias and Adam moments are zeroed; the method's extra per-latent parameters that ask for it
    (``reset_on_resample``) go back to their initial value. Returns how many latents were resampled (all models).
    """
    dead = trainer.dead  # [N, d_sae]
    if not bool(dead.any()):
        return 0
    params, cfg, x = trainer.params, trainer.cfg, trainer.x
    method = methods.get(cfg.method)
    W_enc, W_dec = trainer.W_enc, params["W_dec"]
    n_samples = x.shape[0]
    n_score = min(n_samples, RESAMPLE_SAMPLES)
    total = 0
    for i in range(dead.shape[0]):
        idx = dead[i].nonzero().flatten()
        if idx.numel() == 0:
            continue
        # each model draws from its own seed, so a stacked sweep resamples exactly as a lone run
        gen = torch.Generator().manual_seed(trainer.seeds[i] + trainer.step_count)
        order = torch.randperm(n_samples, generator=gen)[:n_score]
        sample = x[order.to(x.device)]  # [n_score, d_in]
        pre = compute_pre_acts(sample, W_enc[i], params["b_enc"][i], params["b_dec"][i])
        extras = {name: params[name][i] for name in method.extra_names}
        extras["b_enc"] = params["b_enc"][i]  # Gated's encoder reads it
        x_hat = decode_latents(activate(pre, cfg, extras), W_dec[i], params["b_dec"][i])
        weights = (x_hat - sample).square().sum(-1).square() + 1e-12  # ∝ squared loss
        picks = torch.multinomial(weights.cpu(), idx.numel(), replacement=True, generator=gen)
        dirs = normalize_decoder_(sample[picks.to(x.device)] - params["b_dec"][i])  # [n_dead, d_in]
        alive = ~dead[i]
        enc_norm = W_enc[i][:, alive].norm(dim=0).mean() if bool(alive.any()) else 1.0
        W_dec[i, idx] = dirs
        if not cfg.tied:
            params["W_enc"][i][:, idx] = (dirs * ENCODER_SCALE * enc_norm).t()
        params["b_enc"][i, idx] = 0.0
        for extra in method.extra_params:  # e.g. JumpReLU's θ back to its initial value
            if extra.reset_on_resample:
                params[extra.name][i, idx] = float(extra.init(cfg))
        _zero_adam(trainer.adam_moments(), i, idx, method.extra_names)
        trainer.steps_since_fired[i, idx] = 0
        total += idx.numel()
    return total


def _zero_adam(
    adam_moments: list[dict[str, Tensor]], i: int, idx: Tensor, extras: tuple[str, ...] = ()
) -> None:
    """Forget Adam's moments of model ``i``'s latents ``idx`` (they belonged to the dead atom);
    ``extras``: the method's per-latent parameters [N, d_sae], indexed like b_enc."""
    for moments in adam_moments:
        for name, moment in moments.items():
            if name in ("W_dec", "b_enc") or name in extras:
                moment[i, idx] = 0.0
            elif name == "W_enc":
                moment[i][:, idx] = 0.0
