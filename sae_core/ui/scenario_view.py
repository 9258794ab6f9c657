"""The Start page's widgets: a one-click quick start and the guided scenarios.

A scenario's button trains its models (``scenario.run()``), makes the model it names the shown
one, adds every model it trained to the session's runs (Compare's table and frontier), and keeps
its result in the session so the numbers stay on the page across reruns. Under a teacher link
that fixes the set-up neither button is drawn: each would replace the fixed settings.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import streamlit as st

from sae_core.app.pages import page_title
from sae_core.app.scenarios import Scenario, ScenarioResult
from sae_core.config import SAEConfig, TrainConfig
from sae_core.ui.adopt import adopt_setup
from sae_core.ui.guard import user_errors
from sae_core.ui.keep import SHADOW_PREFIX
from sae_core.ui.state import (
    MAX_SESSION_RUNS,
    AppState,
    current_from_result,
    load_choice,
    make_choice,
    set_current,
)
from sae_core.ui.teacher import page_allowed, setup_fixed

if TYPE_CHECKING:  # pandas loads when a scenario runs, not with the Start page
    import pandas as pd

RESULTS_KEY = "home_results"  # scenario key -> ScenarioResult of this session
NOTES_KEY = "home_setup_notes"  # scenario key -> what its set-up has that no control holds
MISSING = "—"  # a table cell with no value


def results() -> dict[str, ScenarioResult]:
    """This session's scenario results, by scenario key."""
    stored: dict[str, ScenarioResult] = st.session_state.setdefault(RESULTS_KEY, {})
    return stored


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def table_text(table: pd.DataFrame) -> pd.DataFrame:
    """A scenario's table as shown: numbers to 4 decimals, a missing value (MMCS where the data
    has no ground truth) as "—", not "None"."""
    import pandas as pd

    shown = table.copy()
    for column in shown.columns:
        values = shown[column]
        if values.map(lambda v: v is None or (isinstance(v, float) and math.isnan(v))).any():
            shown[column] = values.map(_cell)
        elif pd.api.types.is_float_dtype(values):
            shown[column] = values.round(4)
    return shown


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def render_quick_start(state: AppState) -> None:
    """Train the default model (digits, L1, λ = 0.1, 128 latents) in one click."""
    if setup_fixed() or not st.button(
        "Train the default model", key="home_quick", type="primary", icon=":material/bolt:"
    ):
        return
    done = False
    with user_errors("Training"), st.spinner("Training on digits (about a second)…"):
        # torch loads here (or already did, in the background: sae_core/ui/preload.py), not
        # with the Start page
        from sae_core.training.fit import train

        data = make_choice("digits")
        dataset = load_choice(data)
        result = train(SAEConfig(d_in=dataset.d_in), dataset, TrainConfig())
        set_current(state, current_from_result(data, dataset, result))
        adopt_setup(data, result.sae_config, result.train_config)  # Train shows the defaults
        done = True
    if done:
        st.rerun()  # redraw so the sidebar shows the new model


def run_scenario(state: AppState, scenario: Scenario) -> None:
    """Train ``scenario``, show the model it names, and keep its result for this session."""
    done = False
    with user_errors("Scenario"), st.spinner(f"Training: {scenario.title}…"):
        result = scenario.run()
        results()[scenario.key] = result
        _record_runs(state, scenario, result)
        _show(state, scenario, result)
        done = True
    if done:
        st.rerun()  # redraw so the sidebar shows the new model


def _show(state: AppState, scenario: Scenario, result: ScenarioResult) -> None:
    """Make the scenario's model the shown one; the Train page and the link take its set-up."""
    data = make_choice(result.data_spec, **result.data_options)
    current = current_from_result(data, result.dataset, result.show)
    set_current(state, current)
    label = next((name for name, run in result.runs if run is result.show), "shown")
    name = f"{scenario.key}-{label}"  # on Compare, named for the scenario as its other models
    state.session_runs = [r for r in state.session_runs if r["name"] != name]  # shown before
    for row in state.session_runs:
        if row["id"] == current.id:
            row["name"] = name
    notes = adopt_setup(data, result.show.sae_config, result.show.train_config)
    if result.latent is not None:  # Filters & latents opens on the latent the scenario names
        st.session_state["filt_latent"] = st.session_state[SHADOW_PREFIX + "filt_latent"] = (
            result.latent
        )
    st.session_state[NOTES_KEY] = {**st.session_state.get(NOTES_KEY, {}), scenario.key: notes}


def _record_runs(state: AppState, scenario: Scenario, result: ScenarioResult) -> None:
    """Add the scenario's other models to the session's runs, named ``<scenario>-<label>``
    (:func:`_show` adds the shown one); rows of an earlier run of it are replaced."""
    data = make_choice(result.data_spec, **result.data_options)
    prefix = f"{scenario.key}-"
    state.session_runs = [r for r in state.session_runs if not str(r["name"]).startswith(prefix)]
    for label, run in result.runs:
        if run is result.show:
            continue
        current = current_from_result(data, result.dataset, run)
        state.models[current.id] = current  # Compare can show it
        row = {**current.summary(), "name": prefix + label, "source": "scenario"}
        state.session_runs.append(row)
    del state.session_runs[:-MAX_SESSION_RUNS]


def _is_shown(state: AppState, result: ScenarioResult) -> bool:
    return state.current is not None and state.current.model is result.show.model


def _render_result(state: AppState, scenario: Scenario, result: ScenarioResult) -> None:
    cols = st.columns(len(result.headline))
    for col, (label, value) in zip(cols, result.headline.items(), strict=True):
        col.metric(label, _fmt(value))
    st.markdown(f"**Found:** {result.conclusion}")
    st.markdown(f"**Look at:** {scenario.look_at}")
    st.dataframe(table_text(result.table), hide_index=True, key=f"home_table_{scenario.key}")
    if not _is_shown(state, result):  # another scenario or a training replaced it since
        st.caption("Another model is shown now. This scenario's model is kept: show it again.")
        if st.button("Show this model", key=f"home_show_{scenario.key}", icon=":material/undo:"):
            _show(state, scenario, result)
            st.rerun()
        return
    notes = st.session_state.get(NOTES_KEY, {}).get(scenario.key, [])
    st.caption(
        "The shown model is now this scenario's: every page displays it, the Train page holds "
        "its settings and *Share this set-up* gives its link. Numbers computed just now on the "
        "held-out split." + (f" Not in the link: {'; '.join(notes)}." if notes else "")
    )
    title = page_title(scenario.page) or "its page"
    if page_allowed(scenario.page.removeprefix("app_pages/").removesuffix(".py")):
        st.page_link(scenario.page, label=f"See it on {title}", icon=":material/arrow_forward:")


def render_scenario(state: AppState, scenario: Scenario) -> None:
    """One card: title, summary, its button, and its live result once run."""
    with st.container(border=True):
        st.markdown(f"**{scenario.title}**")
        st.caption(scenario.summary)
        label = "Run again" if scenario.key in results() else "Run"
        if setup_fixed():  # a teacher link: the scenario's set-up would replace the fixed one
            st.caption("Off under your teacher's link: it would replace the set-up it fixes.")
        elif st.button(label, key=f"home_run_{scenario.key}", icon=":material/play_arrow:"):
            run_scenario(state, scenario)
        result = results().get(scenario.key)
        if result is not None:
            _render_result(state, scenario, result)
