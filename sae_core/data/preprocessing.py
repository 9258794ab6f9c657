"""What every data source shares: seeded splits, deterministic subsampling, value scaling.

Scaling is affine per dimension, ``x_model = (x_raw − offset) / scale``, with statistics taken
from the training split only, so a held-out split never leaks into its own normalisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sae_core.data.dataset import Preprocessing
from sae_core.data.readout import Readout
from sae_core.errors import ConfigError, DataError

PREPROCESS_STEPS: tuple[str, ...] = ("none", "scale01", "standardise", "centre")
"""Choices for ``preprocess``; several can be chained with ``+``, e.g. ``"scale01+centre"``."""

_ALIASES = {"standardize": "standardise", "center": "centre", "minmax": "scale01"}

# Independent random streams per purpose, so changing one use never shifts another.
STREAM_SPLIT, STREAM_SUBSAMPLE, STREAM_PATCHES, STREAM_SYNTHETIC = 1, 2, 3, 4


def rng_for(seed: int, stream: int) -> np.random.Generator:
    """A generator for one purpose (``STREAM_*``) under one user seed."""
    return np.random.default_rng(np.random.SeedSequence([seed, stream]))


def parse_preprocess(preprocess: str) -> tuple[str, ...]:
    """``"scale01+centre"`` -> ``("scale01", "centre")``; ``"none"`` -> ``()``."""
    if not isinstance(preprocess, str):
        raise ConfigError(f"preprocess={preprocess!r} is invalid: give a string such as 'scale01'")
    steps = []
    for part in preprocess.lower().replace(" ", "").split("+"):
        step = _ALIASES.get(part, part)
        if step not in PREPROCESS_STEPS:
            raise ConfigError(
                f"preprocess={preprocess!r} is invalid: choose {', '.join(PREPROCESS_STEPS)} "
                "(or chain them with '+')"
            )
        if step != "none":
            steps.append(step)
    return tuple(steps)


def split_indices(
    n: int, test_fraction: float, seed: int, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded train/test index split of ``range(n)``; each returned index array is sorted.

    With labels (and at least two samples in every class) the split is stratified: each class
    sends ``test_fraction`` of its samples to the test split, to within one sample.
    """
    if n < 2:
        raise DataError(f"need at least 2 samples to make a train/test split, got {n}")
    n_test = min(max(round(test_fraction * n), 1), n - 1)
    rng = rng_for(seed, STREAM_SPLIT)
    order = rng.permutation(n)
    if labels is not None and _every_class_has_two(labels):
        order = order[_stratified_order(labels[order], rng)]
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def _every_class_has_two(labels: np.ndarray) -> bool:
    return bool(np.unique(labels, return_counts=True)[1].min() >= 2)


def _stratified_order(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Order shuffled samples so any prefix holds each class in proportion to its size.

    Sample r of a class of size m gets the key (r + u) / m with u ~ U(0, 1): sorting by key
    interleaves the classes evenly, so taking the first n_test rows stratifies.
    """
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    by_class = np.argsort(inverse, kind="stable")
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.empty(len(labels), dtype=np.float64)
    rank[by_class] = np.arange(len(labels)) - np.repeat(starts, counts)
    keys = (rank + rng.random(len(labels))) / counts[inverse]
    return np.argsort(keys, kind="stable")


def subsample_indices(n: int, max_samples: int | None, seed: int) -> np.ndarray | None:
    """Sorted indices of a seeded subset of ``max_samples`` rows, or None when all rows stay."""
    if max_samples is None or max_samples >= n:
        return None
    rng = rng_for(seed, STREAM_SUBSAMPLE)
    return np.sort(rng.choice(n, size=max_samples, replace=False))


def check_split_options(test_fraction: float, seed: int, max_samples: int | None) -> None:
    """Reject out-of-range common options with a message naming the option and the fix."""
    ok_fraction = isinstance(test_fraction, (int, float)) and not isinstance(test_fraction, bool)
    if not (ok_fraction and 0 < test_fraction < 1):
        raise ConfigError(
            f"test_fraction={test_fraction!r} is invalid: choose a number strictly between 0 and 1"
        )
    if not (isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < 2**32):
        raise ConfigError(f"seed={seed!r} is invalid: the seed must be an integer in 0..2**32-1")
    if max_samples is not None and not (
        isinstance(max_samples, int) and not isinstance(max_samples, bool) and max_samples >= 2
    ):
        raise ConfigError(
            f"max_samples={max_samples!r} is invalid: choose an integer ≥ 2, or leave it unset"
        )


def apply_preprocess(
    x_train: np.ndarray,
    x_test: np.ndarray,
    steps: tuple[str, ...],
    *,
    value_range: tuple[float, float] | None = None,
    base: Preprocessing | None = None,
) -> tuple[np.ndarray, np.ndarray, Preprocessing]:
    """Scale both splits with statistics of ``x_train``; return float32 copies and the record.

    Args:
        x_train: [n_train, d_in] numeric. x_test: [n_test, d_in] numeric.
        steps: from :func:`parse_preprocess`, applied in order.
        value_range: the source's known (min, max) of raw values (e.g. 0..255 for MNIST) used by
            ``scale01``; None uses the training split's global min and max.
        base: what the source itself already did, so ``to_raw`` undoes both.
    """
    # float64 input is scaled in float64 so a large offset does not eat float32's precision.
    work = np.dtype(np.float64 if np.asarray(x_train).dtype == np.float64 else np.float32)
    train: np.ndarray = np.array(x_train, dtype=work, order="C")
    test: np.ndarray = np.array(x_test, dtype=work, order="C")
    base = base or Preprocessing()
    offset: np.ndarray | float = base.offset
    scale: np.ndarray | float = base.scale
    for i, step in enumerate(steps):
        known = value_range if i == 0 and not base.steps else None
        step_offset, step_scale = _step_statistics(step, train, known)
        # (x − o1)/s1 then (· − o2)/s2 is one affine map with offset o1 + o2·s1, scale s1·s2.
        offset = offset + step_offset * scale
        scale = scale * step_scale
        for x in (train, test):
            x -= step_offset
            x /= step_scale
    record = Preprocessing(steps=base.steps + steps, offset=offset, scale=scale)
    with np.errstate(over="ignore", invalid="ignore"):
        float32 = [np.ascontiguousarray(x, dtype=np.float32) for x in (train, test)]
    if not all(np.isfinite(x).all() for x in float32):
        # float64 files may hold values beyond float32's ±3.4e38; they would train as inf.
        raise DataError(
            "the data holds values too large for 32-bit floats (beyond ±3.4e38): rescale them "
            'first, or choose the preprocessing "scale to [0, 1] per dimension" (scale01)'
        )
    return float32[0], float32[1], record


def _step_statistics(
    step: str, train: np.ndarray, known_range: tuple[float, float] | None
) -> tuple[np.ndarray | float, np.ndarray | float]:
    """(offset, scale) of one step, from the current training values [n_train, d_in]."""
    if step == "scale01":
        low, high = known_range or (float(train.min()), float(train.max()))
        return low, (high - low) if high > low else 1.0
    mean = train.mean(axis=0, dtype=np.float64).astype(train.dtype)
    if step == "centre":
        return mean, 1.0
    std = train.std(axis=0, dtype=np.float64).astype(train.dtype)
    # A constant dimension has std 0: leave its scale alone rather than divide by zero.
    return mean, np.where(std > 1e-12, std, 1.0).astype(train.dtype)


@dataclass(frozen=True, kw_only=True)
class RawData:
    """What a source hands to the common preparation, in the source's own units.

    Attributes:
        x: [n, d_in] numeric; all samples, or the training split when ``x_test`` is set.
        y: [n] int64 labels or None.
        x_test, y_test: a split the source fixes itself (MNIST's official one, or patches whose
            whitening must come from training rows only); None lets the common code split.
        features: [n_features, d_in] ground-truth directions (synthetic data).
        feature_activity: [n, n_features] bool, which features fire in each row of ``x``.
        feature_children: the parent -> children map of a feature hierarchy, or None.
        value_range: the known (min, max) of raw values, used by ``scale01`` (digits 0..16).
        base: what the source already did to the values.
        notes: things the user should know (an encoding fallback, a dropped column).
        notices: things the user should act on, shown prominently (a column taken as the
            labels because of its name).
    """

    x: np.ndarray
    y: np.ndarray | None = None
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    image_shape: tuple[int, int] | None = None
    features: np.ndarray | None = None
    feature_activity: np.ndarray | None = None
    feature_children: dict[int, tuple[int, ...]] | None = None
    value_range: tuple[float, float] | None = None
    base: Preprocessing = field(default_factory=Preprocessing)
    description: str = ""
    notes: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    # network activations (net:digits): the input images behind each row, and the network
    # after the layer; inputs [n, h·w] align with x, inputs_test with x_test
    inputs: np.ndarray | None = None
    inputs_test: np.ndarray | None = None
    input_shape: tuple[int, int] | None = None
    readout: Readout | None = None


EXTREME_Z = 50.0  # held-out z-scores beyond this mean a dimension barely varied in training


def standardise_warning(steps: tuple[str, ...], x_test: np.ndarray) -> str | None:
    """Why standardised data may train badly, or None.

    Per-dimension standardising divides by the training spread; a dimension that barely varies
    in training (MNIST's border pixels) then gets held-out values in the hundreds, and most of
    the test error lands in a few such dimensions (MNIST: FVE 0.73 with scale01, 0.04 here).
    """
    if "standardise" not in steps or not x_test.size:
        return None
    extreme = np.abs(x_test) > EXTREME_Z
    if not extreme.any():
        return None
    dims = int(extreme.any(axis=0).sum())
    return (
        f"{dims} dimension(s) barely vary in the training split, so standardised test values "
        f"reach |z| = {float(np.abs(x_test).max()):.0f}: the model's error will concentrate there. "
        "For images choose scale to [0, 1] (or centre)."
    )
