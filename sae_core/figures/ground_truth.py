"""True features vs learned latents on synthetic data with known ``features``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sae_core.figures.theme import DIVERGING_SCALE, apply_theme, as_array


def make_ground_truth_figure(
    cos: np.ndarray,
    threshold: float = 0.9,
    *,
    feature_ids: Sequence[int] | np.ndarray | None = None,
    latent_ids: Sequence[int] | np.ndarray | None = None,
    max_features: int = 256,
    max_latents: int = 512,
) -> go.Figure:
    """Heat-map of cos [F, d_sae] (matched order: pairs on the diagonal) on a fixed [-1, 1] scale.

    A feature counts as recovered when its best cosine with any latent is ≥ ``threshold``
    (as metrics.recovered_count), counted over the whole matrix; only the top-left
    ``max_features`` × ``max_latents`` block is drawn. feature_ids [F] / latent_ids [d_sae] give
    the original indices for the hover text.
    """
    full = as_array(cos, "cos", 2)
    recovered = int(np.count_nonzero(full.max(axis=1, initial=-1.0) >= threshold))
    z = full[:max_features, :max_latents]
    rows = np.arange(full.shape[0]) if feature_ids is None else np.asarray(feature_ids)
    cols = np.arange(full.shape[1]) if latent_ids is None else np.asarray(latent_ids)
    fig = go.Figure(
        go.Heatmap(
            z=z.astype(np.float32),
            customdata=np.stack(np.meshgrid(cols[: z.shape[1]], rows[: z.shape[0]]), axis=-1),
            colorscale=DIVERGING_SCALE,
            zmin=-1.0,
            zmax=1.0,
            zmid=0.0,
            colorbar={"title": {"text": "cos"}, "thickness": 12},
            hovertemplate="feature %{customdata[1]}, latent %{customdata[0]}: cos %{z:.3f}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", showgrid=False)
    fig.update_xaxes(showgrid=False)
    shown = (
        ""
        if z.shape == full.shape
        else f"; showing {z.shape[0]}×{z.shape[1]} of {full.shape[0]}×{full.shape[1]}"
    )
    return apply_theme(
        fig,
        f"Ground truth: {recovered} of {full.shape[0]} features recovered (cos ≥ {threshold:g})",
        x_label="learned latent (matched order)",
        y_label="true feature (index order)",
        subtitle=f"cosine similarity; Hungarian-matched pairs lie on the diagonal{shown}",
        height=520,
    )


def make_feature_f1_figure(scores: pd.DataFrame) -> go.Figure:
    """Bars of each true feature's F1 (columns feature, latent, precision, recall, f1, as
    ``analysis.feature_scores.feature_scores`` gives), precision and recall in the hover.

    Features that never fire in the evaluated samples (F1 NaN) are left out and counted in the
    subtitle.
    """
    shown = scores.dropna(subset=["f1"])
    fig = go.Figure(
        go.Bar(
            x=shown["feature"],
            y=shown["f1"],
            customdata=np.stack([shown["latent"], shown["precision"], shown["recall"]], axis=-1),
            hovertemplate="feature %{x} (latent %{customdata[0]}): F1 %{y:.3f}, precision "
            "%{customdata[1]:.3f}, recall %{customdata[2]:.3f}<extra></extra>",
        )
    )
    fig.update_yaxes(range=[0, 1.02])
    missing = len(scores) - len(shown)
    note = f"; {missing} feature(s) never active here, left out" if missing else ""
    mean = f"{shown['f1'].mean():.3f}" if len(shown) else "—"
    return apply_theme(
        fig,
        f"Per-feature F1 of the matched latent (mean {mean})",
        x_label="true feature",
        y_label="F1",
        subtitle=f"does the matched latent fire exactly when its feature does?{note}",
        height=320,
    )
