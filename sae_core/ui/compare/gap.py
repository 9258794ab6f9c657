"""Compare page, "Amortisation gap": the current model's decoder with its own encoder, matching
pursuit and OMP at the same L0 (:mod:`sae_core.analysis.pursuit`), as a table and bars."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sae_core.analysis.pursuit import compare_encoders, default_k
from sae_core.figures.amortisation import make_encoder_gap_figure
from sae_core.ui.charts import chart
from sae_core.ui.state import AppState, Current

GAP_KEY = "cmp_gap_result"  # session_state: {"id": model id, "k": k, "table": DataFrame}

LESSON = (
    "The SAE's encoder guesses every code in one matrix product; matching pursuit and OMP "
    "search for the codes on the very same decoder, at the same number of active latents. "
    "The search reconstructs better (the *amortisation gap*), yet on synthetic data its "
    "codes need not pick out the true features better: the best reconstruction is not the "
    "best features."
)


def _table(current: Current, k: int) -> pd.DataFrame:
    return compare_encoders(current.model, current.dataset, k)


def render_gap(state: AppState) -> None:
    """The section: k (default the SAE's own L0), a Measure button, then the table and chart."""
    st.header("Amortisation gap")
    current = state.current
    if current is None:
        st.caption("Train or load a model to compare its encoder with matching pursuit and OMP.")
        return
    st.markdown(LESSON)
    own = current.cached("gap_default_k", lambda: default_k(current.model, current.dataset.x_test))
    k_col, go_col = st.columns([1, 1], vertical_alignment="bottom")
    k = int(
        k_col.number_input(
            "Atoms per sample (k)",
            min_value=1,
            max_value=current.sae_config.d_sae,
            value=min(own, current.sae_config.d_sae),
            key="cmp_gap_k",
            help="L0 budget of the pursuits; the default is the SAE's own held-out L0, rounded",
        )
    )
    if go_col.button("Measure", key="cmp_gap_go", icon=":material/speed:"):
        with st.spinner("Encoding the held-out split three ways…"):
            table = _table(current, k)
        st.session_state[GAP_KEY] = {"id": current.id, "k": k, "table": table}
    result = st.session_state.get(GAP_KEY)
    if not result or result["id"] != current.id:
        st.caption("Measure to encode the held-out split with all three encoders.")
        return
    table = result["table"]
    shown = table.drop(columns=["label"]).rename(columns={"encode_seconds": "seconds"})
    if shown["f1"].isna().all():
        shown = shown.drop(columns=["f1"])
    st.dataframe(shown, hide_index=True)
    chart(make_encoder_gap_figure(table), "cmp_gap_chart", width="stretch")
