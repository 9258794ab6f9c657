"""Pieces every exploration page shares: the no-model notice, metrics with formulas, units."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import numpy as np
import streamlit as st

from sae_core import methods
from sae_core.analysis.metrics import EvalMetrics
from sae_core.app.controls import UNIT_CHOICES
from sae_core.app.pages import page_path
from sae_core.data.dataset import Dataset
from sae_core.ui.page_controls import draw_page_control
from sae_core.ui.state import AppState, Current
from sae_core.ui.teacher import page_allowed

ZERO_VARIANCE_HINT = (
    "FVE and FVU are undefined (—): the test data has zero variance (all samples are equal), "
    "so FVE's denominator Σ‖xᵢ − x̄‖² is 0."
)


def go_train(message: str) -> NoReturn:
    """Say what to do (``message``), link to the Train page, and end this page's run."""
    st.info(message, icon=":material/info:")
    if page_allowed("train"):  # a teacher link may leave Train out of the navigation
        st.page_link(page_path("train"), label="Open Train", icon=":material/model_training:")
    st.stop()
    raise AssertionError("st.stop() returned")  # pragma: no cover - st.stop raises


def require_current(state: AppState, what: str) -> Current:
    """The shown model; without one, explain how to get one and stop the page (never an error)."""
    if state.current is None:
        go_train(
            f"No model yet, so there are no {what} to show. Open **Train**, pick data and press "
            "Train (digits take about a second); this page then shows the model you trained."
        )
    assert state.current is not None
    return state.current


def metric(container: Any, label: str, value: str, help: str | None = None) -> None:
    """``st.metric`` in ``container`` (a column), its meaning in the tooltip."""
    container.metric(label, value, help=help)


def formulas(latex: Sequence[str], per_row: int = 2) -> None:
    """The defining formulas of the metrics above, ``per_row`` side by side (KaTeX needs width)."""
    for start in range(0, len(latex), per_row):
        for column, tex in zip(st.columns(per_row), latex[start : start + per_row], strict=False):
            column.latex(tex)


def fmt(value: float | None, pattern: str = "{:.3f}") -> str:
    """A metric's text: ``pattern`` applied, or "—" when unknown or not finite."""
    if value is None or value != value or value in (float("inf"), float("-inf")):
        return "—"
    return pattern.format(value)


def undefined_fve_hint(metrics: EvalMetrics) -> str | None:
    """Why FVE and FVU show "—", when the cause is data with zero variance (else None).

    FVE divides by Σ_i ‖x_i − x̄‖², which is 0 when every test sample is the same; a finite MSE
    tells that case apart from a broken model, whose error is not finite either.
    """
    if math.isfinite(metrics.fve) or not math.isfinite(metrics.mse):
        return None
    return ZERO_VARIANCE_HINT


def negative_fve_hint(metrics: EvalMetrics) -> str | None:
    """Why an FVE below 0 is bad news (else None): FVE = 1 − Σ‖x − x̂‖² / Σ‖x − x̄‖², so below 0
    the reconstructions are further from the data than the data's mean is."""
    if not math.isfinite(metrics.fve) or metrics.fve >= 0:
        return None
    return (
        f"FVE is {metrics.fve:.3g}, below 0: the reconstructions are worse than predicting the "
        "mean of the data for every sample (which scores FVE 0). Train longer, lower λ, raise "
        "d_sae, or check the data's preprocessing."
    )


def units_note(dataset: Dataset) -> str:
    """`` (original units)`` for a title when preprocessing changed the values, else ``""``."""
    return "" if dataset.preprocessing.is_identity else " (original units)"


def units_toggle(
    dataset: Dataset, container: Any, key: str
) -> tuple[Callable[[np.ndarray], np.ndarray], str]:
    """A kept radio choosing original or model units for shown inputs, drawn only when
    preprocessing changed the values. Returns (model units -> shown units, their name)."""
    prep = dataset.preprocessing
    if prep.is_identity:
        return _same, UNIT_CHOICES["original"]
    choice = draw_page_control(
        key,
        container,
        horizontal=True,
        help=f"The data was preprocessed ({' + '.join(prep.steps)}); original units undo it "
        "(x_raw = x·scale + offset). The model and its MSE work in model units.",
    )
    if choice == "model":
        return _same, UNIT_CHOICES["model"]
    return prep.to_raw, UNIT_CHOICES["original"]


def _same(x: np.ndarray) -> np.ndarray:
    return x


def sparsity_knob(method: str, lam: float, k: int | None, target_l0: float | None = None) -> str:
    """What sets the sparsity: ``k = 8`` (TopK), ``λ = 0.1``, ``target L0 = 4 (λ = 0.1)`` or ``no
    penalty`` (the registry's)."""
    return methods.get(method).sparsity_knob(lam, k, target_l0)


def model_caption(current: Current) -> None:
    """One line naming the model and the split the page analyses."""
    cfg = current.sae_config
    st.caption(
        f"{current.data.label} · `{cfg.method}` · "
        f"{sparsity_knob(cfg.method, current.model.cfg.lam, cfg.k, cfg.target_l0)} · "
        f"d_sae = {cfg.d_sae} · test split: {current.dataset.n_test} samples"
    )


def newly_selected_row(event: Any, key: str, token: Any) -> int | None:
    """The row position picked in a selectable ``st.dataframe`` (its return value ``event``),
    or None when nothing is picked or the pick was already handled in an earlier run.

    ``key`` names the table; ``token`` identifies what it shows (the model id), so the same
    row picked on another model counts as new. A sort change keeps the pick (no jump).
    """
    rows = list(getattr(getattr(event, "selection", None), "rows", None) or [])
    marker = f"_{key}_handled"
    if not rows:  # cleared: picking the same row again later is a new pick
        st.session_state.pop(marker, None)
        return None
    stamp = (token, tuple(rows))
    if st.session_state.get(marker) == stamp:
        return None
    st.session_state[marker] = stamp
    return int(rows[0])
