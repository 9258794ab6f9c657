"""Compare & sweep: batched λ / width sweeps, the L0-vs-FVU frontier, the runs table, A vs B."""

from __future__ import annotations

import streamlit as st

from sae_core.app.pages import page_path
from sae_core.figures import make_frontier_figure
from sae_core.ui.charts import chart
from sae_core.ui.compare.gap import render_gap
from sae_core.ui.compare.race import render_race, show_calibration
from sae_core.ui.compare.runs import (
    confirm_delete,
    download_bytes,
    load_selected,
    read_saved_runs,
    render_table,
    request_delete,
    row_name,
    runs_table,
    save_selected,
    saved_names,
    show_broken,
    show_flash,
)
from sae_core.ui.compare.saelens_load import render_saelens_load
from sae_core.ui.compare.side import pick_two, show_atoms, show_metrics
from sae_core.ui.compare.sweep import sweep_base
from sae_core.ui.compare.view import render_sweep, show_sweep_figures
from sae_core.ui.guard import user_errors
from sae_core.ui.state import get_state
from sae_core.ui.teacher import page_allowed

st.title("Compare & sweep")
state = get_state()
show_flash()
saved = read_saved_runs()
show_broken(saved.broken)
if state.current is None and not state.session_runs and saved.runs.empty:
    st.info(
        "No model and no saved runs yet. Train one on the Train page, or run a sweep below "
        "(it starts from default settings on digits).",
        icon=":material/info:",
    )
    if page_allowed("train"):
        st.page_link(page_path("train"), label="Go to Train", icon=":material/model_training:")

st.header("Sweep")
base = None
with user_errors("Preparing the sweep"):
    base = sweep_base(state)
    render_sweep(state, base)
show_sweep_figures()

st.header("Method race")
if base is not None:
    with user_errors("Preparing the race"):
        render_race(state, base)
render_saelens_load(state)
with user_errors("Measuring the amortisation gap"):
    render_gap(state)

table = runs_table(state, saved.runs)
st.header("Frontier")
if table.empty:
    st.caption("Every trained, swept and saved run will appear here as a point.")
else:
    chart(make_frontier_figure(table), "cmp_frontier", width="stretch")
    st.subheader("λ → L0 calibration")
    show_calibration(table)

st.header("Runs")
if table.empty:
    st.caption("No runs yet.")
    st.stop()
selected = render_table(table)
st.caption(
    f"{len(table)} runs · {len(selected)} selected: select rows to save, delete, load "
    "or download them."
)
name_col, save_col, load_col, delete_col = st.columns([3, 1, 1, 1], vertical_alignment="bottom")
name = name_col.text_input(
    "Save as",
    key="cmp_save_name",
    placeholder="empty: a name from the settings",
    help="Letters, digits, '.', '_' or '-'; used when one session run is selected",
)
if save_col.button("Save", key="cmp_save", icon=":material/save:", disabled=not selected):
    save_selected(state, selected, name)
if load_col.button(
    "Load",
    key="cmp_load",
    icon=":material/upload:",
    disabled=len(selected) != 1,
    help="Make the selected run the current model, shown on every page",
):
    load_selected(state, selected[0])
delete_col.button(
    "Delete",
    key="cmp_delete",
    icon=":material/delete:",
    disabled=not saved_names(selected),
    help="Delete the selected saved runs (asks for confirmation)",
    on_click=request_delete,
    args=(selected,),
)
confirm_delete(state)
csv_col, model_col, _ = st.columns([1, 1, 2])
csv_col.download_button(
    "Table (.csv)",
    table.drop(columns=["key"]).to_csv(index=False),
    file_name="runs.csv",
    mime="text/csv",
    key="cmp_csv",
    icon=":material/download:",
)
with model_col, user_errors("Preparing the download"):
    data = download_bytes(state, selected[0]) if len(selected) == 1 else None
    st.download_button(
        "Selected run (.zip)",
        data or b"",
        file_name=f"{row_name(table, selected[0]) if data else 'run'}.zip",
        mime="application/zip",
        key="cmp_model_download",
        disabled=data is None,
        icon=":material/download:",
        help="weights.safetensors + config.json + metrics.json + history.csv",
    )

st.header("Side by side")
pair = pick_two(table, selected)
if pair is not None:
    show_metrics(table, *pair)
    show_atoms(state, table, *pair)
