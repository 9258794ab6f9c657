"""Reconstructions: originals, reconstructions and differences, picked by error, at random or by label."""

from __future__ import annotations

import streamlit as st

from sae_core.analysis.latents import select_samples
from sae_core.analysis.metrics import METRIC_LATEX
from sae_core.analysis.recovery import reconstruction_table
from sae_core.figures import make_reconstruction_figure
from sae_core.ui import model_cache
from sae_core.ui.charts import chart
from sae_core.ui.guard import user_errors
from sae_core.ui.page_controls import RECON_DEFAULT_SHOWN, RECON_MAX_SHOWN, RECON_MODES
from sae_core.ui.state import get_state
from sae_core.ui.views import (
    fmt,
    formulas,
    kept,
    metric,
    model_caption,
    require_current,
    units_toggle,
)

st.title("Reconstructions")
current = require_current(get_state(), "reconstructions")
model_caption(current)
dataset = current.dataset
errors = model_cache.errors(current)
labels = model_cache.label_values(current)

left, middle, right = st.columns([2, 2, 1])
modes = [m for m in RECON_MODES if m != "label" or labels]
mode = kept(
    left.radio,
    "Show",
    key="recon_mode",
    default="random",
    options=modes,
    format_func=RECON_MODES.get,
    horizontal=True,
    help="Best and worst sort the test samples by their error; by label draws one class.",
)
n = kept(
    middle.slider,
    "Samples",
    key="recon_n",
    default=RECON_DEFAULT_SHOWN,
    min_value=1,
    max_value=RECON_MAX_SHOWN,
)
label = None
if mode == "label":
    label = kept(right.selectbox, "Label", key="recon_label", default=labels[0], options=labels)
if mode in ("random", "label"):
    seed = kept(
        right.number_input,
        "Draw",
        key="recon_seed",
        default=0,
        min_value=0,
        step=1,
        help="Change to draw other samples.",
    )
else:
    seed = 0
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
