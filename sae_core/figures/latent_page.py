"""Charts of one latent's page: its atom, and the samples that make it fire.

Images are drawn as pictures (via :func:`sae_core.figures.make_image_grid_figure`); non-image
rows as lines over the input dimensions, so nothing pretends to be a picture that is not one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from sae_core.figures import apply_theme, make_image_grid_figure
from sae_core.figures.images import image_trace
from sae_core.figures.mosaic import style_image_axes
from sae_core.figures.theme import (
    MARK_COLOUR,
    PALETTE,
    add_note,
    as_array,
    check_image_shape,
    symmetric_limit,
)

MAX_LINES = 16  # beyond this many lines a chart is unreadable
ATOM_PX = 380  # one atom drawn large enough to read its pixels


def make_samples_figure(
    x: np.ndarray,
    image_shape: Sequence[int] | None,
    titles: Sequence[str],
    title: str,
    *,
    ncols: int = 8,
    max_samples: int = MAX_LINES,
) -> go.Figure:
    """Some samples x [m, d_in] (at most ``max_samples``), titled one by one with ``titles`` [m].

    Images share one grey (or, for signed data, diverging) scale; other data is one line per
    sample, named by its title.
    """
    arr = as_array(x, "x", 2)[:max_samples]
    names = [str(t) for t in titles[: len(arr)]]
    shape = check_image_shape(image_shape, arr.shape[1])
    signed = bool(arr.size and np.nanmin(arr) < 0)
    if shape is not None and len(arr):
        return make_image_grid_figure(arr, shape, names, ncols=ncols, signed=signed, title=title)
    dims = np.arange(arr.shape[1])
    fig = go.Figure(
        [
            go.Scatter(
                x=dims,
                y=row,
                mode="lines",
                name=name,
                line={"width": 1.5, "color": PALETTE[i % len(PALETTE)]},
            )
            for i, (row, name) in enumerate(zip(arr, names, strict=True))
        ]
    )
    if not len(arr):
        add_note(fig, "no samples: this latent never fires on the test split")
    return apply_theme(
        fig,
        title,
        x_label="input dimension (index)",
        y_label="value (data units)",
        subtitle=f"{len(arr)} samples, one line each",
    )


def make_atom_figure(
    atom: np.ndarray, image_shape: Sequence[int] | None, latent: int, *, kind: str = "Decoder"
) -> go.Figure:
    """One atom [d_in] of latent ``latent``: a picture (blue < 0 < red) or a line over dimensions."""
    row = as_array(atom, "atom", 1)
    title = f"{kind} atom of latent #{latent}"
    subtitle = f"‖w‖ = {np.linalg.norm(row):.3g}"
    shape = check_image_shape(image_shape, row.size)
    if shape is not None:
        limit = symmetric_limit(row)
        trace = image_trace(row.reshape(shape), signed=True, zmin=-limit, zmax=limit)
        fig = go.Figure(trace)
        fig.update_traces(showscale=True, colorbar={"title": {"text": "weight"}, "thickness": 12})
        style_image_axes(fig)
        return apply_theme(fig, title, subtitle=f"{subtitle}; blue < 0 < red", height=ATOM_PX)
    fig = go.Figure(
        go.Scatter(
            x=np.arange(row.size),
            y=row,
            mode="lines+markers",
            name=f"#{latent}",
            marker={"size": 4},
            line={"color": PALETTE[0]},
        )
    )
    fig.add_hline(y=0.0, line={"color": MARK_COLOUR, "width": 1})
    return apply_theme(
        fig, title, x_label="input dimension (index)", y_label="weight", subtitle=subtitle
    )
