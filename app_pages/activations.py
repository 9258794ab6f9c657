"""Activations & sparsity: activation values, L0 per sample, firing frequencies, codes, shrinkage."""

from __future__ import annotations

import streamlit as st

from sae_core import methods
from sae_core.analysis.metrics import METRIC_LATEX
from sae_core.figures import (
    make_activation_histogram_figure,
    make_firing_frequency_figure,
    make_l0_histogram_figure,
    make_latent_heatmap_figure,
    make_rho_figure,
    make_shrinkage_figure,
)
from sae_core.ui import model_cache
from sae_core.ui.charts import chart
from sae_core.ui.guard import user_errors
from sae_core.ui.page_controls import draw_page_control, page_control
from sae_core.ui.state import get_state
from sae_core.ui.views import fmt, formulas, metric, model_caption, require_current

st.title("Activations & sparsity")
current = require_current(get_state(), "activations")
model_caption(current)
cfg = current.sae_config
method = methods.get(cfg.method)
stats = model_cache.stats(current)

c1, c2, c3, c4, c5, c6 = st.columns(6)
metric(
    c1,
    "L0, mean",
    fmt(stats.l0_mean, "{:.2f}"),
    help="Active latents per sample, averaged over the test split.",
)
metric(c2, "L0, median", fmt(stats.l0_median, "{:.1f}"))
metric(
    c3,
    "Dead latents",
    f"{stats.dead_count} of {stats.d_sae}",
    help="Latents that never fire on the test split.",
)
metric(
    c4,
    "Dense latents",
    f"{stats.dense_count} of {stats.d_sae}",
    help="Latents that fire on more than half the samples.",
)
metric(
    c5,
    "Shrinkage γ",
    fmt(stats.gamma),
    help="γ < 1: reconstructions are shrunk towards 0 (typical of L1).",
)
metric(
    c6,
    "Norm ratio",
    fmt(stats.norm_ratio),
    help="E‖x̂‖ / E‖x‖, mean reconstruction norm over mean input norm (< 1: shrunk).",
)
formulas(
    [
        METRIC_LATEX[name]
        for name in ("l0", "gamma", "norm_ratio", "dead_fraction", "dense_fraction")
    ]
)

with user_errors("Drawing the sparsity charts"):
    left, right = st.columns(2)
    log_y = draw_page_control("act_log_y", left)
    chart(make_activation_histogram_figure(current.latents, log_y=log_y), "act_values", left)
    k = cfg.k if method.uses_k else None
    chart(make_l0_histogram_figure(model_cache.l0(current), cfg.d_sae, k), "act_l0", right)

    left, right = st.columns(2)
    chart(make_firing_frequency_figure(model_cache.frequency(current)), "act_frequency", left)
    x_norms, x_hat_norms = model_cache.norms(current)
    chart(make_shrinkage_figure(x_norms, x_hat_norms, stats.gamma), "act_shrinkage", right)

    st.subheader("Codes")
    left, right = st.columns(2)
    n_test = current.dataset.n_test
    rows = page_control("act_heat_samples")
    if n_test <= int(rows.lo or 0):
        # Streamlit refuses a slider whose min equals its max: nothing to choose, show them all
        n_rows = n_test
        left.caption(f"Samples (rows): all {n_test} test samples.")
    else:
        n_rows = draw_page_control(rows.key, left, max_value=min(int(rows.hi or n_test), n_test))
    order = draw_page_control("act_heat_order", right)
    chart(make_latent_heatmap_figure(current.latents, n_rows, order=order), "act_heatmap")

    if method.uses_rho:  # a target firing rate ρ: show ρ̂ against it
        st.subheader("KL target")
        st.latex(r"\hat\rho_j = \frac{1}{n}\sum_i f_j(x_i) \quad\text{(test split)}")
        chart(make_rho_figure(model_cache.rho_hat(current), cfg.rho), "act_rho")
