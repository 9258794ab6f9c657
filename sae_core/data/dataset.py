"""The `Dataset` every data source returns and every consumer reads."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sae_core.data.readout import Readout
from sae_core.errors import DataError


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
        inputs_train, inputs_test: [n, h·w] the input images behind each row when ``x`` is a
            network's activations (``net:digits``, an NPZ with ``images``), for display.
        input_shape: (height, width) of those inputs.
        readout: the network after the layer ``x`` comes from, to splice x̂ back in.
        notices: what the user should be told prominently and may want to change, e.g. that a
            CSV column named "label" was taken as the labels (the app shows each with
            ``st.info``, the CLI on stderr); also part of ``description``.
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
    notices: tuple[str, ...] = ()
    inputs_train: np.ndarray | None = None
    inputs_test: np.ndarray | None = None
    input_shape: tuple[int, int] | None = None
    readout: Readout | None = None

    def __post_init__(self) -> None:
        # Checked here, once, so a mismatch fails when the data is built, not after training.
        check_split(self.x_train, "x_train")
        check_split(self.x_test, "x_test")
        d_in = self.x_train.shape[1]
        if self.x_test.shape[1] != d_in:
            raise DataError(
                f"dataset {self.name!r}: x_train has {d_in} columns but x_test has "
                f"{self.x_test.shape[1]}: both splits need the same width d_in"
            )
        self._check_labels()
        self._check_image_shape(d_in)
        self._check_features(d_in)
        self._check_inputs()

    def _check_labels(self) -> None:
        if (self.y_train is None) != (self.y_test is None):
            raise DataError(
                f"dataset {self.name!r}: labels are given for one split only: give y_train and "
                "y_test, or neither"
            )
        for y, x, split in (
            (self.y_train, self.x_train, "train"),
            (self.y_test, self.x_test, "test"),
        ):
            if y is None:
                continue
            if not isinstance(y, np.ndarray) or y.ndim != 1 or y.dtype.kind not in "iu":
                raise DataError(
                    f"dataset {self.name!r}: y_{split} must be a 1-D integer array, got "
                    f"{_describe(y)}"
                )
            if len(y) != len(x):
                raise DataError(
                    f"dataset {self.name!r}: y_{split} has {len(y)} labels but x_{split} has "
                    f"{len(x)} samples: give one label per sample"
                )

    def _check_image_shape(self, d_in: int) -> None:
        if self.image_shape is None:
            return
        shape = tuple(self.image_shape)
        if len(shape) != 2 or min(shape) < 1 or shape[0] * shape[1] != d_in:
            raise DataError(
                f"dataset {self.name!r}: image_shape {shape} does not hold d_in = {d_in} pixels: "
                "give (height, width) with height × width == d_in, or None"
            )

    def _check_features(self, d_in: int) -> None:
        if self.features is not None and (
            np.ndim(self.features) != 2 or np.shape(self.features)[1] != d_in
        ):
            raise DataError(
                f"dataset {self.name!r}: features have shape {np.shape(self.features)} but need "
                f"[n_features, d_in = {d_in}]"
            )
        if self.feature_activity is None:
            return
        n_features = None if self.features is None else np.shape(self.features)[0]
        want = (self.n_test, n_features)
        got = np.shape(self.feature_activity)
        if len(got) != 2 or got[0] != self.n_test or n_features not in (None, got[1]):
            raise DataError(
                f"dataset {self.name!r}: feature_activity has shape {got} but needs "
                f"[n_test, n_features] = {list(want)}"
            )

    def _check_inputs(self) -> None:
        pairs = (
            (self.inputs_train, self.n_train, "train"),
            (self.inputs_test, self.n_test, "test"),
        )
        if self.inputs_train is None and self.inputs_test is None:
            return
        pixels = None if self.input_shape is None else self.input_shape[0] * self.input_shape[1]
        for inputs, n, split in pairs:
            if inputs is None:
                raise DataError(f"dataset {self.name!r}: inputs_{split} is missing: give both")
            if np.ndim(inputs) != 2 or len(inputs) != n:
                raise DataError(
                    f"dataset {self.name!r}: inputs_{split} has shape {np.shape(inputs)} but "
                    f"needs one flattened input per sample of x_{split} ({n} rows)"
                )
            if pixels is not None and np.shape(inputs)[1] != pixels:
                raise DataError(
                    f"dataset {self.name!r}: inputs_{split} rows have {np.shape(inputs)[1]} "
                    f"values but input_shape {self.input_shape} holds {pixels}"
                )

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


def check_split(x: object, what: str) -> None:
    """DataError unless ``x`` is a 2-D float32 array with at least one row and one column."""
    if not isinstance(x, np.ndarray) or x.ndim != 2:
        raise DataError(f"{what} must be a 2-D [samples, d_in] array, got {_describe(x)}")
    if x.dtype != np.float32:
        raise DataError(
            f"{what} is {x.dtype}, but a Dataset holds float32: convert it with "
            "x.astype(np.float32)"
        )
    if min(x.shape) < 1:
        raise DataError(f"{what} has shape {list(x.shape)}: need at least one sample and column")


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"a {value.ndim}-D {value.dtype} array of shape {list(value.shape)}"
    return type(value).__name__
