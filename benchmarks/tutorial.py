"""The baseline: a sparse autoencoder trained the way most tutorials write it.

A ``DataLoader`` over a ``TensorDataset`` with ``shuffle=True``, an ``nn.Module`` with two
``nn.Linear`` layers, ``torch.optim.Adam`` with default options, and the L1 objective
``‖x − x̂‖²`` (summed over features, averaged over the batch) ``+ λ Σ|f|`` — the same objective and
hyper-parameters as SAE Explorer's default, so only the implementation differs.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class TutorialSAE(nn.Module):
    def __init__(self, d_in: int, d_sae: int) -> None:
        super().__init__()
        self.encoder = nn.Linear(d_in, d_sae)
        self.decoder = nn.Linear(d_sae, d_in)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        latents = torch.relu(self.encoder(x))
        return self.decoder(latents), latents


def train_tutorial(
    x_train: np.ndarray,
    *,
    d_sae: int = 128,
    lam: float = 0.1,
    epochs: int = 20,
    batch_size: int = 128,
    lr: float = 3e-3,
    seed: int = 0,
) -> TutorialSAE:
    torch.manual_seed(seed)
    model = TutorialSAE(x_train.shape[1], d_sae)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader(
        TensorDataset(torch.from_numpy(x_train)), batch_size=batch_size, shuffle=True
    )
    for _ in range(epochs):
        for (x,) in loader:
            x_hat, latents = model(x)
            loss = (x_hat - x).pow(2).sum(dim=1).mean() + lam * latents.abs().sum(dim=1).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model


@torch.no_grad()
def reconstruct(model: TutorialSAE, x: np.ndarray) -> np.ndarray:
    """x: [n, d_in] -> x_hat [n, d_in]."""
    x_hat, _ = model(torch.from_numpy(x))
    return x_hat.numpy()
