"""Figures of a toy model's W (Elhage et al. 2022): W: [d_hidden, n_features], column i = feature i.

- :func:`make_feature_arrows_figure`: each column as an arrow from the origin (a 3-D plot for m = 3);
- :func:`make_superposition_bars_figure`: ‖W_i‖ and interference per feature;
- :func:`make_feature_dimensionality_figure`: each feature's dimensionality D_i against the
  fractions that mean a geometry (1 orthogonal, 1/2 digon, 2/5 pentagon, 1/3 triangle).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sae_core.figures.theme import apply_theme

GEOMETRIES: tuple[tuple[float, str], ...] = (
    (1.0, "orthogonal"),
    (0.5, "digon"),
    (0.4, "pentagon"),
    (1 / 3, "triangle"),
)


def make_feature_arrows_figure(W: np.ndarray) -> go.Figure:
    """W's columns as arrows from the origin, coloured by feature index (darker = more important)."""
    m, n = W.shape
    fig = go.Figure()
    for i in range(n):
        end = W[:, i]
        name = f"feature {i}"
        if m >= 3:
            fig.add_trace(
                go.Scatter3d(
                    x=[0, end[0]],
                    y=[0, end[1]],
                    z=[0, end[2]],
                    mode="lines+markers",
                    name=name,
                    marker={"size": [0, 5]},
                )
            )
        else:
            y = [0.0, float(end[1]) if m == 2 else 0.0]
            fig.add_trace(
                go.Scatter(
                    x=[0.0, float(end[0])],
                    y=y,
                    mode="lines+markers",
                    name=name,
                    marker={"size": [0, 10], "symbol": "arrow", "angleref": "previous"},
                )
            )
    limit = max(1.2, float(np.abs(W).max()) * 1.1)
    subtitle = "column i of W is where feature i goes in the hidden space"
    apply_theme(fig, f"W's {n} columns in {m} dimensions", subtitle=subtitle, height=460)
    if m < 3:
        fig.update_xaxes(range=[-limit, limit], title_text="h₁")
        fig.update_yaxes(range=[-limit, limit], title_text="h₂", scaleanchor="x", scaleratio=1)
    return fig


def make_superposition_bars_figure(table: pd.DataFrame) -> go.Figure:
    """Bars of ``table``'s norm and interference columns, one bar per feature."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("‖W_i‖", "interference Σ_{j≠i}(Ŵ_i·W_j)²"))
    fig.add_trace(go.Bar(x=table["feature"], y=table["norm"], name="norm"), row=1, col=1)
    fig.add_trace(
        go.Bar(x=table["feature"], y=table["interference"], name="interference"), row=1, col=2
    )
    apply_theme(fig, "Which features are represented, and how much they collide", height=340)
    fig.update_xaxes(title_text="feature i (importance falls with i)")
    fig.update_layout(showlegend=False)
    return fig


def make_feature_dimensionality_figure(table: pd.DataFrame, dims_per_feature: float) -> go.Figure:
    """Each feature's dimensionality D_i, with the geometries' fractions as lines."""
    fig = go.Figure(go.Bar(x=table["feature"], y=table["dimensionality"], name="D_i"))
    for value, name in GEOMETRIES:
        fig.add_hline(y=value, line_dash="dot", annotation_text=name, line_width=1)
    apply_theme(
        fig,
        "Dimensions per feature",
        subtitle=f"m / ‖W‖²_F = {dims_per_feature:.3f}; D_i = ‖W_i‖² / Σ_j (Ŵ_i·W_j)²",
        x_label="feature i",
        y_label="D_i",
        height=340,
    )
    fig.update_yaxes(range=[0, 1.1])
    return fig
