"""Start: what the app does, a one-click quick start, and the guided scenarios."""

from __future__ import annotations

import streamlit as st

from sae_core.app.pages import page_path
from sae_core.app.scenarios import SCENARIOS
from sae_core.ui.scenario_view import render_quick_start, render_scenario
from sae_core.ui.state import get_state
from sae_core.ui.teacher import page_allowed, setup_fixed
from sae_core.ui.teacher_note import render_fixed_setup
from sae_core.ui.views import fmt, undefined_fve_hint

state = get_state()
st.title("SAE Explorer")
st.markdown(
    "Train **sparse autoencoders** on small data in seconds and watch what sparsity does: "
    "which latents fire, what their decoder atoms look like, what λ buys and what it costs."
)

if setup_fixed():  # a teacher link: the quick start and scenarios would replace its set-up
    st.info(
        "Your teacher's link fixes the set-up, so the quick start and the guided scenarios "
        "(each trains a set-up of its own) are off here. Open **Train** to train it.",
        icon=":material/school:",
    )
    render_fixed_setup()
    if page_allowed("train"):
        st.page_link(page_path("train"), label="Open Train", icon=":material/model_training:")
    st.stop()

st.subheader("Quick start")
st.caption(
    "Digits (8×8 images), an L1 SAE with 128 latents, λ = 0.1, 20 epochs: about a second. "
    "Then open any page on the left; **Train** lets you change everything."
)
render_quick_start(state)
if state.current is not None:
    m = state.current.metrics
    st.success(
        f"Shown model: FVE {fmt(m.fve)}, L0 {fmt(m.l0, '{:.1f}')} of "
        f"{state.current.sae_config.d_sae} latents.",
        icon=":material/check_circle:",
    )
    hint = undefined_fve_hint(m)
    if hint:
        st.caption(hint)
c1, c2, c3 = st.columns(3)
for column, (target, label, icon) in zip(
    (c1, c2, c3),
    (
        ("train", "Open Train", ":material/model_training:"),
        ("filters", "See its filters", ":material/grid_view:"),
        ("learn", "Learn the maths", ":material/school:"),
    ),
    strict=True,
):
    if page_allowed(target):  # a teacher link may show only some pages
        column.page_link(page_path(target), label=label, icon=icon)

st.subheader("Guided scenarios")
st.caption(
    "Each trains in a few seconds and shows one idea with numbers computed now. The model it "
    "names becomes the shown model, so its page (linked below its result) shows the effect."
)
for scenario in SCENARIOS.values():
    render_scenario(state, scenario)
