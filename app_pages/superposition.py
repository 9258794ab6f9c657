"""Superposition: Elhage et al.'s toy model trained live, then an SAE to find its features."""

from __future__ import annotations

import streamlit as st

from sae_core.analysis.superposition import compute_dimensions_per_feature, superposition_table
from sae_core.figures.superposition import (
    make_feature_arrows_figure,
    make_feature_dimensionality_figure,
    make_superposition_bars_figure,
)
from sae_core.ui.charts import chart
from sae_core.ui.guard import user_errors
from sae_core.ui.superposition import (
    choose_toy_config,
    continue_playing,
    play_controls,
    send_to_train,
)
from sae_core.ui.teacher import locked, page_allowed

st.title("Superposition")
st.markdown(
    "The toy model of *Toy Models of Superposition* (Elhage et al. 2022): n features x, each zero "
    "with probability S, else uniform on [0, 1], squeezed into m hidden dimensions by h = Wx and "
    "read back by x̂ = ReLU(WᵀWx + b), trained on Σᵢ rⁱ (xᵢ − x̂ᵢ)². Dense features (S = 0) keep "
    "m orthogonal features and drop the rest; sparse ones pack all n in (pentagons, digons)."
)
with user_errors("Training the toy model"):
    config = choose_toy_config()
    trainer = play_controls(config)
    W = trainer.W
    table = superposition_table(W)
    chart(make_feature_arrows_figure(W), key="sup_arrows")
    chart(make_superposition_bars_figure(table), key="sup_bars")
    chart(
        make_feature_dimensionality_figure(table, compute_dimensions_per_feature(W)),
        key="sup_dims",
    )
st.markdown(
    "**Find the features with an SAE**: the hidden vectors h = Wx become the `toy` data "
    "source, with W's columns as the ground truth; train an SAE (TopK, d_sae = 2n) on Train "
    "and see on Ground truth whether it recovers the n directions squeezed into m."
)
# It sets the Train page's data: not where a teacher link fixed the data or hid Train
may_send = not locked("data") and page_allowed("train")
if may_send and st.button("Find the features with an SAE", key="sup_find_sae"):
    send_to_train(config)
continue_playing()
