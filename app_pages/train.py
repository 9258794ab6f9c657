"""Train: pick data, set the model, train (or play step by step), read the metrics and formulas."""

from __future__ import annotations

import streamlit as st

from sae_core.ui.config_form import render_config_form
from sae_core.ui.data_picker import choose_data, load_and_preview
from sae_core.ui.downloads import render_downloads, render_save_run
from sae_core.ui.guard import user_errors
from sae_core.ui.metrics_panel import render_metrics, render_objective
from sae_core.ui.reproduce import render_reproduce
from sae_core.ui.state import get_state
from sae_core.ui.teacher import visible
from sae_core.ui.teacher_note import render_teacher_note
from sae_core.ui.training_loop import apply_actions, make_request, trainer_status
from sae_core.ui.training_view import LiveView, live_allowance, no_model_hint, render_controls
from sae_core.ui.url_state import sync_url

MODEL_GROUPS = ("method", "lam", "k", "rho", "hidden", "epochs", "seed", "lr", "batch", "advanced")

state = get_state()
st.title("Train a sparse autoencoder")
if visible("explain"):
    st.caption(
        "Pick data, a sparsity method and λ, then Train (or Play / Step to watch it learn). "
        "The other pages show the model trained here."
    )
render_teacher_note()

if visible("data"):
    data_col, preview_col = st.columns([2, 3], gap="large")
    with data_col:
        st.subheader("Data")
        choice = choose_data()
else:  # a teacher link fixed the data: no empty "Data" section, the preview still shows it
    choice = choose_data()
    preview_col = st.container()
with preview_col:
    picked = load_and_preview(choice)

if any(visible(g) for g in MODEL_GROUPS):
    st.subheader("Model and training")
    form_col, run_col = st.columns([2, 3], gap="large")
else:  # a teacher link fixed every model setting: no empty form column
    st.subheader("Training")
    form_col = run_col = st.container()
with form_col:
    values = render_config_form()
sync_url("train")  # the address bar holds the set-up just chosen

request = None
if picked is not None:
    with user_errors("Settings"):
        request = make_request(picked, values)

with run_col:
    live_ok, live_reason = live_allowance(picked[1], values) if picked else (False, "No data.")
    actions = render_controls(live_allowed=live_ok, live_reason=live_reason)
    view = LiveView()
    shown_before = state.current
    with user_errors("Training"):
        apply_actions(state, request, actions, view)
    status = trainer_status(state, request)
    if status:
        st.caption(status)
    view.show(state, state.current)

if state.current is not shown_before and not state.playing:
    st.rerun()  # a new model: redraw so the sidebar shows it too

st.subheader("Results")
current = state.current
if current is None:
    st.info(no_model_hint(picked, values), icon=":material/model_training:")
else:
    render_metrics(current)
    if visible("explain"):
        st.markdown("**Objective minimised**")
        render_objective(current)
    st.markdown("**Download or save**")
    render_downloads(current)
    render_save_run(state, current)
    render_reproduce(current)

if state.playing:
    st.rerun()  # Play: the next time slice
