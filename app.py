"""SAE Explorer: a short router. Pages live in pages/; shared UI code in sae_core/ui/."""

from __future__ import annotations

import streamlit as st

from sae_core.ui.sidebar import render_sidebar
from sae_core.ui.state import get_state

st.set_page_config(page_title="SAE Explorer", page_icon=":material/blur_on:", layout="wide")

PAGES = [
    st.Page("pages/train.py", title="Train", icon=":material/model_training:", default=True),
    st.Page("pages/reconstructions.py", title="Reconstructions", icon=":material/compare:"),
    st.Page("pages/activations.py", title="Activations & sparsity", icon=":material/bar_chart:"),
    st.Page("pages/filters.py", title="Filters & latents", icon=":material/grid_view:"),
    st.Page("pages/compare.py", title="Compare & sweep", icon=":material/stacked_line_chart:"),
    st.Page("pages/ground_truth.py", title="Ground truth", icon=":material/verified:"),
]

page = st.navigation(PAGES)
render_sidebar(get_state())
page.run()
