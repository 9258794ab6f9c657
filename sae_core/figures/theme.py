"""One look for every chart: template, colour scales, titles, and the small array checks builders share."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from sae_core.errors import DataError

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
)
IMAGE_SCALE = "gray"  # unsigned pixels: 0 is black, as MNIST is usually shown
DIVERGING_SCALE = "RdBu_r"  # signed values: blue < 0 < red, white at 0 (always with zmid=0)
# Sparse codes are mostly exact zeros: make zero white so the few active cells stand out.
ACTIVATION_SCALE: list[list[float | str]] = [[0.0, "#ffffff"], [0.15, "#c6dbef"], [1.0, "#08306b"]]
# Log axes label every tick in full (0.05, 0.1, 0.2) rather than plotly's bare minor digits.
LOG_AXIS = {"type": "log", "tickformat": ".2~g", "dtick": "D2"}  # 1, 2, 5 per decade
DEAD_COLOUR = "#D55E00"
DENSE_COLOUR = "#CC79A7"
MARK_COLOUR = "#444444"

_AXIS = {
    "showgrid": True,
    "gridcolor": "#e5e5e5",
    "zeroline": False,
    "showline": True,
    "linecolor": "#888888",
    "ticks": "outside",
    "tickcolor": "#888888",
    "automargin": True,
}
TEMPLATE = go.layout.Template(
    layout={
        "font": {"family": "Inter, Helvetica, Arial, sans-serif", "size": 12, "color": "#222222"},
        "title": {"x": 0.0, "xanchor": "left", "font": {"size": 15}},
        "colorway": list(PALETTE),
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "xaxis": _AXIS,
        "yaxis": _AXIS,
        "margin": {"l": 60, "r": 20, "t": 70, "b": 50},
        "hoverlabel": {"namelength": -1},
        "legend": {"bgcolor": "rgba(255,255,255,0.7)"},
        "bargap": 0.05,
    }
)


def apply_theme(
    fig: go.Figure,
    title: str,
    *,
    x_label: str | None = None,
    y_label: str | None = None,
    subtitle: str | None = None,
    height: int | None = None,
) -> go.Figure:
    """Give ``fig`` the shared template, a title (and smaller subtitle) and primary-axis labels."""
    text = title if subtitle is None else f"{title}<br><sup>{subtitle}</sup>"
    fig.update_layout(template=TEMPLATE, title_text=text)
    if subtitle is not None:  # room for the subtitle above any subplot titles
        fig.update_layout(
            margin_t=100, title={"y": 1.0, "yref": "container", "yanchor": "top", "pad_t": 14}
        )
    if height is not None:
        fig.update_layout(height=height)
    if x_label is not None:
        fig.update_layout(xaxis_title_text=x_label)
    if y_label is not None:
        fig.update_layout(yaxis_title_text=y_label)
    return fig


def add_note(fig: go.Figure, text: str) -> None:
    """Centre a grey note on the plot area (used when there is nothing to draw)."""
    fig.add_annotation(
        text=text,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        showarrow=False,
        font={"color": "#777777", "size": 14},
    )


def symmetric_limit(values: np.ndarray) -> float:
    """max |v| over the finite values, or 1 when there are none or all are 0 (keeps zmin < zmax)."""
    finite = np.abs(values[np.isfinite(values)])
    limit = float(finite.max()) if finite.size else 0.0
    return limit if limit > 0 else 1.0


def as_array(values: object, name: str, ndim: int) -> np.ndarray:
    """``values`` as a float array of ``ndim`` dimensions, or a DataError naming ``name``."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != ndim:
        raise DataError(
            f"{name} has shape {arr.shape} but a {ndim}-D array is needed: "
            f"pass {'one row per sample' if ndim == 2 else 'a flat array'}."
        )
    return arr


def check_image_shape(image_shape: Sequence[int] | None, d: int) -> tuple[int, int] | None:
    """Validate that an (h, w) image shape covers exactly ``d`` values per row."""
    if image_shape is None:
        return None
    h, w = (int(v) for v in image_shape)
    if h * w != d:
        raise DataError(
            f"image shape {h}×{w} holds {h * w} pixels but each row has {d} values: "
            "pass the data's own image shape, or None for non-image data."
        )
    return h, w


def fmt_number(value: float) -> str:
    """Short human form: 3 significant digits (scientific only for very small or large values)."""
    return f"{value:.3g}"
