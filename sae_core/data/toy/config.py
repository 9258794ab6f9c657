"""The toy model's set-up, checked: no torch here, so the data registry can import it cheaply."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sae_core.errors import ConfigError

MAX_FEATURES = 200
MAX_HIDDEN = 3  # drawn as arrows: 2 (the plane) or 3


@dataclass(frozen=True, kw_only=True)
class ToyConfig:
    """One toy model's set-up; invalid values raise :class:`ConfigError` naming the field."""

    n_features: int = 5
    d_hidden: int = 2
    sparsity: float = 0.0  # S: probability that a feature is zero in a sample
    importance_decay: float = 0.9  # r: importance I_i = r^i
    seed: int = 0
    batch_size: int = 1024  # Elhage et al.'s
    lr: float = 1e-2  # higher than the paper's 1e-3 so that a few thousand steps settle

    def __post_init__(self) -> None:
        for name, low, high in (
            ("n_features", 2, MAX_FEATURES),
            ("d_hidden", 1, MAX_FEATURES - 1),
            ("seed", 0, 2**32 - 1),
            ("batch_size", 1, 1_000_000),
        ):
            value = getattr(self, name)
            if not (
                isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
            ):
                raise ConfigError(
                    f"{name}={value!r} is invalid: choose an integer in {low}..{high}"
                )
        if self.d_hidden >= self.n_features:
            raise ConfigError(
                f"d_hidden={self.d_hidden} is invalid: superposition needs fewer hidden "
                f"dimensions than features (n_features={self.n_features})"
            )
        if not (_number(self.sparsity) and 0 <= self.sparsity < 1):
            raise ConfigError(
                f"sparsity={self.sparsity!r} is invalid: choose a probability S in [0, 1)"
            )
        if not (_number(self.importance_decay) and 0 < self.importance_decay <= 1):
            raise ConfigError(
                f"importance_decay={self.importance_decay!r} is invalid: choose r in (0, 1]"
            )
        if not (_number(self.lr) and self.lr > 0):
            raise ConfigError(f"lr={self.lr!r} is invalid: choose a learning rate > 0")

    @property
    def importance(self) -> np.ndarray:
        """[n] float32, the importances r^i."""
        return float(self.importance_decay) ** np.arange(self.n_features, dtype=np.float32)


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)
