"""Learn: every method and metric with its formula, how our λ maps to Keras and SAELens, and
the metric glass box (each published FVE definition, computed on the shown model)."""

from __future__ import annotations

import streamlit as st

from sae_core.ui.explain import (
    render_glass_box,
    render_methods,
    render_metric_notes,
    render_objective,
)
from sae_core.ui.state import get_state

st.title("Learn: methods, metrics and λ")
st.caption("Every formula here is the one the code computes (held-out split for metrics).")

st.subheader("The model and the objective")
render_objective()

st.subheader("Sparsity methods")
render_methods()

st.subheader("Metrics")
render_metric_notes()

st.subheader("Why published FVE numbers disagree")
render_glass_box(get_state().current)
