"""The ``toy`` data source: hidden activations ``h = W x`` of a trained toy model.

The ground-truth features are W's columns, normalised: the n directions the m-dimensional
model squeezed its features into. An SAE trained on ``h`` that finds them has undone the
superposition (the Ground truth page scores it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sae_core.data.loaders import SourceRequest
from sae_core.data.preprocessing import RawData
from sae_core.data.toy.config import ToyConfig
from sae_core.errors import ConfigError

MAX_SAMPLES = 1_000_000


@dataclass(frozen=True, kw_only=True)
class ToySourceSpec:
    """The ``toy`` source's options; the common ``seed`` draws the samples."""

    n_features: int = 20
    d_hidden: int = 5
    sparsity: float = 0.9
    importance_decay: float = 0.9
    toy_seed: int = 0  # seed of the toy model's training
    n_samples: int = 8192

    def __post_init__(self) -> None:
        self.toy_config()  # checks the model's options
        n = self.n_samples
        if not (isinstance(n, int) and not isinstance(n, bool) and 2 <= n <= MAX_SAMPLES):
            raise ConfigError(f"n_samples={n!r} is invalid: choose an integer in 2..{MAX_SAMPLES}")

    def toy_config(self) -> ToyConfig:
        return ToyConfig(
            n_features=self.n_features,
            d_hidden=self.d_hidden,
            sparsity=self.sparsity,
            importance_decay=self.importance_decay,
            seed=self.toy_seed,
        )


def toy_unit_features(W: np.ndarray) -> np.ndarray:
    """[n_features, d_hidden] W's columns as unit rows (a dropped feature keeps its direction)."""
    return (W / np.maximum(np.linalg.norm(W, axis=0), 1e-12)).T


def toy_raw(spec: ToySourceSpec, seed: int) -> RawData:
    """``n_samples`` rows of ``h = W x`` with fresh x drawn under ``seed``."""
    import torch  # here, not at the top: importing the data registry stays torch-free

    from sae_core.data.toy.model import sample_toy, trained_toy

    config = spec.toy_config()
    trainer = trained_toy(config)
    x = sample_toy(config, spec.n_samples, torch.Generator().manual_seed(seed))
    W = trainer.W
    kept = int((np.linalg.norm(W, axis=0) >= 0.5).sum())
    return RawData(
        x=trainer.hidden(x).astype(np.float32),
        features=toy_unit_features(W).astype(np.float32),
        feature_activity=(x > 0).numpy(),
        description=f"toy model: {spec.n_samples} hidden vectors h = Wx of {spec.n_features} "
        f"features in {spec.d_hidden} dimensions, sparsity {spec.sparsity:g}, importance "
        f"{spec.importance_decay:g}^i; {kept} features represented (‖W_i‖ ≥ 0.5)",
    )


def raw_toy(request: SourceRequest) -> RawData:
    """The registry's loader for ``toy``."""
    return toy_raw(ToySourceSpec(**request.options), request.seed)
