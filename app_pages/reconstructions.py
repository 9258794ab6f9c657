"""Reconstructions: originals, reconstructions and differences, picked by error, at random or by label."""

from __future__ import annotations

import streamlit as st

from sae_core.analysis.metrics import METRIC_LATEX
from sae_core.analysis.samples import reconstruction_table, select_samples
from sae_core.figures import make_reconstruction_figure
from sae_core.ui import model_cache
from sae_core.ui.charts import chart
from sae_core.ui.guard import user_errors
from sae_core.ui.keep import kept
from sae_core.ui.latent_view import input_images_figure
from sae_core.ui.page_controls import draw_page_control, page_control
from sae_core.ui.state import get_state
from sae_core.ui.views import fmt, formulas, metric, model_caption, require_current, units_toggle

st.title("Reconstructions")
current = require_current(get_state(), "reconstructions")
model_caption(current)
dataset = current.dataset
errors = model_cache.errors(current)
labels = model_cache.label_values(current)

left, middle, right = st.columns([2, 2, 1])
modes = [m for m in page_control("recon_mode").choices if m != "label" or labels]
mode = draw_page_control("recon_mode", left, options=modes, horizontal=True)
n = draw_page_control("recon_n", middle)
label = None
if mode == "label":
    label = kept(right.selectbox, "Label", key="recon_label", default=labels[0], options=labels)
seed = draw_page_control("recon_seed", right) if mode in ("random", "label") else 0
shown_units, units = units_toggle(dataset, st, "recon_units")

with user_errors("Choosing samples"):
    ids = select_samples(errors, mode, n, labels=dataset.y_test, label=label, seed=int(seed))
    fig = make_reconstruction_figure(
        shown_units(dataset.x_test[ids]),
        shown_units(current.x_hat[ids]),
        dataset.image_shape,
        errors[ids],  # per-sample MSE in model units, as the metrics below
        ids,
        max_samples=n,
        units=None if dataset.preprocessing.is_identity else units,
    )
    chart(fig, "recon_grid")
    inputs = input_images_figure(dataset, ids, "The input images behind these activations")
    if inputs is not None:
        chart(inputs, "recon_inputs")
    table = reconstruction_table(ids, errors, dataset.y_test)

    c1, c2, c3 = st.columns([1, 1, 2])
    metric(c1, "MSE of the shown samples", fmt(float(table["mse"].mean()), "{:.4g}"))
    metric(c2, "MSE, whole test split", fmt(current.metrics.mse, "{:.4g}"))
    metric(c3, "FVE, whole test split", fmt(current.metrics.fve))
    formulas([METRIC_LATEX["mse"], METRIC_LATEX["fve"]])
    st.dataframe(
        table,
        key="recon_table",
        hide_index=True,
        column_config={"mse": st.column_config.NumberColumn("MSE", format="%.4g")},
    )
