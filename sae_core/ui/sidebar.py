"""The sidebar every page shows: the current model at a glance and a Train shortcut."""

from __future__ import annotations

import streamlit as st

from sae_core.app.pages import page_path
from sae_core.ui.state import AppState
from sae_core.ui.teacher import page_allowed
from sae_core.ui.views import fmt, negative_fve_hint, sparsity_knob, undefined_fve_hint


def render_sidebar(state: AppState) -> None:
    """Data, method, λ, d_sae, FVE, L0 and dead % of the current model (or what to do)."""
    with st.sidebar:
        st.markdown("### Current model")
        current = state.current
        if current is None:
            # no time promised here: it depends on the data and settings (the Train page's
            # Results area gives the estimate); a teacher link may leave Train out
            st.caption(
                "No model yet. Open **Train** and press Train."
                if page_allowed("train")
                else "No model yet: this link's model shows here once it has been trained."
            )
        else:
            cfg, m = current.sae_config, current.metrics
            lam = current.model.cfg.lam  # a target-L0 controller's λ reached
            knob = sparsity_knob(cfg.method, lam, cfg.k, cfg.target_l0)
            st.markdown(f"**{current.data.label}** · `{cfg.method}` · {knob} · d_sae = {cfg.d_sae}")
            # a markdown table, not st.metric: three metrics side by side truncate in a sidebar
            st.markdown(
                "| FVE | L0 | dead |\n|---|---|---|\n"
                f"| {fmt(m.fve)} | {fmt(m.l0, '{:.1f}')} | "
                f"{fmt(100 * m.dead_fraction, '{:.0f}%')} |"
            )
            hint = undefined_fve_hint(m) or negative_fve_hint(m)
            if hint:
                st.caption(hint)
            if not current.finished:
                st.caption(f"paused at step {current.steps}")
        if page_allowed("train"):  # a teacher link may leave Train out of the navigation
            st.page_link(page_path("train"), label="Train", icon=":material/model_training:")
