"""Learn: every method and metric with its formula, and how our λ maps to Keras and SAELens."""

from __future__ import annotations

import streamlit as st

from sae_core.ui.explain import render_methods, render_metric_notes, render_objective

st.title("Learn: methods, metrics and λ")
st.caption("Every formula here is the one the code computes (held-out split for metrics).")

st.subheader("The model and the objective")
render_objective()

st.subheader("Sparsity methods")
render_methods()

st.subheader("Metrics")
render_metric_notes()
