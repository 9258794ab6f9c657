"""Curves over training and over runs: live training history, λ / width sweeps, L0–FVU frontier."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sae_core.errors import DataError
from sae_core.figures.theme import LOG_AXIS, MARK_COLOUR, PALETTE, add_note, apply_theme

MAX_HISTORY_POINTS = 1500  # per model and panel: redrawn every few steps while training
_HISTORY_PANELS: tuple[tuple[str, str], ...] = (
    ("loss", "loss (per sample)"),
    ("mse", "MSE (per element)"),
    ("l0", "L0 (active latents per sample)"),
    # Not SAE_NOTES' "dead" (p_j = 0 on held-out samples): the trainer's count of latents that
    # fired in none of the last dead_window training batches; titled by _silent_label.
    ("dead_fraction", "not fired in the last dead_window steps"),
)
_LAM_PANEL = ("lam", "λ (penalty weight, log scale)")  # drawn when λ moves: controller, warm-up
_SWEEP_AXES = {"lam": "λ (penalty coefficient, log scale)", "d_sae": "d_sae (latents, log scale)"}


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise a DataError naming the columns of ``columns`` that ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"the {what} table lacks column(s) {', '.join(missing)}: "
            f"pass a table with columns {', '.join(columns)}."
        )


def make_history_figure(
    history: pd.DataFrame,
    *,
    log_loss: bool = False,
    show_dead: bool = True,
    model_names: Mapping[int, str] | None = None,
    max_points: int = MAX_HISTORY_POINTS,
    title: str = "Training curves",
    dead_window: int | None = None,
) -> go.Figure:
    """Loss, MSE, L0 (the not-fired fraction when present, λ when it varies: a target-L0
    controller or a warm-up moved it) against step, one line per model.

    history: one row per logged step (and model), columns step, loss, mse, l0, optional
    dead_fraction and model. Long histories are thinned to ``max_points`` per line (the last
    step always kept) so rebuilding this figure stays cheap during training.

    The history's ``dead_fraction`` is the share of latents that fired in none of the last
    ``dead_window`` training steps (``TrainConfig.dead_window``; pass it so the chart can name
    it), not the held-out dead fraction (p_j = 0 on the test split) of the final metrics. The
    panel is labelled and explained as such.
    """
    require_columns(history, ("step", "loss", "mse", "l0"), "training history")
    panels = [
        p if p[0] != "dead_fraction" else (p[0], _silent_label(dead_window))
        for p in _HISTORY_PANELS
        if p[0] in history.columns and (show_dead or p[0] != "dead_fraction")
    ]
    if _lam_varies(history):
        panels.append(_LAM_PANEL)
    rows, cols = (2, 2) if len(panels) == 4 else (2, 3) if len(panels) > 4 else (1, len(panels))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[_panel_title(col, label) for col, label in panels],
        horizontal_spacing=0.16,  # room for the right-hand panels' y titles
        vertical_spacing=0.2,
    )
    groups = history.groupby("model", sort=True) if "model" in history.columns else [(0, history)]
    many = "model" in history.columns and history["model"].nunique() > 1
    for g, (model, frame) in enumerate(groups):
        name = (model_names or {}).get(int(model), f"model {model}")
        keep = _thin(len(frame), max_points)
        step = frame["step"].to_numpy()[keep]
        for i, (col, _) in enumerate(panels):
            trace = go.Scatter(
                x=step,
                y=frame[col].to_numpy()[keep],
                mode="lines",
                name=name,
                legendgroup=name,
                showlegend=many and i == 0,
                line={"color": _colour(g), "width": 1.5},
            )
            if col == "dead_fraction":
                trace.hovertemplate = _silent_hover(dead_window, name)
            fig.add_trace(trace, row=i // cols + 1, col=i % cols + 1)
    _label_history_axes(fig, panels, cols, log_loss)
    if history.empty:
        add_note(fig, "no steps yet: press Train or Step")
    if not any(col == "dead_fraction" for col, _ in panels):
        return apply_theme(fig, title, height=520 if rows == 2 else 320)
    fig = apply_theme(
        fig, title, subtitle=_silent_subtitle(dead_window), height=(560 if rows == 2 else 360)
    )
    return fig.update_layout(margin_t=120)  # two subtitle lines above the subplot titles


def _lam_varies(history: pd.DataFrame) -> bool:
    """Whether any model's λ changed during training (history column ``lam``)."""
    if "lam" not in history.columns or history.empty:
        return False
    by = history.groupby("model")["lam"] if "model" in history.columns else history["lam"]
    return bool((by.nunique() > 1).any()) if "model" in history.columns else by.nunique() > 1


def _window_text(dead_window: int | None) -> str:
    return "dead_window" if dead_window is None else f"{dead_window:,}"


def _silent_label(dead_window: int | None) -> str:
    """Title of the history's dead_fraction panel: what the trainer actually counts."""
    return f"not fired in the last {_window_text(dead_window)} steps"


def _panel_title(col: str, label: str) -> str:
    return label if col == "dead_fraction" else label.split(" (")[0]


def _axis_title(col: str, label: str) -> str:
    # short: a y title runs along a panel a couple of hundred pixels high
    return "latents not fired (of d_sae)" if col == "dead_fraction" else label


def _silent_hover(dead_window: int | None, name: str) -> str:
    window = _window_text(dead_window)
    return (
        f"step %{{x}}: %{{y:.1%}} of latents fired in none of the last {window} training "
        "steps<br>(not the held-out dead fraction, p_j = 0 on the test split)"
        f"<extra>{name}</extra>"
    )


def _silent_subtitle(dead_window: int | None) -> str:
    """Why the not-fired curve can read 0 while the final metrics report dead latents."""
    window = _window_text(dead_window)
    return (
        f"'not fired': latents silent for the last {window} training steps (0 until step "
        f"{window} by construction)<br>the final metrics' dead fraction is p_j = 0 on the test split"
    )


def _label_history_axes(
    fig: go.Figure, panels: list[tuple[str, str]], cols: int, log_loss: bool
) -> None:
    for i, (col, label) in enumerate(panels):
        r, c = i // cols + 1, i % cols + 1
        fig.update_xaxes(title_text="step (optimizer updates)", row=r, col=c)
        log = (log_loss and col == "loss") or col == "lam"
        fixed = {"range": [0, 1]} if col == "dead_fraction" else {}  # a fraction; all-0 stays flat
        axis = {"title_text": _axis_title(col, label)}
        fig.update_yaxes(row=r, col=c, **axis, **(LOG_AXIS if log else fixed))


def _thin(n: int, max_points: int) -> np.ndarray:
    """Row indices of an even subsample of n rows, at most about max_points, ending with the last."""
    stride = max(1, -(-n // max(max_points, 1)))
    keep = np.arange(0, n, stride)
    return keep if n == 0 or keep[-1] == n - 1 else np.append(keep, n - 1)


def make_sweep_figure(
    table: pd.DataFrame, *, x: str = "lam", title: str | None = None
) -> go.Figure:
    """L0 and FVU against λ (or d_sae with x='d_sae'), log x, one line per method when present.

    table: one row per run, columns ``x``, l0, fvu, optional method.
    """
    require_columns(table, (x, "l0", "fvu"), "sweep")
    fig = make_subplots(rows=1, cols=2, subplot_titles=["L0", "FVU"], horizontal_spacing=0.12)
    groups = table.groupby("method", sort=True) if "method" in table.columns else [("run", table)]
    for g, (method, frame) in enumerate(groups):
        frame = frame.sort_values(x)
        colour = PALETTE[g % len(PALETTE)]
        for c, col in ((1, "l0"), (2, "fvu")):
            trace = go.Scatter(
                x=frame[x].to_numpy(),
                y=frame[col].to_numpy(),
                mode="lines+markers",
                name=str(method),
                legendgroup=str(method),
                showlegend=c == 1,
                line={"color": colour},
            )
            fig.add_trace(trace, row=1, col=c)
    x_label = _SWEEP_AXES.get(x, f"{x} (log scale)")
    fig.update_xaxes(title_text=x_label, **LOG_AXIS)
    fig.update_yaxes(title_text="L0 (active latents per sample)", row=1, col=1)
    fig.update_yaxes(title_text="FVU = 1 − FVE (log scale)", row=1, col=2, **LOG_AXIS)
    default = "λ sweep" if x == "lam" else f"{x} sweep"
    return apply_theme(
        fig,
        title or default,
        subtitle="sparser (lower L0) usually costs reconstruction (higher FVU)",
        height=360,
    )


def make_frontier_figure(runs: pd.DataFrame, *, log_y: bool = True) -> go.Figure:
    """L0 (x) vs FVU (y) for every run, one trace per method; the current run is a large star.

    runs: columns l0, fvu, method; optional lam, d_sae, name, source ('session' | 'saved', saved
    runs drawn as open circles) and current (bool; the last True row is highlighted).
    """
    require_columns(runs, ("l0", "fvu", "method"), "runs")
    frame = runs.reset_index(drop=True)
    current = frame["current"].eq(True) if "current" in frame else None  # NaN counts as False
    star = (
        int(np.flatnonzero(current.to_numpy())[-1])
        if current is not None and current.any()
        else None
    )
    methods = sorted(frame["method"].astype(str).unique())
    fig = go.Figure()
    for g, method in enumerate(methods):
        rows = frame[(frame["method"].astype(str) == method) & (frame.index != star)]
        saved = rows["source"].astype(str).eq("saved").to_numpy() if "source" in rows else False
        symbol = np.where(saved, "circle-open", "circle")
        fig.add_trace(_runs_trace(rows, method, {"size": 9, "color": _colour(g), "symbol": symbol}))
    if star is not None:
        row = frame.iloc[[star]]
        colour = _colour(methods.index(str(row["method"].iloc[0])))
        outline = {"width": 1.5, "color": MARK_COLOUR}
        marker = {"size": 20, "symbol": "star", "color": colour, "line": outline}
        fig.add_trace(_runs_trace(row, "current run", marker))
    if frame.empty:
        add_note(fig, "no runs yet: train a model or run a sweep")
    if log_y:
        fig.update_yaxes(**LOG_AXIS)
    return apply_theme(
        fig,
        "Sparsity–reconstruction frontier",
        x_label="L0 (active latents per sample)",
        y_label="FVU = 1 − FVE" + (" (log scale)" if log_y else ""),
        subtitle="lower-left is better; open circles are saved runs",
    )


_FRONTIER_HOVER = (
    "%{customdata[2]}<br>L0 %{x:.3g}, FVU %{y:.3g}<br>λ %{customdata[0]}, "
    "d_sae %{customdata[1]}, %{customdata[3]}<extra></extra>"
)


def _colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _runs_trace(rows: pd.DataFrame, name: str, marker: dict[str, object]) -> go.Scatter:
    """Markers at (L0, FVU) of ``rows``, hover showing λ, d_sae, name and source."""
    return go.Scatter(
        x=rows["l0"].to_numpy(),
        y=rows["fvu"].to_numpy(),
        mode="markers",
        name=name,
        marker=marker,
        customdata=_hover_data(rows),
        hovertemplate=_FRONTIER_HOVER,
    )


def _hover_data(rows: pd.DataFrame) -> np.ndarray:
    """[m, 4] object array: λ, d_sae, name, source ('' where a column is absent)."""
    cols = [
        rows[c].astype(str).to_numpy() if c in rows else np.full(len(rows), "")
        for c in ("lam", "d_sae", "name", "source")
    ]
    return np.column_stack(cols) if len(rows) else np.empty((0, 4), dtype=object)
