"""Sparse superposition with known ground truth: the toy data of Sharkey et al. / Elhage et al.

Each sample is ``x = Σ_i c_i g_i + ε``: ``features`` g_i are random unit vectors in ℝ^d_in, each
feature fires independently with probability ``p_fire`` and then has a magnitude c_i > 0, and
ε is Gaussian noise. With more features than dimensions they sit in superposition; an SAE that
recovers them has decoder rows matching the ``features`` (MMCS, MCC in SAE_NOTES.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sae_core.config import MAX_D_IN
from sae_core.errors import ConfigError

MAGNITUDES: tuple[str, ...] = ("uniform", "exponential", "constant")
DEFAULT_MEAN_ACTIVE = 4.0  # features firing per sample when neither p_fire nor mean_active is given
MAX_CELLS = 50_000_000  # n_samples · max(n_features, d_in): keeps generation under ~1 GB


@dataclass(frozen=True, kw_only=True)
class SyntheticSpec:
    """What to generate. Give ``p_fire`` or ``mean_active`` (= p_fire · n_features), not both."""

    n_samples: int = 8192
    n_features: int = 64
    d_in: int = 32
    p_fire: float | None = None
    mean_active: float | None = None  # DEFAULT_MEAN_ACTIVE when neither is given
    magnitude: str = "uniform"  # uniform on (0, 1], exponential with mean 1, or constant 1
    noise: float = 0.0  # standard deviation of the Gaussian noise added to every dimension
    feature_seed: int = 0  # features stay fixed while the sample seed varies

    def __post_init__(self) -> None:
        for name, low, high in (
            ("n_samples", 2, 10_000_000),
            ("n_features", 1, 100_000),
            ("d_in", 1, MAX_D_IN),
            ("feature_seed", 0, 2**32 - 1),
        ):
            value = getattr(self, name)
            if not (
                isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
            ):
                raise ConfigError(
                    f"{name}={value!r} is invalid: choose an integer in {low}..{high}"
                )
        if self.n_samples * max(self.n_features, self.d_in) > MAX_CELLS:
            raise ConfigError(
                f"n_samples={self.n_samples} with {max(self.n_features, self.d_in)} features or "
                f"dimensions is too large to generate: keep n_samples·n_features ≤ {MAX_CELLS:,}"
            )
        if self.p_fire is not None and self.mean_active is not None:
            raise ConfigError(
                "give p_fire or mean_active, not both: mean_active = p_fire·n_features"
            )
        if self.p_fire is not None and not (_number(self.p_fire) and 0 < self.p_fire <= 1):
            raise ConfigError(f"p_fire={self.p_fire!r} is invalid: choose a probability in (0, 1]")
        if self.mean_active is not None and not (
            _number(self.mean_active) and 0 < self.mean_active <= self.n_features
        ):
            raise ConfigError(
                f"mean_active={self.mean_active!r} is invalid: choose a number in "
                f"(0, n_features={self.n_features}]"
            )
        if self.magnitude not in MAGNITUDES:
            raise ConfigError(
                f"magnitude={self.magnitude!r} is invalid: choose {', '.join(MAGNITUDES)}"
            )
        if not (_number(self.noise) and self.noise >= 0):
            raise ConfigError(f"noise={self.noise!r} is invalid: choose a standard deviation ≥ 0")

    @property
    def firing_probability(self) -> float:
        if self.p_fire is not None:
            return float(self.p_fire)
        mean_active = DEFAULT_MEAN_ACTIVE if self.mean_active is None else float(self.mean_active)
        return min(mean_active / self.n_features, 1.0)


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def make_features(n_features: int, d_in: int, seed: int) -> np.ndarray:
    """[n_features, d_in] float32 random directions with unit rows (uniform on the sphere)."""
    rng = np.random.default_rng(seed)
    features = rng.standard_normal((n_features, d_in))
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    return features.astype(np.float32)


def make_synthetic(spec: SyntheticSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Generate ``(x [n_samples, d_in], features [n_features, d_in])``, both float32.

    ``rng`` draws the samples; the features come from ``spec.feature_seed`` alone.
    """
    features = make_features(spec.n_features, spec.d_in, spec.feature_seed)
    shape = (spec.n_samples, spec.n_features)
    fires = rng.random(shape, dtype=np.float32) < spec.firing_probability
    if spec.magnitude == "uniform":
        magnitudes = 1 - rng.random(shape, dtype=np.float32)  # (0, 1]: a firing feature is > 0
    elif spec.magnitude == "exponential":
        magnitudes = rng.standard_exponential(shape, dtype=np.float32)
    else:
        magnitudes = np.ones(shape, dtype=np.float32)
    x = (fires * magnitudes) @ features
    if spec.noise > 0:
        x += np.float32(spec.noise) * rng.standard_normal(x.shape, dtype=np.float32)
    return np.ascontiguousarray(x, dtype=np.float32), features
