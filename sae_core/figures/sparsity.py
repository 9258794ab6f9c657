"""Sparsity charts besides the histograms: the codes heat-map, shrinkage, ρ̂ against the KL target.

The histograms of activations, L0 and firing frequency are in :mod:`sae_core.figures.histograms`.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from sae_core.errors import DataError
from sae_core.figures.theme import (
    ACTIVATION_SCALE,
    DEAD_COLOUR,
    DIVERGING_SCALE,
    MARK_COLOUR,
    PALETTE,
    apply_theme,
    as_array,
    fmt_number,
    symmetric_limit,
)

LATENT_ORDERS: tuple[str, ...] = ("frequency", "mean", "index")


def make_latent_heatmap_figure(
    latents: np.ndarray,
    max_samples: int = 100,
    max_latents: int = 256,
    order: str = "frequency",
) -> go.Figure:
    """Samples × latents heat-map of latents [n, d_sae]: the first ``max_samples`` rows and up to
    ``max_latents`` columns, picked by ``order`` ('frequency' / 'mean': highest first; 'index')."""
    arr = as_array(latents, "latents", 2)[:max_samples]
    if order == "frequency":
        columns = np.argsort(-(arr > 0).mean(axis=0), kind="stable")
    elif order == "mean":
        columns = np.argsort(-arr.mean(axis=0), kind="stable")
    elif order == "index":
        columns = np.arange(arr.shape[1])
    else:
        raise DataError(f"unknown latent order {order!r}: use one of {', '.join(LATENT_ORDERS)}.")
    columns = columns[:max_latents]
    z = arr[:, columns]
    signed = bool(z.size and z.min() < 0)
    limit = symmetric_limit(z)
    fig = go.Figure(
        go.Heatmap(
            z=z.astype(np.float32),
            x=[f"#{j}" for j in columns],
            colorscale=DIVERGING_SCALE if signed else ACTIVATION_SCALE,
            zmin=-limit if signed else 0.0,
            zmax=limit,
            zmid=0.0 if signed else None,
            colorbar={"title": {"text": "activation"}, "thickness": 12},
            hovertemplate="sample %{y}, latent %{x}: %{z:.3g}<extra></extra>",
        )
    )
    fig.update_xaxes(type="category", showticklabels=len(columns) <= 64, showgrid=False)
    fig.update_yaxes(autorange="reversed", showgrid=False)
    return apply_theme(
        fig,
        "Codes: samples × latents",
        x_label=f"latent ({order} order)",
        y_label="sample (row)",
        subtitle=f"{z.shape[0]} of {len(np.asarray(latents))} samples, {z.shape[1]} of {arr.shape[1]} latents",
    )


def make_shrinkage_figure(
    x_norms: np.ndarray, x_hat_norms: np.ndarray, gamma: float, *, max_points: int = 2000
) -> go.Figure:
    """Scatter of ‖x̂‖ against ‖x‖ (x_norms, x_hat_norms [n]) with the line y = x; γ in the title.

    The subtitle's norm ratio is mean‖x̂‖ / mean‖x‖, the definition of
    ``metrics.compute_shrinkage``'s ``norm_ratio`` (a ratio of means), so for the same samples
    it matches the number in the metrics and on the Learn page.
    """
    xn = as_array(x_norms, "x_norms", 1)
    xh = as_array(x_hat_norms, "x_hat_norms", 1)
    stride = max(1, -(-xn.size // max_points))  # an even thinning keeps the cloud's shape
    top = float(max(xn.max(initial=0.0), xh.max(initial=0.0))) or 1.0
    # A ratio of means, not a mean of per-sample ratios: all-zero samples (synthetic data) would
    # make the latter infinite. Computed here because sae_core.analysis.metrics imports torch.
    x_mean = float(xn.mean()) if xn.size else 0.0
    ratio = float(xh.mean()) / x_mean if x_mean > 0 else float("nan")
    fig = go.Figure(
        [
            go.Scatter(
                x=xn[::stride],
                y=xh[::stride],
                mode="markers",
                name="samples",
                marker={"size": 4, "opacity": 0.5, "color": PALETTE[0]},
                hovertemplate="‖x‖ %{x:.3g}, ‖x̂‖ %{y:.3g}<extra></extra>",
            ),
            go.Scatter(
                x=[0.0, top],
                y=[0.0, top],
                mode="lines",
                name="y = x (no shrinkage)",
                line={"dash": "dash", "color": MARK_COLOUR},
            ),
        ]
    )
    return apply_theme(
        fig,
        f"Shrinkage: ‖x̂‖ vs ‖x‖ (γ = {fmt_number(gamma)})",
        x_label="‖x‖ (L2 norm, data units)",
        y_label="‖x̂‖ (L2 norm, data units)",
        subtitle=f"γ = E‖x̂‖² / E[x·x̂] (< 1: shrunk); E‖x̂‖ / E‖x‖ = {fmt_number(ratio)}",
    )


def make_rho_figure(rho_hat: np.ndarray, rho: float, *, sort: bool = True) -> go.Figure:
    """ρ̂_j (mean activation of each latent, rho_hat [d_sae]) against the KL target ρ."""
    values = as_array(rho_hat, "rho_hat", 1)
    index = np.argsort(-values, kind="stable") if sort else np.arange(values.size)
    above = int(np.count_nonzero(values > rho))
    fig = go.Figure(
        go.Scatter(
            x=np.arange(values.size),
            y=values[index],
            customdata=index,
            mode="markers",
            name="ρ̂_j",
            marker={"size": 4, "color": PALETTE[0]},
            hovertemplate="latent #%{customdata}: ρ̂ = %{y:.3g}<extra></extra>",
        )
    )
    fig.add_hline(
        y=rho,
        line={"dash": "dash", "color": DEAD_COLOUR},
        annotation_text=f"target ρ = {rho:g}",
        annotation_position="top right",
    )
    return apply_theme(
        fig,
        f"Mean activation ρ̂_j per latent vs target ρ = {rho:g} (KL)",
        x_label="latent (rank, highest ρ̂ first)" if sort else "latent (index)",
        y_label="ρ̂_j (mean activation, 0–1)",
        subtitle=f"{above} of {values.size} latents above the target, {values.size - above} at or below",
    )
