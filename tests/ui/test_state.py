"""One session's state: overlapping script runs (a click while the last one still evaluates)
and the memory its kept models may hold.

Streamlit starts the rerun at once; the old run has no st call during the evaluation to stop it.
The shown model must still be one consistent snapshot, and the newest one.
"""

from __future__ import annotations

from typing import Any

import pytest

from sae_core.analysis.metrics import evaluate
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.ui import state as state_module
from sae_core.ui.state import AppState, make_choice, new_trainer, snapshot
from sae_core.ui.training_loop import publish


@pytest.fixture()
def live() -> tuple[AppState, Any, Any]:
    data = make_choice("digits")
    dataset = load_dataset("digits")
    state = AppState()
    trainer = new_trainer(state, data, dataset, SAEConfig(d_in=64, d_sae=16), TrainConfig(epochs=2))
    trainer.run(5)
    return state, data, dataset


def test_a_snapshot_reads_steps_and_weights_at_one_moment(monkeypatch, live) -> None:
    state, data, dataset = live

    def evaluate_while_another_run_steps(model: Any, ds: Any, **kw: Any) -> Any:
        state.trainer.run(3)  # the other run steps the same trainer meanwhile
        return evaluate(model, ds, **kw)

    monkeypatch.setattr(state_module, "evaluate", evaluate_while_another_run_steps)
    current = snapshot(state, data, dataset, finished=False)
    assert current.steps == 5 and len(current.history) == 5
    assert state.trainer.step_count == 8


def test_an_older_slower_snapshot_does_not_replace_a_newer_shown_model(monkeypatch, live) -> None:
    state, data, dataset = live
    calls = []
    inner: list[Any] = []

    def evaluate_slowly(model: Any, ds: Any, **kw: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:  # meanwhile a later click steps on and publishes first
            state.trainer.run(10)
            publish(state, data, dataset, finished=False)
            inner.append(state.current)
        return evaluate(model, ds, **kw)

    monkeypatch.setattr(state_module, "evaluate", evaluate_slowly)
    publish(state, data, dataset, finished=False)
    assert len(calls) == 2
    assert state.current is inner[0] and state.current.steps == 15  # the newer one stays
    assert [row["steps"] for row in state.session_runs] == [15]


def _interrupted_page() -> None:
    import streamlit as st

    from sae_core.config import SAEConfig, TrainConfig
    from sae_core.data import load_dataset
    from sae_core.ui.state import get_state, make_choice, new_trainer
    from sae_core.ui.training_loop import RUNNING_KEY, TrainRequest, recover_interrupted

    state = get_state()
    if state.trainer is None:  # the run a click cut short: trained, marked, not published
        data, dataset = make_choice("digits"), load_dataset("digits")
        sae, train = SAEConfig(d_in=64, d_sae=16), TrainConfig(epochs=1)
        new_trainer(state, data, dataset, sae, train).run()
        st.session_state[RUNNING_KEY] = TrainRequest(data, dataset, sae, train)
    recover_interrupted(state)  # what app.py does first on every page


def test_the_next_run_on_any_page_publishes_an_interrupted_runs_model() -> None:
    from streamlit.testing.v1 import AppTest

    from sae_core.ui.state import STATE_KEY
    from sae_core.ui.training_loop import RUNNING_KEY

    at = AppTest.from_function(_interrupted_page).run()
    state = at.session_state[STATE_KEY]
    assert state.current is not None and state.current.finished
    assert state.current.steps == state.trainer.step_count == 12
    assert RUNNING_KEY not in at.session_state


def test_kept_models_stay_within_the_session_memory_budget(monkeypatch) -> None:
    import numpy as np

    from sae_core.ui.state import set_current
    from tests.helpers.app import make_current

    monkeypatch.setattr(state_module, "MAX_SESSION_BYTES", 10 * 2**20)
    state = AppState()
    models = []
    for _ in range(4):
        current = make_current("digits", d_sae=8, epochs=1)
        current._analysis["latents"] = np.zeros((1024, 1024), dtype=np.float32)  # 4 MiB
        set_current(state, current)
        models.append(current)
    assert list(state.models.values()) == models[-2:]  # 2 × 4 MiB fit in 10 MiB
    set_current(state, models[-2])  # shown again: it moves to the newest place
    newest = make_current("digits", d_sae=8, epochs=1)
    newest._analysis["latents"] = np.zeros((1024, 1024), dtype=np.float32)
    set_current(state, newest)
    assert list(state.models.values()) == [models[-2], newest]
