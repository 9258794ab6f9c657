"""Many small images as one heat-map: a mosaic of cells with empty gaps between them.

Plotly needs about 0.3 s to build a figure of 64 image subplots (128 axes, 64 traces and their
layout; docs/benchmarks.md, 5b). A mosaic is one trace on one pair of axes: built in milliseconds,
and drawn as fast by the browser. Each cell is still its own picture: the gaps are NaN (left
blank, no hover), labels sit in the gap above each cell, and per-cell scaling keeps every cell's
own range, with the raw values in the hover.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from sae_core.figures.theme import DIVERGING_SCALE, IMAGE_SCALE, symmetric_limit

LABEL_FONT_PX = 10


@dataclass(frozen=True, kw_only=True)
class Layout:
    """Where cell ``i`` of an ``h × w`` image grid ``cols`` wide sits in the mosaic."""

    h: int
    w: int
    cols: int
    rows: int
    gap_x: int
    gap_y: int  # rows above each cell (room for its label)

    @classmethod
    def for_images(cls, n: int, h: int, w: int, cols: int, labelled: bool) -> Layout:
        cols = max(1, min(cols, n))
        gap_y = max(1, math.ceil(0.3 * h)) if labelled else max(1, h // 16)
        return cls(
            h=h,
            w=w,
            cols=cols,
            rows=max(1, math.ceil(n / cols)),
            gap_x=max(1, w // 16),
            gap_y=gap_y,
        )

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) of the whole mosaic in pixels."""
        return self.rows * (self.h + self.gap_y), self.cols * (self.w + self.gap_x) - self.gap_x

    def origin(self, i: int) -> tuple[int, int]:
        """Top-left pixel (row, col) of cell ``i``."""
        r, c = divmod(i, self.cols)
        return r * (self.h + self.gap_y) + self.gap_y, c * (self.w + self.gap_x)

    def cell(self, mosaic: np.ndarray, i: int) -> np.ndarray:
        """Cell ``i`` cut back out of ``mosaic`` [height, width]: [h, w]."""
        top, left = self.origin(i)
        return np.asarray(mosaic)[top : top + self.h, left : left + self.w]


def tile(images: np.ndarray, layout: Layout) -> np.ndarray:
    """images [m, h, w] -> the mosaic [height, width] (float32, NaN outside the cells)."""
    out = np.full(layout.shape, np.nan, dtype=np.float32)
    for i, image in enumerate(images):
        top, left = layout.origin(i)
        out[top : top + layout.h, left : left + layout.w] = image
    return out


def scale_cells(images: np.ndarray, signed: bool) -> np.ndarray:
    """Each image [h, w] of images [m, h, w] on its own range: [-1, 1] about 0 when signed, else
    [0, 1] from its min to its max."""
    m, h, w = images.shape
    flat = images.reshape(m, h * w).astype(np.float64)
    if signed:
        limits = np.array([symmetric_limit(row) for row in flat])
        return (flat / limits[:, None]).reshape(images.shape)
    lo = np.nanmin(flat, axis=1, keepdims=True)
    span = np.nanmax(flat, axis=1, keepdims=True) - lo
    return ((flat - lo) / np.where(span > 0, span, 1.0)).reshape(images.shape)


def mosaic_trace(
    images: np.ndarray, layout: Layout, *, signed: bool, zrange: tuple[float, float] | None
) -> go.Heatmap:
    """images [m, h, w] placed by ``layout`` as one heat-map trace.

    ``zrange``: one colour range shared by every cell (the heat-map holds the raw values); None
    scales each cell on its own (:func:`scale_cells`) and keeps the raw values for the hover.
    Signed images use the diverging scale centred on 0, unsigned ones the grey scale.
    """
    raw = tile(images, layout)
    if zrange is None:
        z = tile(scale_cells(images, signed), layout)
        zmin, zmax = (-1.0, 1.0) if signed else (0.0, 1.0)
        hover = "%{customdata:.3g}<extra></extra>"
    else:
        z, (zmin, zmax) = raw, zrange
        hover = "%{z:.3g}<extra></extra>"
    return go.Heatmap(
        z=z,
        customdata=raw if zrange is None else None,
        colorscale=DIVERGING_SCALE if signed else IMAGE_SCALE,
        zmin=zmin,
        zmax=zmax,
        zmid=0.0 if signed else None,
        showscale=False,
        hoverongaps=False,
        hovertemplate=hover,
    )


def make_mosaic_figure(
    images: np.ndarray,
    labels: Sequence[str] | None,
    *,
    cols: int,
    signed: bool,
    zrange: tuple[float, float] | None,
) -> tuple[go.Figure, Layout]:
    """images [m, h, w] as one heat-map (:func:`mosaic_trace`); ``labels`` [m] above the cells."""
    m, h, w = images.shape
    layout = Layout.for_images(m, h, w, cols, labelled=labels is not None)
    fig = go.Figure(mosaic_trace(images, layout, signed=signed, zrange=zrange))
    if labels is not None:
        fig.update_layout(annotations=label_annotations(labels, layout))
    style_image_axes(fig)
    return fig, layout


def style_image_axes(fig: go.Figure) -> None:
    """No ticks, grid or lines; square pixels and row 0 on top in every subplot."""
    bare = {"showticklabels": False, "ticks": "", "showgrid": False, "zeroline": False}
    fig.update_xaxes(constrain="domain", showline=False, **bare)
    fig.update_yaxes(autorange="reversed", constrain="domain", showline=False, **bare)

    def anchor(axis: go.layout.YAxis) -> None:
        axis.scaleanchor = "x" + axis.plotly_name.removeprefix("yaxis")

    fig.for_each_yaxis(anchor)


def label_annotations(
    labels: Sequence[str], layout: Layout, axes: tuple[str, str] = ("x", "y")
) -> list[dict[str, object]]:
    """Each non-empty label centred in the gap above its cell, on the subplot ``axes``."""
    notes = []
    for i, label in enumerate(labels):
        if not label:
            continue
        top, left = layout.origin(i)
        notes.append(
            {
                "text": str(label),
                "x": left + (layout.w - 1) / 2,
                "y": top - 0.5,
                "xref": axes[0],
                "yref": axes[1],
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": LABEL_FONT_PX},
            }
        )
    return notes
