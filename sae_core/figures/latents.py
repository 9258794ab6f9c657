"""Charts for one latent's page: its activation histogram and labelled bars (label
distribution, nearest latents)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sae_core.figures.curves import require_columns
from sae_core.figures.histograms import value_histogram
from sae_core.figures.theme import PALETTE, apply_theme, as_array


def make_single_activation_histogram(
    values: np.ndarray,
    latent: int | None = None,
    bins: int = 40,
    *,
    nonzero_only: bool = True,
    log_y: bool = False,
) -> go.Figure:
    """Histogram of one latent's activations, values = latents[:, j] [n]."""
    title = "Activations" if latent is None else f"Activations of latent #{latent}"
    return value_histogram(as_array(values, "values", 1), nonzero_only, bins, title, log_y)


def make_bar_figure(
    df: pd.DataFrame,
    x: str,
    y: str,
    title: str,
    x_label: str,
    y_label: str,
    *,
    horizontal: bool = False,
    hover: Sequence[str] = (),
) -> go.Figure:
    """Bars of df[y] per df[x] (x treated as categories, in table order); ``hover`` names extra
    columns shown on hover. With ``horizontal`` the categories run down the y axis."""
    require_columns(df, (x, y, *hover), "bar chart")
    categories = df[x].astype(str).to_numpy()
    values = df[y].to_numpy()
    extra = "".join(f"<br>{c} %{{customdata[{i}]}}" for i, c in enumerate(hover))
    fig = go.Figure(
        go.Bar(
            x=values if horizontal else categories,
            y=categories if horizontal else values,
            orientation="h" if horizontal else "v",
            customdata=df[list(hover)].to_numpy() if hover else None,
            marker={"color": PALETTE[0]},
            hovertemplate=f"{x} %{{{'y' if horizontal else 'x'}}}: %{{{'x' if horizontal else 'y'}:.3g}}"
            + extra
            + "<extra></extra>",
        )
    )
    category_axis = {"type": "category", "categoryorder": "array", "categoryarray": categories}
    if horizontal:
        fig.update_yaxes(autorange="reversed", **category_axis)
        return apply_theme(fig, title, x_label=y_label, y_label=x_label)
    fig.update_xaxes(**category_axis)
    return apply_theme(fig, title, x_label=x_label, y_label=y_label)
