"""Sparse superposition with known ground truth: the toy data of Sharkey et al. / Elhage et al.

Each sample is ``x = Σ_i c_i g_i + ε``: ``features`` g_i are random unit vectors in ℝ^d_in, each
feature fires independently with probability ``p_fire`` and then has a magnitude c_i > 0, and
ε is Gaussian noise. With more features than dimensions they sit in superposition; an SAE that
recovers them has decoder rows matching the ``features`` (MMCS, MCC in SAE_NOTES.md).

Three options make it look more like real activations (all off by default, and then the data is
bit-identical to the plain model above):

- ``zipf`` = s > 0: feature i fires with probability p_i ∝ (i + 1)^(−s), scaled so the p_i still
  sum to ``mean_active`` (a p_i that would pass 1 is 1, and the others are scaled up to make up
  the sum): a few common features, a long tail of rare ones.
- ``correlation`` = ρ: features fire in correlated pairs (0, 1), (2, 3), … In each sample a pair
  is coupled with probability ρ, and then both features compare one shared uniform draw with their
  own p_i instead of one draw each. Each feature keeps its firing probability p_i, and for a pair
  with equal p the correlation of the two firing indicators is exactly ρ.
- ``hierarchy`` = H: features 0..H−1 are parents, each with ``HIERARCHY_CHILDREN`` children
  (parent h has H + 2h and H + 2h + 1). A child fires only in samples where its parent fires, and
  then with probability ``CHILD_FIRE``. Children's directions are random unit vectors like every
  other feature (not built from the parent's), so an SAE that merges a child into its parent's
  latent (absorption) does so by choice, not because the geometry forces it. Parents and free
  features fire as above.
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
ZIPF_MAX = 4.0  # beyond this the tail features essentially never fire
CORRELATION_MAX = 0.99  # ρ = 1 would make each pair one feature
HIERARCHY_CHILDREN = 2  # children per parent feature
CHILD_FIRE = 0.5  # P(child fires | its parent fires)


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
    zipf: float = 0.0  # exponent s of p_i ∝ (i + 1)^(−s); 0: every feature equally likely
    correlation: float = 0.0  # ρ in [0, 1): pairs (0, 1), (2, 3), … fire together (module doc)
    hierarchy: int = 0  # parent features, each with HIERARCHY_CHILDREN children; 0: none

    def __post_init__(self) -> None:
        for name, low, high in (
            ("n_samples", 2, 10_000_000),
            ("n_features", 1, 100_000),
            ("d_in", 1, MAX_D_IN),
            ("feature_seed", 0, 2**32 - 1),
            ("hierarchy", 0, 100_000),
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
        if not (_number(self.zipf) and 0 <= self.zipf <= ZIPF_MAX):
            raise ConfigError(
                f"zipf={self.zipf!r} is invalid: choose an exponent in 0..{ZIPF_MAX:g}"
            )
        if not (_number(self.correlation) and 0 <= self.correlation <= CORRELATION_MAX):
            raise ConfigError(
                f"correlation={self.correlation!r} is invalid: choose ρ in 0..{CORRELATION_MAX:g}"
            )
        if self.hierarchy * (1 + HIERARCHY_CHILDREN) > self.n_features:
            raise ConfigError(
                f"hierarchy={self.hierarchy} is invalid: {self.hierarchy} parents with "
                f"{HIERARCHY_CHILDREN} children each need {1 + HIERARCHY_CHILDREN}·{self.hierarchy} "
                f"features, more than n_features={self.n_features}"
            )

    @property
    def firing_probability(self) -> float:
        if self.p_fire is not None:
            return float(self.p_fire)
        mean_active = DEFAULT_MEAN_ACTIVE if self.mean_active is None else float(self.mean_active)
        return min(mean_active / self.n_features, 1.0)

    def feature_probabilities(self) -> np.ndarray:
        """p_i of each feature [n_features] float64 (before the hierarchy gates the children)."""
        p = self.firing_probability
        if self.zipf == 0:
            return np.full(self.n_features, p)
        weights = np.arange(1, self.n_features + 1, dtype=np.float64) ** -float(self.zipf)
        target = p * self.n_features  # the mean active count the p_i must still add up to
        probs = target * weights / weights.sum()
        while probs.max() > 1:  # cap the commonest at 1, share what they lose among the rest
            capped = probs >= 1
            rest = target - capped.sum()
            probs = np.where(capped, 1.0, rest * weights / weights[~capped].sum())
        return probs

    def children(self) -> dict[int, tuple[int, ...]]:
        """The parent -> children map of the hierarchy (empty without one)."""
        h, c = self.hierarchy, HIERARCHY_CHILDREN
        return {parent: tuple(h + c * parent + i for i in range(c)) for parent in range(h)}


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def make_features(n_features: int, d_in: int, seed: int) -> np.ndarray:
    """[n_features, d_in] float32 random directions with unit rows (uniform on the sphere)."""
    rng = np.random.default_rng(seed)
    features = rng.standard_normal((n_features, d_in))
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    return features.astype(np.float32)


@dataclass(frozen=True, kw_only=True)
class SyntheticData:
    """Generated samples and their ground truth.

    x: [n_samples, d_in] float32; features: [n_features, d_in] float32 unit rows;
    active: [n_samples, n_features] bool, which features fire in each sample;
    children: the parent -> children map of the hierarchy (empty without one).
    """

    x: np.ndarray
    features: np.ndarray
    active: np.ndarray
    children: dict[int, tuple[int, ...]]


def make_synthetic(spec: SyntheticSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Generate ``(x [n_samples, d_in], features [n_features, d_in])``, both float32.

    ``rng`` draws the samples; the features come from ``spec.feature_seed`` alone.
    """
    data = generate_synthetic(spec, rng)
    return data.x, data.features


def generate_synthetic(spec: SyntheticSpec, rng: np.random.Generator) -> SyntheticData:
    """:func:`make_synthetic` with the ground truth: which features fire, and the hierarchy."""
    features = make_features(spec.n_features, spec.d_in, spec.feature_seed)
    shape = (spec.n_samples, spec.n_features)
    draws = rng.random(shape, dtype=np.float32)
    if spec.zipf == 0 and spec.correlation == 0 and spec.hierarchy == 0:
        fires = draws < spec.firing_probability  # the plain model, bit for bit as it always was
    else:
        fires = _structured_firing(spec, draws, rng)
    if spec.magnitude == "uniform":
        magnitudes = 1 - rng.random(shape, dtype=np.float32)  # (0, 1]: a firing feature is > 0
    elif spec.magnitude == "exponential":
        magnitudes = rng.standard_exponential(shape, dtype=np.float32)
    else:
        magnitudes = np.ones(shape, dtype=np.float32)
    x = (fires * magnitudes) @ features
    if spec.noise > 0:
        x += np.float32(spec.noise) * rng.standard_normal(x.shape, dtype=np.float32)
    return SyntheticData(
        x=np.ascontiguousarray(x, dtype=np.float32),
        features=features,
        active=fires,
        children=spec.children(),
    )


def _structured_firing(
    spec: SyntheticSpec, draws: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Which features fire [n_samples, n_features] bool under zipf, correlation and hierarchy.

    draws: [n_samples, n_features] uniforms, one per feature and sample (module docstring).
    """
    n_pairs = spec.n_features // 2
    if spec.correlation > 0 and n_pairs:
        shared = rng.random((spec.n_samples, n_pairs), dtype=np.float32)
        coupled = rng.random((spec.n_samples, n_pairs), dtype=np.float32) < spec.correlation
        for offset in (0, 1):  # both members of a coupled pair read the pair's shared draw
            column = draws[:, offset : 2 * n_pairs : 2]
            column[coupled] = shared[coupled]
    p = spec.feature_probabilities().astype(np.float32)
    fires = draws < p
    for parent, children in spec.children().items():
        for child in children:  # the child's own draw now decides "fires given the parent"
            fires[:, child] = fires[:, parent] & (draws[:, child] < CHILD_FIRE)
    return fires
