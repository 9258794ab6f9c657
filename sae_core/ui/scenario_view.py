"""The Start page's widgets: a one-click quick start and the guided scenarios.

A scenario's button trains its models (``scenario.run()``), makes the model it names the shown
one, and keeps its result in the session so the numbers stay on the page across reruns.
"""

from __future__ import annotations

import streamlit as st

from sae_core.app.pages import page_title
from sae_core.app.scenarios import Scenario, ScenarioResult
from sae_core.config import SAEConfig, TrainConfig
from sae_core.training.fit import train
from sae_core.ui.adopt import adopt_setup
from sae_core.ui.guard import user_errors
from sae_core.ui.keep import SHADOW_PREFIX
from sae_core.ui.state import AppState, current_from_result, load_choice, make_choice, set_current

RESULTS_KEY = "home_results"  # scenario key -> ScenarioResult of this session
NOTES_KEY = "home_setup_notes"  # scenario key -> what its set-up has that no control holds


def results() -> dict[str, ScenarioResult]:
    """This session's scenario results, by scenario key."""
    stored: dict[str, ScenarioResult] = st.session_state.setdefault(RESULTS_KEY, {})
    return stored


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def render_quick_start(state: AppState) -> None:
    """Train the default model (digits, L1, λ = 0.1, 128 latents) in one click."""
    if not st.button(
        "Train the default model", key="home_quick", type="primary", icon=":material/bolt:"
    ):
        return
    done = False
    with user_errors("Training"), st.spinner("Training on digits (about a second)…"):
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
        _show(state, scenario, result)
        done = True
    if done:
        st.rerun()  # redraw so the sidebar shows the new model


def _show(state: AppState, scenario: Scenario, result: ScenarioResult) -> None:
    """Make the scenario's model the shown one; the Train page and the link take its set-up."""
    data = make_choice(result.data_spec, **result.data_options)
    set_current(state, current_from_result(data, result.dataset, result.show))
    notes = adopt_setup(data, result.show.sae_config, result.show.train_config)
    if result.latent is not None:  # Filters & latents opens on the latent the scenario names
        st.session_state["filt_latent"] = st.session_state[SHADOW_PREFIX + "filt_latent"] = (
            result.latent
        )
    st.session_state[NOTES_KEY] = {**st.session_state.get(NOTES_KEY, {}), scenario.key: notes}


def _is_shown(state: AppState, result: ScenarioResult) -> bool:
    return state.current is not None and state.current.model is result.show.model


def _render_result(state: AppState, scenario: Scenario, result: ScenarioResult) -> None:
    cols = st.columns(len(result.headline))
    for col, (label, value) in zip(cols, result.headline.items(), strict=True):
        col.metric(label, _fmt(value))
    st.markdown(f"**Found:** {result.conclusion}")
    st.markdown(f"**Look at:** {scenario.look_at}")
    st.dataframe(result.table.round(4), hide_index=True, key=f"home_table_{scenario.key}")
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
    st.page_link(scenario.page, label=f"See it on {title}", icon=":material/arrow_forward:")


def render_scenario(state: AppState, scenario: Scenario) -> None:
    """One card: title, summary, its button, and its live result once run."""
    with st.container(border=True):
        st.markdown(f"**{scenario.title}**")
        st.caption(scenario.summary)
        label = "Run again" if scenario.key in results() else "Run"
        if st.button(label, key=f"home_run_{scenario.key}", icon=":material/play_arrow:"):
            run_scenario(state, scenario)
        result = results().get(scenario.key)
        if result is not None:
            _render_result(state, scenario, result)
