"""Histograms of sparsity: activation values, L0 per sample, firing frequency per latent.

Binned here with numpy and drawn as bars, so the browser gets ``bins`` numbers rather than
millions of raw activations, and a test can read the counts back from the trace.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from sae_core.errors import DataError
from sae_core.figures.theme import (
    DEAD_COLOUR,
    DENSE_COLOUR,
    LOG_AXIS,
    MARK_COLOUR,
    PALETTE,
    add_note,
    apply_theme,
    as_array,
)

LOG_FLOOR = 1e-10  # log10(p + 1e-10): a dead latent (p = 0) lands at exactly -10


def histogram_bar(
    values: np.ndarray, bins: int | np.ndarray, *, name: str = "", colour: str = PALETTE[0]
) -> go.Bar:
    """Bars of np.histogram(values, bins): x = bin centres, y = counts, hover shows the bin edges."""
    counts, edges = np.histogram(values, bins=bins)
    return go.Bar(
        x=(edges[:-1] + edges[1:]) / 2,
        y=counts,
        width=np.diff(edges),
        customdata=np.column_stack([edges[:-1], edges[1:]]),
        name=name,
        marker={"color": colour, "line": {"width": 0}},
        hovertemplate="[%{customdata[0]:.3g}, %{customdata[1]:.3g}): %{y}<extra>"
        + name
        + "</extra>",
    )


def value_histogram(
    values: np.ndarray, nonzero_only: bool, bins: int, title: str, log_y: bool
) -> go.Figure:
    """Histogram of flat ``values``; the zeros left out are counted in the subtitle."""
    values = values[np.isfinite(values)]
    zeros = int(np.count_nonzero(values == 0))
    drawn = values[values != 0] if nonzero_only else values
    fig = go.Figure(histogram_bar(drawn, bins, name="activations") if drawn.size else [])
    if not drawn.size:
        add_note(fig, "no non-zero activations")
    share = zeros / values.size if values.size else 0.0
    left_out = "not shown" if nonzero_only else "included"
    subtitle = f"{drawn.size:,} values drawn; {zeros:,} zeros ({share:.1%}) {left_out}"
    if log_y:
        fig.update_yaxes(**LOG_AXIS)
    return apply_theme(
        fig,
        title,
        x_label="activation value (latent units)",
        y_label="count (activations)",
        subtitle=subtitle,
    )


def make_activation_histogram_figure(
    latents: np.ndarray, nonzero_only: bool = True, bins: int = 60, *, log_y: bool = False
) -> go.Figure:
    """Histogram of every activation in latents [n, d_sae] (non-zero ones only by default)."""
    arr = np.asarray(latents)
    if arr.ndim != 2:
        as_array(arr, "latents", 2)  # raises the shape error
    # keep the latents' own float32: at MNIST size × d_sae 4096 a float64 copy is 330 MB
    return value_histogram(arr.ravel(), nonzero_only, bins, "Activation values", log_y)


def _vline(fig: go.Figure, x: float, text: str, dash: str, colour: str = MARK_COLOUR) -> None:
    fig.add_vline(
        x=x,
        line={"dash": dash, "color": colour, "width": 1.5},
        annotation_text=text,
        annotation_position="top right",
    )


def make_l0_histogram_figure(
    l0_per_sample: np.ndarray, d_sae: int, k: int | None = None, *, bins: int = 60
) -> go.Figure:
    """Distribution of L0 (active latents) per sample, l0_per_sample [n]; mean (and k) marked."""
    l0 = as_array(l0_per_sample, "l0_per_sample", 1)
    top = float(l0.max()) if l0.size else 0.0
    # Integer counts: one bar per value while that stays readable, else numpy's even bins.
    edges: int | np.ndarray = np.arange(-0.5, top + 1.5) if top <= 200 else bins
    fig = go.Figure(histogram_bar(l0, edges, name="samples"))
    mean = float(l0.mean()) if l0.size else 0.0
    _vline(fig, mean, f"mean {mean:.3g}", "dash")
    if k is not None:
        _vline(fig, float(k), f"k = {k}", "dot", DENSE_COLOUR)
    return apply_theme(
        fig,
        "L0 per sample",
        x_label="L0 (active latents per sample)",
        y_label="count (samples)",
        subtitle=f"mean {mean:.3g} of d_sae = {d_sae}",
    )


def make_firing_frequency_figure(
    freq: np.ndarray, dense_threshold: float = 0.5, *, bins: int = 50
) -> go.Figure:
    """Histogram of log10(p_j + 1e-10) over freq [d_sae]; bars sum to d_sae.

    Three bar traces: dead (p = 0, one bar at -10), alive, dense (p > dense_threshold).
    """
    p = as_array(freq, "freq", 1)
    if p.size and (not np.all(np.isfinite(p)) or p.min() < 0 or p.max() > 1):
        raise DataError(
            "firing frequencies must lie in [0, 1]: pass fractions of samples, not counts."
        )
    dead = p <= 0
    dense = p > dense_threshold
    log_p = np.clip(np.log10(p + LOG_FLOOR), np.log10(LOG_FLOOR), 0.0)
    cut = min(float(np.log10(dense_threshold)), 0.0)
    live = log_p[~dead]
    edges = _frequency_edges(min(float(live.min(initial=cut)), cut) - 0.05, cut, bins)
    n_dead, n_dense = int(dead.sum()), int(dense.sum())
    dense_name = f"dense (p > {dense_threshold:g})"
    fig = go.Figure(
        [
            # no dead latents: mark "0 dead" at the left edge instead of stretching the axis to -10
            _dead_bar(n_dead, float(np.log10(LOG_FLOOR)) if n_dead else float(edges[0])),
            histogram_bar(log_p[~dead & ~dense], edges, name="alive"),
            histogram_bar(log_p[dense], edges, name=dense_name, colour=DENSE_COLOUR),
        ]
    )
    _mark_dead_and_dense(fig, cut, n_dead, n_dense, float(fig.data[0].x[0]))
    legend = {"orientation": "h", "x": 1.0, "xanchor": "right", "y": 1.08, "yanchor": "bottom"}
    fig.update_layout(barmode="overlay", legend=legend)
    n = max(p.size, 1)
    subtitle = (
        f"{p.size} latents: {n_dead} dead ({n_dead / n:.1%}), {n_dense} dense ({n_dense / n:.1%})"
    )
    return apply_theme(
        fig,
        "Firing frequency per latent",
        x_label="log10(firing frequency p + 1e-10)",
        y_label="count (latents)",
        subtitle=subtitle,
    )


def _dead_bar(n_dead: int, x: float) -> go.Bar:
    """All dead latents in one bar, at log10(0 + 1e-10) = -10 when there are any."""
    return go.Bar(
        x=[x],
        y=[n_dead],
        width=[0.25],
        name="dead (p = 0)",
        marker={"color": DEAD_COLOUR},
        hovertemplate="dead latents: %{y}<extra></extra>",
    )


def _mark_dead_and_dense(
    fig: go.Figure, cut: float, n_dead: int, n_dense: int, dead_x: float
) -> None:
    """Shade the dense region (log10 p > cut) and write both counts above the plot."""
    if cut < 0:
        fig.add_vrect(x0=cut, x1=0.0, fillcolor=DENSE_COLOUR, opacity=0.12, line_width=0)
    for x, text, colour in (
        (dead_x, f"{n_dead} dead", DEAD_COLOUR),
        (cut, f"{n_dense} dense", DENSE_COLOUR),
    ):
        fig.add_annotation(
            x=x,
            y=1.0,
            yref="paper",
            text=text,
            showarrow=False,
            yanchor="bottom",
            font_color=colour,
        )


def _frequency_edges(lo: float, cut: float, bins: int) -> np.ndarray:
    """About ``bins`` equal-width edges over [lo, 0] with one edge exactly at ``cut`` (≤ 0), so no
    bar straddles the dense threshold."""
    width = -lo / max(bins, 1)
    below = np.linspace(lo, cut, max(1, round((cut - lo) / width)) + 1)
    above = np.linspace(cut, 0.0, max(1, round(-cut / width)) + 1)[1:] if cut < 0 else np.empty(0)
    edges = np.concatenate([below, above])
    edges[-1] = 1e-9  # p = 1 gives log10 = 0 exactly: keep it inside the last bin
    return edges
