"""Shared AppTest helpers for the page tests: open the app, train a model, read charts.

    at = trained_app(train_method="topk", train_k=4, train_epochs=2)
    at.switch_page("app_pages/reconstructions.py").run()

Widget values are given by key (the Train page's keys start with ``train_``). A key whose widget
is on the page is set through the widget; any other (a k slider hidden until TopK is chosen)
through session state, which the Train page's widgets read when they are drawn.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
from streamlit.testing.v1 import AppTest

from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.training.fit import train
from sae_core.ui.state import (
    STATE_KEY,
    AppState,
    Current,
    current_from_result,
    make_choice,
    set_current,
)
from tests.helpers.env import ROOT

APP = ROOT / "app.py"
TRAIN_PAGE = "app_pages/train.py"
TIMEOUT = 120  # a cold start imports torch; training runs inside the script


def _fresh_app(state: AppState | None = None) -> AppTest:
    """The app, not yet run; ``state`` (if given) as the session's :class:`AppState`."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if state is not None:
        at.session_state[STATE_KEY] = state
    return at


def _ran_on(at: AppTest, page: str | None) -> AppTest:
    """``at`` after its first run, switched to ``page`` if given; the script must not raise."""
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_app(page: str | None = None) -> AppTest:
    """The app after its first run (on ``page`` if given), with no exception."""
    return _ran_on(_fresh_app(), page)


def app_state(at: AppTest) -> AppState:
    """The session's :class:`AppState` (current model, trainer, runs)."""
    state: AppState = at.session_state[STATE_KEY]
    return state


def set_widgets(at: AppTest, **values: Any) -> AppTest:
    """Set widgets by key (no run): drawn ones through the widget, others through session state."""
    for key, value in values.items():
        try:
            at.get_by_key(key).set_value(value)
        except KeyError:
            at.session_state[key] = value
    return at


def click(at: AppTest, key: str) -> AppTest:
    """Click button ``key`` and run; the script must not raise."""
    at.button(key=key).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def trained_app(**widget_values: Any) -> AppTest:
    """The app with a finished model: Train page widgets set by key, then Train clicked."""
    at = open_app(TRAIN_PAGE)
    set_widgets(at, **widget_values).run()
    click(at, "train_go")
    current = app_state(at).current
    errors = [e.value for e in at.error]
    assert current is not None and current.finished, f"training did not finish: {errors}"
    return at


def errors(at: AppTest) -> list[str]:
    """Texts of the st.error elements now shown."""
    return [str(e.value) for e in at.error]


def decode_array(value: Any) -> np.ndarray:
    """A plotly JSON array: a plain list, or plotly 7's ``{"dtype", "bdata"}`` base64 form."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        if isinstance(shape, str):
            shape = [int(s) for s in shape.split(",")]
        return array.reshape(shape) if shape else array
    return np.asarray(value)


def chart_spec(at: AppTest, key: str) -> dict[str, Any]:
    """The plotly figure (as JSON) of the chart drawn with ``key``."""
    for element in at.get("plotly_chart"):
        if getattr(element, "key", None) == key or key in str(element.proto.id):
            spec: dict[str, Any] = json.loads(element.proto.spec)
            return spec
    raise KeyError(f"no plotly chart with key {key!r}")


def make_current(
    spec: str = "digits",
    *,
    method: str = "l1",
    d_sae: int = 32,
    epochs: int = 3,
    lam: float | None = None,
    **options: Any,
) -> Current:
    """A quickly trained model on ``spec`` (source options as keywords), as the pages show it."""
    dataset = load_dataset(spec, **options)
    sae_cfg = SAEConfig(
        d_in=dataset.d_in, d_sae=d_sae, method=method, **({} if lam is None else {"lam": lam})
    )
    train_cfg = TrainConfig(epochs=epochs)
    result = train(sae_cfg, dataset, train_cfg, probe=False)
    return current_from_result(make_choice(spec, **options), dataset, result)


def app_with_model(current: Current, page: str | None = None) -> AppTest:
    """The app with ``current`` as the shown model (no Train page), switched to ``page``."""
    state = AppState()
    set_current(state, current)
    return _ran_on(_fresh_app(state), page)


COMPARE_PAGE = "app_pages/compare.py"
EMPTY_SELECTION: dict[str, list[Any]] = {"rows": [], "columns": [], "cells": []}


def compare_app(state: AppState | None = None) -> AppTest:
    """The app opened on the Compare page (with ``state`` as the session's state if given)."""
    at = _fresh_app(state)
    at.switch_page(COMPARE_PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def select_rows(at: AppTest, *rows: int) -> AppTest:
    """Select ``rows`` of the Compare page's runs table, as a click would, and rerun."""
    at.session_state["cmp_table"] = {"selection": {**EMPTY_SELECTION, "rows": list(rows)}}
    return at.run()
