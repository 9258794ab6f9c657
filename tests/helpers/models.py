"""Small models for the tests of saved runs and exports."""

from __future__ import annotations

import torch

from sae_core import methods
from sae_core.config import SAEConfig
from sae_core.model import SparseAutoencoder


def random_model(
    method: str = "l1", *, tied: bool = False, d_in: int = 6, d_sae: int = 5, seed: int = 0
) -> SparseAutoencoder:
    """A model with random (not initial) weights, so a lost or swapped tensor would show.

    k = 2 (for TopK), λ = 0.01, and a non-zero b_dec, so that applying it matters. A method's
    extra per-latent tensors (JumpReLU's threshold) are random in [0.05, 0.5).
    """
    cfg = SAEConfig(d_in=d_in, d_sae=d_sae, method=method, k=2, tied=tied, lam=0.01)
    g = torch.Generator().manual_seed(seed)
    W_dec = torch.randn(d_sae, d_in, generator=g)
    W_enc = W_dec.t().clone() if tied else torch.randn(d_in, d_sae, generator=g)
    weights = {
        "W_enc": W_enc,
        "W_dec": W_dec,
        "b_enc": torch.randn(d_sae, generator=g) * 0.1,
        "b_dec": torch.randn(d_in, generator=g),
    }
    for name in methods.get(method).extra_names:
        weights[name] = 0.05 + 0.45 * torch.rand(d_sae, generator=g)
    return SparseAutoencoder(cfg, weights)
