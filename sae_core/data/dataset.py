"""The `Dataset` every data source returns and every consumer reads."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, kw_only=True)
class Preprocessing:
    """What was done to the raw values, so pages can show inputs in original units.

    ``x_model = (x_raw - offset) / scale`` per dimension; ``offset``/``scale`` are [d_in] or
    scalars. ``steps`` names what was applied, in order, e.g. ``("scale01", "centre")``.
    """

    steps: tuple[str, ...] = ()
    offset: np.ndarray | float = 0.0
    scale: np.ndarray | float = 1.0

    def to_raw(self, x: np.ndarray) -> np.ndarray:
        """Undo the affine part: [n, d_in] model units -> [n, d_in] original units (float32)."""
        return (np.asarray(x) * self.scale + self.offset).astype(np.float32, copy=False)

    @property
    def is_identity(self) -> bool:
        """True when model units are the original units (no scaling or shift was applied)."""
        return bool(np.all(np.asarray(self.scale) == 1) and np.all(np.asarray(self.offset) == 0))


@dataclass(frozen=True, kw_only=True)
class Dataset:
    """Train/test float32 matrices plus what is known about them.

    Attributes:
        name: source id with options, e.g. ``"digits"`` or ``"mnist:/data/mnist"``.
        x_train: [n_train, d_in] float32, C-contiguous.
        x_test: [n_test, d_in] float32.
        y_train, y_test: [n] int64 labels, or None.
        image_shape: (height, width) with height·width == d_in when samples are images, else None.
        features: [n_features, d_in] float32 ground-truth directions (unit rows), synthetic only.
        feature_activity: [n_test, n_features] bool, which features fire in each test sample
            (synthetic only; kept for the held-out split alone, where metrics are measured).
        feature_children: the parent -> children map of a synthetic feature hierarchy, or None.
        preprocessing: how raw values became ``x``.
        description: one line for the UI.
    """

    name: str
    x_train: np.ndarray
    x_test: np.ndarray
    y_train: np.ndarray | None = None
    y_test: np.ndarray | None = None
    image_shape: tuple[int, int] | None = None
    features: np.ndarray | None = None
    feature_activity: np.ndarray | None = None
    feature_children: dict[int, tuple[int, ...]] | None = None
    preprocessing: Preprocessing = field(default_factory=Preprocessing)
    description: str = ""

    @property
    def d_in(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def n_train(self) -> int:
        return int(self.x_train.shape[0])

    @property
    def n_test(self) -> int:
        return int(self.x_test.shape[0])

    @property
    def is_image(self) -> bool:
        return self.image_shape is not None

    @property
    def has_labels(self) -> bool:
        return self.y_train is not None and self.y_test is not None
