"""Ground truth: on synthetic data, how well the learned dictionary recovers the true features."""

from __future__ import annotations

import streamlit as st

from sae_core.analysis.feature_scores import ABSORPTION_COS, mean_f1
from sae_core.analysis.metrics import METRIC_LATEX
from sae_core.figures import make_feature_f1_figure, make_ground_truth_figure
from sae_core.ui import model_cache
from sae_core.ui.charts import chart
from sae_core.ui.guard import user_errors
from sae_core.ui.page_controls import draw_page_control
from sae_core.ui.state import get_state
from sae_core.ui.views import fmt, formulas, go_train, metric, model_caption, require_current

st.title("Ground truth")
current = require_current(get_state(), "recovered features")
model_caption(current)
recovery = model_cache.recovery(current)
if recovery is None:
    go_train(
        f"**{current.data.label}** has no ground truth: only synthetic data knows the true "
        "features. On **Train**, choose the *Synthetic superposition* source and train; this page "
        "then compares the learned decoder atoms with the true features."
    )

threshold = draw_page_control("gt_threshold")
recovered = recovery.recovered(threshold)
scores = model_cache.feature_table(current)
absorption = model_cache.absorption(current)
c1, c2, c3, c4, c5 = st.columns(5)
metric(
    c1,
    "MMCS",
    fmt(recovery.mmcs),
    help="Mean over true features of the best cosine with any decoder atom.",
)
metric(
    c2,
    "MCC",
    fmt(recovery.mcc),
    help="Mean |cosine| over a one-to-one (Hungarian) matching of features to latents.",
)
metric(
    c3,
    "Recovered features",
    f"{recovered} of {recovery.n_features}",
    help="True features whose best cosine with a decoder atom reaches the threshold.",
)
metric(
    c4,
    "Mean F1",
    fmt(None if scores is None else mean_f1(scores)),
    help="Per true feature: precision P(feature active | matched latent fires), recall "
    "P(latent fires | feature active), F1 their harmonic mean; averaged over features active "
    "in the test split. The matched latent is the one MCC pairs it with.",
)
metric(
    c5,
    "Absorption",
    fmt(absorption),
    help="Hierarchical data only (Train: Parent features > 0). Of the test samples where a child "
    "feature fires, the share where its own latent is silent while the parent's latent fires "
    f"and carries the child's direction (cosine > {ABSORPTION_COS:g}).",
)
formulas(
    [
        METRIC_LATEX["mmcs"],
        METRIC_LATEX["mcc"],
        METRIC_LATEX["recovered"].replace("0.9", f"{threshold:g}"),
        METRIC_LATEX["f1"],
    ]
)
if absorption is not None:
    formulas([METRIC_LATEX["absorption"]], per_row=1)

with user_errors("Drawing the ground truth"):
    chart(
        make_ground_truth_figure(
            recovery.cos,
            threshold,
            feature_ids=recovery.feature_order,
            latent_ids=recovery.latent_order,
        ),
        "gt_heatmap",
    )
    st.caption("Matched pairs (one latent per feature):")
    st.dataframe(recovery.matched_pairs(), key="gt_pairs", hide_index=True, height=260)
    if scores is not None:
        chart(make_feature_f1_figure(scores), "gt_f1")
        st.caption("Per-feature precision, recall and F1 of the matched latent (test split):")
        st.dataframe(scores, key="gt_f1_table", hide_index=True, height=260)
