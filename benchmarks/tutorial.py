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
        _epoch(model, optimizer, loader, lam)
    return model


def _epoch(
    model: TutorialSAE, optimizer: torch.optim.Optimizer, loader: DataLoader, lam: float
) -> None:
    """One pass over the loader, as tutorials write it."""
    for (x,) in loader:
        x_hat, latents = model(x)
        loss = (x_hat - x).pow(2).sum(dim=1).mean() + lam * latents.abs().sum(dim=1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


@torch.no_grad()
def reconstruct(model: TutorialSAE, x: np.ndarray) -> np.ndarray:
    """x: [n, d_in] -> x_hat [n, d_in]."""
    x_hat, _ = model(torch.from_numpy(x))
    return x_hat.numpy()


def seconds_to_fve(
    x_train: np.ndarray,
    x_test: np.ndarray,
    target_fve: float,
    *,
    d_sae: int = 128,
    lam: float = 0.1,
    batch_size: int = 128,
    lr: float = 3e-3,
    seed: int = 0,
    check_every: int = 5,
    max_epochs: int = 300,
) -> tuple[float, int, float]:
    """CPU seconds of training (evaluation excluded) until the tutorial loop's test FVE reaches
    ``target_fve``, checked every ``check_every`` epochs: (seconds, epochs, fve reached).

    Returns ``(inf, max_epochs, best fve)`` when it never gets there.
    """
    import time

    torch.manual_seed(seed)
    model = TutorialSAE(x_train.shape[1], d_sae)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader(
        TensorDataset(torch.from_numpy(x_train)), batch_size=batch_size, shuffle=True
    )
    spent, fve = 0.0, float("-inf")
    for epoch in range(1, max_epochs + 1):
        start = time.process_time()
        _epoch(model, optimizer, loader, lam)
        spent += time.process_time() - start
        if epoch % check_every == 0:
            x_hat = reconstruct(model, x_test)
            fve = 1 - float(((x_test - x_hat) ** 2).sum() / ((x_test - x_test.mean(0)) ** 2).sum())
            if fve >= target_fve:
                return spent, epoch, fve
    return float("inf"), max_epochs, fve
