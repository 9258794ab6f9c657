"""The toy model of superposition: n sparse features squeezed into m hidden dimensions.

    x_i = 0 with probability S, else U[0, 1]     x: [B, n]
    h   = W x                                    W: [m, n] (column i = feature i's direction)
    x̂   = ReLU(Wᵀ h + b)                         b: [n]
    loss = mean over the batch of Σ_i I_i (x_i − x̂_i)²,   I_i = r^i

Dense features (S ≈ 0) give m orthogonal features and drop the rest; sparse ones (S → 1) pack
all n into the m dimensions (for n = 5, m = 2 a pentagon). :class:`ToyTrainer` does one Adam step
per :meth:`ToyTrainer.step`, so a page can play, pause and step it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from sae_core.data.toy.config import ToyConfig


def sample_toy(config: ToyConfig, n: int, generator: torch.Generator) -> torch.Tensor:
    """[n, n_features] feature values: 0 with probability S, else uniform on [0, 1]."""
    shape = (n, config.n_features)
    values = torch.rand(shape, generator=generator)
    present = torch.rand(shape, generator=generator) >= config.sparsity
    return values * present


class ToyModel(torch.nn.Module):
    """``x̂ = ReLU(Wᵀ W x + b)`` with ``W``: [d_hidden, n_features], ``b``: [n_features]."""

    def __init__(self, config: ToyConfig, generator: torch.Generator) -> None:
        super().__init__()
        shape = (config.d_hidden, config.n_features)
        std = (2.0 / sum(shape)) ** 0.5  # Xavier normal, as in the paper
        self.W = torch.nn.Parameter(torch.randn(shape, generator=generator) * std)
        self.b = torch.nn.Parameter(torch.zeros(config.n_features))

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        """[B, n] -> [B, m]: ``h = W x``."""
        return x @ self.W.T

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.hidden(x) @ self.W + self.b)


def toy_loss(x: torch.Tensor, x_hat: torch.Tensor, importance: torch.Tensor) -> torch.Tensor:
    """Importance-weighted MSE: mean over the batch of Σ_i I_i (x_i − x̂_i)²; x, x̂: [B, n]."""
    return (importance * (x - x_hat) ** 2).sum(dim=1).mean()


@dataclass
class ToyTrainer:
    """Adam on the toy model, one batch per :meth:`step`; ``history`` has one row per step."""

    config: ToyConfig
    model: ToyModel = field(init=False)
    steps: int = field(init=False, default=0)
    _losses: list[float] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self._generator = torch.Generator().manual_seed(self.config.seed)
        self.model = ToyModel(self.config, self._generator)
        self._optimizer = torch.optim.Adam(self.model.parameters(), lr=self.config.lr)
        self._importance = torch.from_numpy(self.config.importance)

    def step(self) -> float:
        """One Adam step on a fresh batch; returns its loss."""
        x = sample_toy(self.config, self.config.batch_size, self._generator)
        loss = toy_loss(x, self.model(x), self._importance)
        self._optimizer.zero_grad()
        loss.backward()
        self._optimizer.step()
        self.steps += 1
        value = loss.item()
        self._losses.append(value)
        return value

    def run(self, n: int) -> float:
        """``n`` steps; returns the last loss (nan when n = 0)."""
        loss = float("nan")
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # tiny matrices: one thread is several times faster than many
        try:
            for _ in range(n):
                loss = self.step()
        finally:
            torch.set_num_threads(threads)
        return loss

    @property
    def W(self) -> np.ndarray:
        """[d_hidden, n_features] a copy of the current W."""
        return self.model.W.detach().numpy().copy()

    @property
    def history(self) -> pd.DataFrame:
        return pd.DataFrame({"step": np.arange(1, self.steps + 1), "loss": self._losses})

    def hidden(self, x: torch.Tensor) -> np.ndarray:
        """[B, n] feature values -> [B, m] hidden activations ``h = W x``."""
        with torch.no_grad():
            return self.model.hidden(x).numpy()


TRAIN_STEPS = 2000  # enough for n ≤ 20 at lr 1e-2 to settle (tests/data/test_toy.py)


@functools.lru_cache(maxsize=8)
def trained_toy(config: ToyConfig, steps: int = TRAIN_STEPS) -> ToyTrainer:
    """A toy model trained for ``steps``, cached by set-up (the same in every process)."""
    trainer = ToyTrainer(config)
    trainer.run(steps)
    return trainer
