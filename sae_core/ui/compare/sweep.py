"""Sweeps for the Compare page: parse the grid, train it batched, keep the results (bounded).

A sweep takes the current model's settings (or digits defaults) as its base and varies λ and/or
the hidden size; ``sae_core.training.fit.train_sweep`` trains them stacked (hidden sizes padded
into one stack where exact). Every result becomes a session-run row; only the last sweep's
models stay in memory (for Save / Load).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from sae_core import methods
from sae_core.analysis.metrics import EvalMetrics
from sae_core.app.controls import LAM_GRID as TRAIN_LAM_GRID
from sae_core.app.link import snap_to_grid
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data.dataset import Dataset
from sae_core.errors import ConfigError
from sae_core.training.fit import SweepResult, sweep_stacks, train_sweep
from sae_core.training.trainer import Trainer
from sae_core.ui.state import (
    MAX_SESSION_RUNS,
    AppState,
    Current,
    DataChoice,
    load_choice,
    make_choice,
)

# The Train slider's λ grid (1-2-3-5 per decade): a swept λ can be set back on the Train page
LAM_GRID = TRAIN_LAM_GRID
SWEEP_LAM_FACTOR = 3.0  # default sweep: λ/3, λ, 3λ (snapped to the grid)
WIDTH_GRID: tuple[int, ...] = (8, 16, 32, 64, 128, 256, 512, 1024)
MAX_SWEEP_MODELS = 32  # models trained (and kept) per sweep: bounds time and memory
MAX_SEEDS = 5
SWEEP_MODELS_KEY = "cmp_sweep_models"  # session_state: {id: Current} of the last sweep only
SWEEP_TABLE_KEY = "cmp_sweep_table"  # session_state: the last sweep's table (for its figures)
# Linear probes for sweep rows: off, because they about double the wait for a sweep (8 λ on
# digits, 20 epochs: Run sweep 0.37 s -> 0.73 s CPU) for a column the sweep charts do not use.
SWEEP_PROBES = False


@dataclass(frozen=True, kw_only=True)
class SweepBase:
    """What a sweep starts from: the data and the settings of the current model (or defaults)."""

    data: DataChoice
    dataset: Dataset
    sae_config: SAEConfig
    train_config: TrainConfig


@dataclass(frozen=True, kw_only=True)
class SweepSpec:
    """The grid to train: λ values × hidden sizes × seeds, for ``epochs`` each."""

    lams: tuple[float, ...]
    d_saes: tuple[int, ...]
    seeds: tuple[int, ...]
    epochs: int

    @property
    def n_models(self) -> int:
        return len(self.lams) * len(self.d_saes) * len(self.seeds)


def parse_number_list(text: str, *, name: str = "λ", integer: bool = False) -> list[float]:
    """Parse ``"0.01, 0.1,1"`` into sorted unique numbers; ConfigError names the bad entry."""
    values: list[float] = []
    example = "16,64,256" if integer else "0.01,0.1,1"
    for raw in text.replace(";", ",").split(","):
        item = raw.strip()
        if not item:
            continue
        try:
            value = float(item)
        except ValueError:
            raise ConfigError(
                f"{name} value {item!r} is not a number: write numbers separated "
                f"by commas, e.g. {example}"
            ) from None
        if not math.isfinite(value) or value < 0:
            raise ConfigError(f"{name} value {item!r} is invalid: use finite numbers ≥ 0")
        if integer and (value != int(value) or value < 1):
            raise ConfigError(f"{name} value {item!r} is invalid: use whole numbers ≥ 1")
        values.append(value)
    if not values:
        raise ConfigError(
            f"no {name} values given: write numbers separated by commas, e.g. {example}"
        )
    return sorted(set(values))


def default_lams(lam: float) -> list[float]:
    """λ/3, λ and 3λ snapped to the grid: a first sweep around the model that includes it."""
    centre = lam if lam > 0 else 0.01
    wanted = (centre / SWEEP_LAM_FACTOR, centre, centre * SWEEP_LAM_FACTOR)
    return sorted({snap_to_grid(v, LAM_GRID) for v in wanted})


def sweep_base(state: AppState) -> SweepBase:
    """The current model's data and settings, or digits with default settings."""
    current = state.current
    if current is not None:
        return SweepBase(
            data=current.data,
            dataset=current.dataset,
            sae_config=current.sae_config,
            train_config=current.train_config,
        )
    choice = make_choice("digits")
    dataset = load_choice(choice)
    return SweepBase(
        data=choice,
        dataset=dataset,
        sae_config=SAEConfig(d_in=dataset.d_in),
        train_config=TrainConfig(),
    )


def make_spec(
    base: SweepBase, *, lams: Sequence[float], d_saes: Sequence[int], n_seeds: int, epochs: int
) -> SweepSpec:
    """Fill empty choices from the base and check the grid's size; ConfigError says the fix."""
    if not lams and not d_saes:
        raise ConfigError("nothing to sweep: choose λ values and/or hidden sizes")
    uses_lam = methods.get(base.sae_config.method).uses_lam  # else λ changes nothing
    lam_values = lams if uses_lam and lams else (base.sae_config.lam,)
    spec = SweepSpec(
        lams=tuple(float(v) for v in lam_values),
        d_saes=tuple(int(h) for h in d_saes) or (base.sae_config.d_sae,),
        seeds=tuple(base.train_config.seed + i for i in range(int(n_seeds))),
        epochs=int(epochs),
    )
    if spec.n_models > MAX_SWEEP_MODELS:
        raise ConfigError(
            f"the sweep has {spec.n_models} models (λ × hidden sizes × seeds), "
            f"more than {MAX_SWEEP_MODELS}: choose fewer values or seeds"
        )
    return spec


def progress_callback(
    report: Callable[[float], object], n_groups: int
) -> Callable[[Trainer], None]:
    """A ``train_sweep`` callback calling ``report(fraction)`` about once per percent.

    train_sweep runs one trainer per stack (``sweep_stacks``); a step count that goes back down means the
    next trainer started.
    """
    seen = {"group": 0, "step": 0, "percent": -1}

    def callback(trainer: Trainer) -> None:
        if trainer.step_count <= seen["step"]:
            seen["group"] += 1
        seen["step"] = trainer.step_count
        fraction = min(1.0, (seen["group"] + trainer.progress) / max(1, n_groups))
        if int(100 * fraction) != seen["percent"]:
            seen["percent"] = int(100 * fraction)
            report(fraction)

    return callback


def run_sweep(
    state: AppState, base: SweepBase, spec: SweepSpec, report: Callable[[float], object]
) -> list[Current]:
    """Train the grid, add one row per model to the session runs and keep the models."""
    tc = base.train_config.replace(epochs=spec.epochs, steps=None)
    n_seeds = len(set(spec.seeds))
    n_stacks = len(sweep_stacks(base.sae_config, tc, spec.lams, spec.d_saes, n_seeds=n_seeds))
    result = train_sweep(
        base.sae_config,
        base.dataset,
        tc,
        lams=spec.lams,
        d_saes=spec.d_saes,
        seeds=spec.seeds,
        callback=progress_callback(report, n_stacks),
        probe=SWEEP_PROBES,
    )
    currents = sweep_currents(result, base, tc)
    tag = uuid.uuid4().hex[:4]
    rows = [sweep_row(c, tag) for c in currents]
    state.session_runs.extend(rows)
    del state.session_runs[:-MAX_SESSION_RUNS]
    st.session_state[SWEEP_MODELS_KEY] = {c.id: c for c in currents}
    st.session_state[SWEEP_TABLE_KEY] = pd.DataFrame(rows)
    return currents


def sweep_currents(result: SweepResult, base: SweepBase, tc: TrainConfig) -> list[Current]:
    """One :class:`Current` per sweep model (lazy analysis: nothing is encoded yet)."""
    seconds = result.train_seconds / max(1, len(result.models))  # stacked: time is shared
    currents = []
    for i, (model, cfg, seed) in enumerate(
        zip(result.models, result.configs, result.seeds, strict=True)
    ):
        history = result.history[result.history["model"] == i].drop(columns="model")
        metrics = EvalMetrics.from_dict(result.table.iloc[i].to_dict())
        steps = int(history["step"].max()) if len(history) else 0
        currents.append(
            Current(
                data=base.data,
                dataset=base.dataset,
                sae_config=cfg,
                train_config=tc.replace(seed=int(seed)),
                model=model,
                history=history.reset_index(drop=True),
                metrics=metrics,
                train_seconds=seconds,
                steps=steps,
            )
        )
    return currents


def sweep_row(current: Current, tag: str) -> dict[str, Any]:
    """A runs-table row named for its settings, e.g. ``sweep-3f2a-l1-lam0.1-h64-s0``."""
    cfg = current.sae_config
    setting = f"k{cfg.k}" if methods.get(cfg.method).uses_k else f"lam{cfg.lam:g}"
    name = f"sweep-{tag}-{cfg.method}-{setting}-h{cfg.d_sae}-s{current.train_config.seed}"
    return {**current.summary(), "name": name.replace("+", ""), "source": "sweep"}


def sweep_models() -> dict[str, Current]:
    """The last sweep's models by id (empty before any sweep)."""
    models: dict[str, Current] = st.session_state.get(SWEEP_MODELS_KEY, {})
    return models


def last_sweep_table() -> pd.DataFrame | None:
    table: pd.DataFrame | None = st.session_state.get(SWEEP_TABLE_KEY)
    return table
