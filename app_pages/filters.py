"""Filters & latents: the dictionary as pictures, the latent table, and one latent in depth."""

from __future__ import annotations

import numpy as np
import streamlit as st

from sae_core.analysis.latents import page_count, sort_latent_table
from sae_core.analysis.prefixes import model_prefixes
from sae_core.app.controls import ATOMS_PER_PAGE as PER_PAGE
from sae_core.figures import make_atom_grid_figure
from sae_core.ui import model_cache
from sae_core.ui.charts import chart
from sae_core.ui.guard import user_errors
from sae_core.ui.latent_view import render_latent
from sae_core.ui.metrics_panel import render_prefix_fve
from sae_core.ui.page_controls import draw_page_control
from sae_core.ui.state import get_state
from sae_core.ui.views import model_caption, newly_selected_row, require_current

st.title("Filters & latents")
current = require_current(get_state(), "filters")
model_caption(current)
d_sae = current.sae_config.d_sae
freq = model_cache.frequency(current)
prefixes = model_prefixes(current.model)  # Matryoshka: atoms come coarse to fine

st.subheader("Atoms")
c1, c2, c3 = st.columns(3)
weights = draw_page_control("filt_weights", c1, horizontal=True)
order = draw_page_control("filt_order", c2)
n_pages = page_count(d_sae, PER_PAGE)
page = draw_page_control(
    "filt_page", c3, max_value=n_pages, help=f"{n_pages} page(s) of {PER_PAGE} atoms"
)
if prefixes is not None:
    st.caption(
        f"Matryoshka: latents 0…{prefixes[0] - 1} form the first prefix, then up to "
        f"{', '.join(str(m) for m in prefixes[1:])}: order by index to read the atoms coarse to "
        "fine (each title names its prefix, ≤m)."
    )
    render_prefix_fve(current)
with user_errors("Drawing the atoms"):
    # building 64 subplots takes ~0.3 s: keep each drawn page on the model for page switches
    atoms_figure = current.cached(
        f"atoms:{weights}:{order}:{page}",
        lambda: make_atom_grid_figure(
            current.W_dec if weights == "decoder" else current.W_enc,
            current.dataset.image_shape,
            order,
            freq,
            int(page) - 1,
            PER_PAGE,
            d_sae=d_sae,
            max_atoms=PER_PAGE,
            title=f"{weights.capitalize()} atoms",
            prefixes=prefixes if order == "index" else None,
        ),
    )
    chart(atoms_figure, "filt_atoms")

st.subheader("Latents")
c1, c2 = st.columns(2)
sort_by = draw_page_control("filt_sort", c1)
descending = draw_page_control("filt_desc", c2)
table = sort_latent_table(model_cache.latents_table(current), sort_by, descending)
event = st.dataframe(
    table,
    key="filt_table",
    on_select="rerun",
    selection_mode="single-row",
    hide_index=True,
    height=280,
)
row = newly_selected_row(event, "filt_table", current.id)
if row is not None:  # a click in the table picks the latent below
    st.session_state["filt_latent"] = int(table["latent"].iloc[row])

latent = draw_page_control("filt_latent", default=int(np.argmax(freq)), max_value=d_sae - 1)
with user_errors("Showing the latent"):
    render_latent(current, int(latent), encoder=weights == "encoder")
