"""Widgets of the Compare page's sweep section: the grid form, the run button, the figures."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sae_core import methods
from sae_core.figures import make_sweep_figure
from sae_core.ui import keep
from sae_core.ui.charts import chart
from sae_core.ui.compare.sweep import (
    LAM_GRID,
    MAX_SEEDS,
    WIDTH_GRID,
    SweepBase,
    default_lams,
    last_sweep_table,
    make_spec,
    parse_number_list,
    run_sweep,
)
from sae_core.ui.guard import user_errors
from sae_core.ui.state import AppState
from sae_core.ui.views import sparsity_knob


def describe_base(base: SweepBase, from_current: bool) -> str:
    cfg, tc = base.sae_config, base.train_config
    origin = "the current model" if from_current else "default settings (no model yet)"
    knob = sparsity_knob(cfg.method, cfg.lam, cfg.k, cfg.target_l0)
    return (
        f"Starts from {origin}: **{base.data.label}** · `{cfg.method}` · {knob} · "
        f"d_sae = {cfg.d_sae} · batch {tc.batch_size} · lr {tc.lr:g} · seed {tc.seed}"
    )


def lam_choice(base: SweepBase) -> list[float]:
    """λ values from the text field when filled (ConfigError if malformed), else the multiselect."""
    method = base.sae_config.method
    if not methods.get(method).uses_lam:
        st.caption(f"`{method}` has no λ: sweep hidden sizes instead.")
        return []
    keep.seed("cmp_lam_text", "")
    typed = bool(str(st.session_state["cmp_lam_text"]).strip())
    picked = keep.kept(
        st.multiselect,
        "λ values",
        key="cmp_lams",
        default=default_lams(base.sae_config.lam),
        options=LAM_GRID,
        format_func=lambda v: f"{v:g}",
        disabled=typed,
        help="A log grid; or type your own values below (they replace this choice)",
    )
    text = keep.kept(
        st.text_input,
        "…or type λ values",
        key="cmp_lam_text",
        default="",
        placeholder="0.01, 0.1, 1",
        help="Comma-separated numbers ≥ 0; replaces the selection above",
    )
    return parse_number_list(text) if text.strip() else [float(v) for v in picked]


def width_choice(base: SweepBase) -> list[int]:
    options = sorted({*WIDTH_GRID, base.sae_config.d_sae})
    widths = keep.kept(
        st.multiselect,
        "Hidden sizes (d_sae)",
        key="cmp_widths",
        default=[],
        options=options,
        help=f"Leave empty to keep d_sae = {base.sae_config.d_sae}",
    )
    return [int(h) for h in widths]


def schedule_choice(base: SweepBase) -> tuple[int, int]:
    seeds = keep.kept(
        st.number_input,
        "Seeds per setting",
        key="cmp_seeds",
        default=1,
        min_value=1,
        max_value=MAX_SEEDS,
        help="Several seeds show how much a result varies by chance",
    )
    default_epochs = min(base.train_config.epochs, 200)
    epochs = keep.kept(
        st.number_input,
        "Epochs per run",
        key="cmp_epochs",
        default=default_epochs,
        min_value=1,
        max_value=200,
    )
    return int(seeds), int(epochs)


def render_sweep(state: AppState, base: SweepBase) -> None:
    """The grid form; on Run, train it batched with a progress bar."""
    st.caption(describe_base(base, state.current is not None))
    col_lam, col_width, col_sched = st.columns(3)
    with col_lam, user_errors("Reading the λ values"):
        lams: list[float] | None = None
        lams = lam_choice(base)
    with col_width:
        widths = width_choice(base)
    with col_sched:
        n_seeds, epochs = schedule_choice(base)
    if not st.button(
        "Run sweep",
        key="cmp_sweep_go",
        type="primary",
        icon=":material/play_arrow:",
        disabled=lams is None,
    ):
        return
    with user_errors("Sweep"):
        assert lams is not None
        spec = make_spec(base, lams=lams, d_saes=widths, n_seeds=n_seeds, epochs=epochs)
        bar = st.progress(0.0, text=f"Training {spec.n_models} models…")
        run_sweep(
            state,
            base,
            spec,
            lambda f: bar.progress(f, text=f"Training {spec.n_models} models… {f:.0%}"),
        )
        bar.progress(1.0, text=f"Trained {spec.n_models} models.")


def _mean_over_seeds(table: pd.DataFrame, x: str, group: str) -> pd.DataFrame:
    """One point per (x, group): the mean over seeds; ``group`` becomes the legend (``method``)."""
    label = "λ" if group == "lam" else group
    frame = table.assign(series=[f"{label} = {v:g}" for v in table[group]])
    means = frame.groupby(["series", x], as_index=False)[["l0", "fvu"]].mean()
    return means.rename(columns={"series": "method"})


def show_sweep_figures() -> None:
    """L0 and FVU against λ and/or d_sae for the last sweep (means over seeds)."""
    table = last_sweep_table()
    if table is None or table.empty:
        return
    if table["lam"].nunique() > 1:
        fig = make_sweep_figure(
            _mean_over_seeds(table, "lam", "d_sae"),
            x="lam",
            title="Last sweep: L0 and FVU against λ",
        )
        chart(fig, "cmp_sweep_lam_chart", width="stretch")
    if table["d_sae"].nunique() > 1:
        fig = make_sweep_figure(
            _mean_over_seeds(table, "d_sae", "lam"),
            x="d_sae",
            title="Last sweep: L0 and FVU against hidden size",
        )
        chart(fig, "cmp_sweep_width_chart", width="stretch")
