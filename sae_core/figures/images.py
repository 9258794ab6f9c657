"""Pictures of samples: image grids, originals vs reconstructions, and the data preview.

Images are ``[n, h*w]`` rows reshaped to ``(h, w)``; non-image rows are drawn as lines or as one
samples × dimensions heat-map instead, so nothing pretends to be a picture that is not one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sae_core.errors import DataError
from sae_core.figures.mosaic import (
    Layout,
    label_annotations,
    make_mosaic_figure,
    mosaic_trace,
    style_image_axes,
)
from sae_core.figures.theme import (
    DIVERGING_SCALE,
    IMAGE_SCALE,
    PALETTE,
    apply_theme,
    as_array,
    check_image_shape,
    fmt_number,
    symmetric_limit,
)

CELL_PX = 95  # height of one image cell; keeps a 8×8 grid inside a laptop screen
GRID_MARGINS_PX = 150  # a titled-and-subtitled figure's top (100) and bottom (50) margins


def grid_height(rows: int) -> int:
    """Figure height giving each of ``rows`` rows of cells CELL_PX pixels below a subtitle."""
    return rows * CELL_PX + GRID_MARGINS_PX


MAX_IMAGES = 64
MAX_SAMPLES = 12


def image_trace(
    image: np.ndarray, *, signed: bool, zmin: float, zmax: float, name: str = ""
) -> go.Heatmap:
    """One ``(h, w)`` heat-map; signed images get the diverging scale centred at 0."""
    return go.Heatmap(
        z=image.astype(np.float32),  # float32 halves the payload sent to the browser
        colorscale=DIVERGING_SCALE if signed else IMAGE_SCALE,
        zmin=zmin,
        zmax=zmax,
        zmid=0.0 if signed else None,
        showscale=False,
        name=name,
        hovertemplate="row %{y}, col %{x}: %{z:.3g}<extra>" + name + "</extra>",
    )


def make_image_grid_figure(
    images: np.ndarray,
    image_shape: Sequence[int],
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    signed: bool = False,
    title: str = "Images",
    *,
    shared_scale: bool = True,
    max_images: int = MAX_IMAGES,
) -> go.Figure:
    """Grid of images. images [n, h*w]; at most ``max_images`` are drawn (the first ones).

    Unsigned images use the grey scale; signed ones a diverging scale with zmin = -zmax. With
    ``shared_scale`` all cells share one range (compare magnitudes), otherwise each cell uses its own.
    """
    arr = as_array(images, "images", 2)[:max_images]
    h, w = check_image_shape(image_shape, arr.shape[1]) or (0, 0)
    names = [str(t) for t in titles[: len(arr)]] if titles is not None else None
    zrange = _range(arr, signed) if shared_scale else None
    cells = arr.reshape(len(arr), h, w)
    fig, layout = make_mosaic_figure(cells, names, cols=ncols, signed=signed, zrange=zrange)
    shown = f"{len(arr)} shown" if len(arr) == len(np.asarray(images)) else f"first {len(arr)}"
    return apply_theme(
        fig, title, subtitle=f"{h}×{w} pixels, {shown}", height=grid_height(layout.rows)
    )


def _range(values: np.ndarray, signed: bool) -> tuple[float, float]:
    if signed:
        limit = symmetric_limit(values)
        return -limit, limit
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def make_reconstruction_figure(
    x: np.ndarray,
    x_hat: np.ndarray,
    image_shape: Sequence[int] | None,
    errors: np.ndarray | None = None,
    sample_ids: Sequence[int] | np.ndarray | None = None,
    *,
    max_samples: int = MAX_SAMPLES,
    title: str = "Originals, reconstructions and differences",
    units: str | None = None,
) -> go.Figure:
    """Originals, reconstructions and differences (x̂ − x) side by side, one column per sample.

    x, x_hat [n, d]; errors [n] per-sample MSE (computed per element when None); sample_ids [n].
    Images give 3·n heat-maps (rows: original, reconstruction, difference); non-image data gives
    per sample two lines (original, reconstruction) above one line (difference). ``units``
    names the units of x and x_hat in the subtitle (e.g. "original units").
    """
    x_arr = as_array(x, "x", 2)[:max_samples]
    xh_arr = as_array(x_hat, "x_hat", 2)[:max_samples]
    if x_arr.shape != xh_arr.shape:
        raise DataError(
            f"x {x_arr.shape} and x_hat {xh_arr.shape} differ in shape: "
            "pass the reconstructions of exactly these samples."
        )
    err = np.mean((xh_arr - x_arr) ** 2, axis=1) if errors is None else np.asarray(errors)
    ids = np.arange(len(x_arr)) if sample_ids is None else np.asarray(sample_ids)
    heads = [f"#{int(i)}<br>MSE {fmt_number(float(e))}" for i, e in zip(ids, err, strict=False)]
    shape = check_image_shape(image_shape, x_arr.shape[1])
    if shape is None:
        fig = _reconstruction_lines(x_arr, xh_arr, heads)
    else:
        fig = _reconstruction_images(x_arr, xh_arr, shape, heads)
    subtitle = "MSE is per element: ‖x − x̂‖² / d_in"
    if units:
        subtitle = f"Values in {units}; {subtitle}"
    return apply_theme(fig, title, subtitle=subtitle)


def _reconstruction_images(
    x: np.ndarray, x_hat: np.ndarray, shape: tuple[int, int], heads: list[str]
) -> go.Figure:
    """Two mosaics: originals over reconstructions on one grey scale (shrinkage shows), and the
    differences on a diverging scale. One heat-map each, not 3·n subplots (mosaic.py)."""
    n = max(len(x), 1)
    h, w = shape
    pairs = np.concatenate([x, x_hat]).reshape(-1, h, w)  # row 0 originals, row 1 reconstructions
    top = Layout.for_images(len(pairs), h, w, n, labelled=True)
    diff = (x_hat - x).reshape(-1, h, w)
    bottom = Layout.for_images(len(diff), h, w, n, labelled=False)
    heights = [top.shape[0], bottom.shape[0]]
    fig = make_subplots(
        rows=2,
        cols=1,
        row_heights=[v / sum(heights) for v in heights],
        subplot_titles=["originals (top row) and reconstructions", "differences x̂ − x"],
        vertical_spacing=0.12,
    )
    fig.add_trace(mosaic_trace(pairs, top, signed=False, zrange=_range(x, signed=False)), 1, 1)
    limit = symmetric_limit(diff)
    fig.add_trace(mosaic_trace(diff, bottom, signed=True, zrange=(-limit, limit)), 2, 1)
    notes = [*fig.layout.annotations, *label_annotations(heads + [""] * len(x), top)]
    fig.update_layout(annotations=notes, height=3 * CELL_PX + 130)
    style_image_axes(fig)
    return fig


def _reconstruction_lines(x: np.ndarray, x_hat: np.ndarray, heads: list[str]) -> go.Figure:
    n = max(len(x), 1)
    fig = make_subplots(
        rows=2,
        cols=n,
        subplot_titles=heads + [""] * n,
        shared_yaxes=True,
        shared_xaxes=True,
        horizontal_spacing=0.02,
        vertical_spacing=0.08,
    )
    dims = np.arange(x.shape[1])
    for i in range(len(x)):
        first = i == 0
        for row, values, name, colour, dash in (
            (1, x[i], "original", PALETTE[0], "solid"),
            (1, x_hat[i], "reconstruction", PALETTE[1], "dash"),
            (2, x_hat[i] - x[i], "difference x̂ − x", PALETTE[3], "solid"),
        ):
            line = {"color": colour, "dash": dash, "width": 1.5}
            trace = go.Scatter(
                x=dims,
                y=values,
                mode="lines",
                name=name,
                line=line,
                legendgroup=name,
                showlegend=first,
            )
            fig.add_trace(trace, row=row, col=i + 1)
    fig.update_xaxes(title_text="input dimension (index)", row=2, col=1)
    fig.update_yaxes(title_text="value (data units)", row=1, col=1)
    fig.update_yaxes(title_text="x̂ − x (data units)", row=2, col=1)
    fig.update_annotations(font_size=10)
    fig.update_layout(height=420, legend={"orientation": "h", "y": -0.2})
    return fig


def make_data_preview_figure(
    x: np.ndarray,
    image_shape: Sequence[int] | None,
    n: int = 8,
    *,
    labels: Sequence[object] | None = None,
    title: str = "Data preview",
) -> go.Figure:
    """The first ``n`` samples of x [N, d]: thumbnails for images, else one samples × dims heat-map."""
    arr = as_array(x, "x", 2)[:n]
    names = [f"label {lab}" for lab in labels[: len(arr)]] if labels is not None else None
    shape = check_image_shape(image_shape, arr.shape[1])
    signed = bool(arr.size and np.nanmin(arr) < 0)  # standardised data: 0 must look neutral
    if shape is not None:
        return make_image_grid_figure(arr, shape, names, ncols=n, signed=signed, title=title)
    zmin, zmax = _range(arr, signed)
    rows = names or [f"sample {i}" for i in range(len(arr))]
    fig = go.Figure(
        go.Heatmap(
            z=arr.astype(np.float32),
            y=rows,
            colorscale=DIVERGING_SCALE if signed else "Viridis",
            zmin=zmin,
            zmax=zmax,
            zmid=0.0 if signed else None,
            colorbar={"title": {"text": "value"}, "thickness": 12},
            hovertemplate="%{y}, dim %{x}: %{z:.3g}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", showgrid=False)
    return apply_theme(
        fig,
        title,
        x_label="input dimension (index)",
        y_label="sample",
        subtitle=f"first {len(arr)} samples × {arr.shape[1]} dimensions",
        height=max(220, 28 * len(arr) + 130),
    )
