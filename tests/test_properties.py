"""Property tests: random input either works and keeps the invariants, or raises our error type.

Never another exception type: anything else escaping would reach the user as a traceback.
"""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sae_core import methods
from sae_core.config import (
    DEAD_REMEDIES,
    DEVICES,
    MAX_D_IN,
    MAX_D_SAE,
    MAX_LAM,
    METHODS,
    SAEConfig,
    TrainConfig,
    check_compatible,
)
from sae_core.data import load_file_bytes
from sae_core.errors import ConfigError, DataError, RunError
from sae_core.runs.store import MAX_NAME_LENGTH, run_path, safe_run_name
from tests.helpers.files import all_rows, csv_bytes, npy_bytes, npz_bytes, zip_bytes

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- configurations ---------------------------------------------------------------------------

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(),  # NaN and ±inf included
    st.text(max_size=6),
    st.lists(st.integers(), max_size=2),
)


def field_values(*likely: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly plausible values for one field (near its edges), sometimes any value at all."""
    return st.one_of(*likely, anything)


SAE_FIELDS = {
    "d_sae": field_values(st.integers(-2, MAX_D_SAE + 2)),
    "method": field_values(st.sampled_from(METHODS)),
    "lam": field_values(st.floats(-1, 2 * MAX_LAM), st.sampled_from([0.0, MAX_LAM])),
    "k": field_values(st.integers(-2, 200)),
    "rho": field_values(st.floats(-0.5, 1.5), st.sampled_from([0.0, 1.0])),
    "weight_decay": field_values(st.floats(-1, 10)),
    "tied": field_values(st.booleans()),
    "unit_norm_decoder": field_values(st.booleans()),
    "init_encoder_from_decoder": field_values(st.booleans()),
    "init_b_dec_from_mean": field_values(st.booleans()),
}
TRAIN_FIELDS = {
    "epochs": field_values(st.integers(-2, 100_002)),
    "steps": field_values(st.none(), st.integers(-2, 50)),
    "batch_size": field_values(st.integers(-2, 1_000_002)),
    "lr": field_values(st.floats(-1, 11), st.sampled_from([0.0, 10.0])),
    "seed": field_values(st.integers(-2, 2**32 + 2)),
    "device": field_values(st.sampled_from(DEVICES)),
    "threads": field_values(st.none(), st.integers(-1, 300)),
    "lam_warmup_steps": field_values(st.integers(-2, 100)),
    "dead_remedy": field_values(st.sampled_from(DEAD_REMEDIES)),
    "dead_window": field_values(st.integers(-2, 100)),
    "resample_every": field_values(st.integers(-2, 100)),
    "aux_k": field_values(st.integers(-2, 100)),
    "aux_coef": field_values(st.floats(-1, 1)),
}


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_real(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def assert_sae_invariants(cfg: SAEConfig) -> None:
    assert is_int(cfg.d_in) and 1 <= cfg.d_in <= MAX_D_IN
    assert is_int(cfg.d_sae) and 1 <= cfg.d_sae <= MAX_D_SAE
    assert cfg.method in METHODS and cfg.activation in ("relu", "sigmoid")
    assert is_real(cfg.lam) and 0 <= cfg.lam <= MAX_LAM
    assert is_int(cfg.k) and cfg.k >= 1
    assert not methods.get(cfg.method).uses_k or cfg.k <= cfg.d_sae
    assert cfg.target_l0 is None or (
        type(cfg.target_l0) is float and 0 < cfg.target_l0 <= cfg.d_sae
    )
    assert is_real(cfg.jumprelu_bandwidth) and cfg.jumprelu_bandwidth > 0
    assert is_real(cfg.rho) and 0 < cfg.rho < 1
    assert is_real(cfg.weight_decay) and cfg.weight_decay >= 0
    assert all(type(getattr(cfg, name)) is bool for name in ("tied", "unit_norm_decoder"))
    assert SAEConfig.from_dict(cfg.to_dict()) == cfg


def assert_train_invariants(tc: TrainConfig) -> None:
    assert is_int(tc.epochs) and tc.epochs >= 1
    assert tc.steps is None or (is_int(tc.steps) and tc.steps >= 1)
    assert is_int(tc.batch_size) and tc.batch_size >= 1
    assert is_real(tc.lr) and 0 < tc.lr <= 10
    assert is_int(tc.seed) and 0 <= tc.seed < 2**32
    assert tc.device in DEVICES and tc.dead_remedy in DEAD_REMEDIES
    assert tc.threads is None or (is_int(tc.threads) and tc.threads >= 1)
    assert min(tc.dead_window, tc.resample_every, tc.aux_k) >= 1 and tc.lam_warmup_steps >= 0
    assert is_real(tc.aux_coef) and tc.aux_coef >= 0
    assert TrainConfig.from_dict(tc.to_dict()) == tc


@FAST
@given(
    d_in=field_values(st.integers(-2, MAX_D_IN + 2)),
    values=st.fixed_dictionaries({}, optional=SAE_FIELDS),
)
def test_any_model_config_is_valid_or_a_config_error(d_in: object, values: dict) -> None:
    try:
        cfg = SAEConfig(d_in=d_in, **values)  # type: ignore[arg-type]
    except ConfigError as exc:
        assert re.match(r"^\w+=.+ is invalid: .+", str(exc)), exc
    else:
        assert_sae_invariants(cfg)


@FAST
@given(values=st.fixed_dictionaries({}, optional=TRAIN_FIELDS))
def test_any_training_config_is_valid_or_a_config_error(values: dict) -> None:
    try:
        tc = TrainConfig(**values)
    except ConfigError as exc:
        assert re.match(r"^\w+=.+ is invalid: .+", str(exc)), exc
    else:
        assert_train_invariants(tc)


config_keys = st.sampled_from([f.name for f in dataclasses.fields(SAEConfig)] + ["extra", "d"])


@FAST
@given(
    data=st.one_of(st.dictionaries(config_keys, anything, max_size=6), anything),
    method=st.sampled_from(METHODS),
    remedy=st.sampled_from(DEAD_REMEDIES),
)
def test_any_saved_config_dict_loads_or_raises_a_config_error(
    data: object, method: str, remedy: str
) -> None:
    try:
        cfg = SAEConfig.from_dict(data)  # type: ignore[arg-type]
    except ConfigError:
        cfg = SAEConfig(d_in=3, method=method)
    else:
        assert_sae_invariants(cfg)
    try:
        check_compatible(cfg, TrainConfig(dead_remedy=remedy))
    except ConfigError as exc:
        assert remedy in str(exc)
    else:
        fits = methods.get(cfg.method).dead_remedy  # the registry says which remedy fits
        assert (remedy == "auxk") <= (fits == "auxk")
        assert (remedy == "resample") <= (fits == "resample")


# --- data files -------------------------------------------------------------------------------

values64 = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.floats(allow_nan=False, allow_infinity=False),  # beyond float32's range too
)
shapes = st.tuples(st.integers(1, 8), st.integers(1, 5))


@st.composite
def matrices_with_holes(draw: st.DrawFn) -> np.ndarray:
    """[n, d] float64 with NaN/±inf at random places (often none)."""
    matrix = draw(arrays(np.float64, draw(shapes), elements=values64))
    holes = draw(arrays(np.bool_, matrix.shape, elements=st.booleans() if draw(st.booleans())
                        else st.just(False)))  # fmt: skip
    fill = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    return np.where(holes, fill, matrix)


def encode(matrix: np.ndarray, fmt: str) -> bytes:
    """``matrix`` as a .csv, .npy or .npz (under the name x) file."""
    if fmt == "csv":
        return csv_bytes(matrix)
    return npy_bytes(matrix) if fmt == "npy" else npz_bytes(x=matrix)


def sorted_rows(x: np.ndarray) -> list[tuple[float, ...]]:
    return sorted(map(tuple, x.tolist()))


@FAST
@given(matrix=matrices_with_holes(), fmt=st.sampled_from(["csv", "npy", "npz"]))
def test_any_matrix_loads_exactly_or_raises_a_data_error(matrix: np.ndarray, fmt: str) -> None:
    with np.errstate(over="ignore"):
        as_float32 = matrix.astype(np.float32)  # just past float32's max still rounds to it
    should_fail = len(matrix) < 2 or not np.isfinite(as_float32).all()
    try:
        ds = load_file_bytes(encode(matrix, fmt), f"m.{fmt}", test_fraction=0.5)
    except DataError as exc:
        assert should_fail, exc
        if len(matrix) >= 2 and not np.isfinite(matrix).all():
            assert "NaN or infinite" in str(exc)
    else:
        assert not should_fail
        rows = all_rows(ds)
        assert rows.dtype == np.float32 and np.isfinite(rows).all()
        assert sorted_rows(rows) == sorted_rows(as_float32)


def _npy_with_damage(data: bytes, positions: list[int], values: list[int]) -> bytes:
    damaged = bytearray(data)
    for position, value in zip(positions, values, strict=False):
        damaged[position % len(damaged)] = value
    return bytes(damaged)


@FAST
@given(
    matrix=arrays(np.float32, shapes, elements=st.floats(-10, 10, width=32)),
    positions=st.lists(st.integers(0, 10_000), min_size=1, max_size=4),
    values=st.lists(st.integers(0, 255), min_size=4, max_size=4),
    cut=st.integers(0, 400),
    zipped=st.booleans(),
)
def test_damaged_array_files_load_finite_data_or_raise_a_data_error(
    matrix: np.ndarray, positions: list[int], values: list[int], cut: int, zipped: bool
) -> None:
    data = _npy_with_damage(npy_bytes(matrix), positions, values)
    data = data[: len(data) - cut % len(data)] if cut % 3 == 0 else data
    if zipped:
        data = zip_bytes({"x.npy": data})
    try:
        ds = load_file_bytes(data, "d.npz" if zipped else "d.npy")
    except DataError as exc:
        assert str(exc)
    else:
        assert ds.x_train.dtype == np.float32 and np.isfinite(ds.x_train).all()
        assert np.isfinite(ds.x_test).all() and ds.n_train >= 1 and ds.n_test >= 1


# --- run names --------------------------------------------------------------------------------

SAFE = re.compile(r"[A-Za-z0-9._-]+")
name_strategy = st.one_of(
    st.text(max_size=90),
    st.text(alphabet="ab.-_/\\~:$ \x00\n", max_size=12),
    st.from_regex(r"[A-Za-z0-9._-]{1,85}", fullmatch=True),
    st.none(),
    st.integers(),
    st.binary(max_size=5),
)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runs-root")


@FAST
@given(name=name_strategy)
def test_any_run_name_is_safe_inside_the_root_or_a_run_error(root: Path, name: object) -> None:
    try:
        accepted = safe_run_name(name)  # type: ignore[arg-type]
    except RunError as exc:
        assert "is not allowed" in str(exc)
        with pytest.raises(RunError):
            run_path(name, root)  # type: ignore[arg-type]
        return
    assert isinstance(name, str) and accepted == name
    assert SAFE.fullmatch(name) and len(name) <= MAX_NAME_LENGTH
    assert not name.startswith(".") and ".." not in name
    path = run_path(name, root)
    assert path.resolve().parent == root.resolve() and path.name == name
