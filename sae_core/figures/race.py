"""Method race and λ calibration: one trace per method, across runs.

``make_race_figure``: the race table's L0–FVU fronts (and L0–F1 where the data has ground-truth
features). ``make_calibration_figure``: the L0 each λ bought, on log axes, from every run of the
session, so a student reads off the λ a target L0 takes for each method.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sae_core.figures.curves import require_columns
from sae_core.figures.theme import LOG_AXIS, PALETTE, add_note, apply_theme


def _colours(names: list[str]) -> dict[str, str]:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def make_race_figure(table: pd.DataFrame, *, title: str = "Method race") -> go.Figure:
    """L0 against FVU (and F1 when any row has one) for each method, targets joined in order.

    table: one row per method × target, columns method, target_l0, l0, fvu, optional f1
    (:data:`sae_core.training.race.RACE_COLUMNS`).
    """
    require_columns(table, ("method", "target_l0", "l0", "fvu"), "race")
    metrics = [("fvu", "FVU (lower is better)")]
    if "f1" in table.columns and table["f1"].notna().any():
        metrics.append(("f1", "F1 (higher is better)"))
    fig = make_subplots(
        rows=1,
        cols=len(metrics),
        subplot_titles=[f"L0–{label.split(' ')[0]}" for _, label in metrics],
        horizontal_spacing=0.12,
    )
    names = list(dict.fromkeys(table["method"]))
    colours = _colours(names)
    for name in names:
        rows = table[table["method"] == name].sort_values("target_l0")
        for c, (col, _) in enumerate(metrics, start=1):
            fig.add_trace(
                go.Scatter(
                    x=rows["l0"],
                    y=rows[col],
                    mode="lines+markers",
                    name=name,
                    legendgroup=name,
                    showlegend=c == 1,
                    line={"color": colours[name]},
                    customdata=rows["target_l0"],
                    hovertemplate=f"{name}: target %{{customdata:g}}, L0 %{{x:.2f}}, "
                    f"{col.upper()} %{{y:.3f}}<extra></extra>",
                ),
                row=1,
                col=c,
            )
    for c, (_, label) in enumerate(metrics, start=1):
        fig.update_xaxes(title_text="L0 (held-out, log scale)", row=1, col=c, **LOG_AXIS)
        fig.update_yaxes(title_text=label, row=1, col=c)
    if table.empty:
        add_note(fig, "no race yet")
    subtitle = "every method trained at the same target L0s on the same data"
    return apply_theme(fig, title, subtitle=subtitle, height=420)


def make_calibration_figure(runs: pd.DataFrame, *, title: str = "λ → L0 calibration") -> go.Figure:
    """Held-out L0 against λ on log axes, one trace per method (runs with λ > 0 and L0 > 0).

    runs: one row per run, columns method, lam, l0 (the λ a run ended at: a target-L0
    controller's final λ).
    """
    require_columns(runs, ("method", "lam", "l0"), "runs")
    usable = runs[(runs["lam"].astype(float) > 0) & (runs["l0"].astype(float) > 0)]
    fig = go.Figure()
    names = list(dict.fromkeys(usable["method"]))
    colours = _colours(names)
    for name in names:
        rows = usable[usable["method"] == name].sort_values("lam")
        fig.add_trace(
            go.Scatter(
                x=rows["lam"],
                y=rows["l0"],
                mode="lines+markers",
                name=name,
                line={"color": colours[name]},
                hovertemplate=f"{name}: λ %{{x:.3g}} → L0 %{{y:.2f}}<extra></extra>",
            )
        )
    fig.update_xaxes(title_text="λ (log scale)", **LOG_AXIS)
    fig.update_yaxes(title_text="L0 (held-out, log scale)", **LOG_AXIS)
    if usable.empty:
        add_note(fig, "no run with a λ yet: train or sweep a λ method")
    subtitle = "every run of this session: read off the λ a target L0 takes"
    return apply_theme(fig, title, subtitle=subtitle, height=400)
