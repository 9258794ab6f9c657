"""The amortisation gap: the SAE's encoder against matching pursuit and OMP on its decoder.

``make_encoder_gap_figure``: one bar per encoder in each panel — FVE, encode time and, where the
data has ground-truth features, mean per-feature F1 (:func:`sae_core.analysis.pursuit.compare_encoders`).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sae_core.figures.curves import require_columns
from sae_core.figures.theme import PALETTE, apply_theme


def make_encoder_gap_figure(table: pd.DataFrame, *, title: str = "Amortisation gap") -> go.Figure:
    """Bars of FVE, encode time (ms) and F1 (when any row has one) per encoder.

    table: one row per encoder, columns encoder, k, l0, fve, encode_seconds, optional f1.
    """
    require_columns(table, ("encoder", "k", "l0", "fve", "encode_seconds"), "encoders")
    panels = [("fve", "FVE (higher is better)", 1.0), ("encode_seconds", "encode time (ms)", 1e3)]
    if "f1" in table.columns and table["f1"].notna().any():
        panels.append(("f1", "F1 (higher is better)", 1.0))
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=[label for _, label, _ in panels])
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(table))]
    for c, (col, label, scale) in enumerate(panels, start=1):
        values = pd.to_numeric(table[col], errors="coerce") * scale
        fig.add_trace(
            go.Bar(
                x=table["encoder"],
                y=values,
                marker_color=colours,
                showlegend=False,
                customdata=table["l0"],
                hovertemplate=f"%{{x}}: {label.split(' (')[0]} %{{y:.3g}}, "
                "L0 %{customdata:.2f}<extra></extra>",
            ),
            row=1,
            col=c,
        )
    k = int(table["k"].iloc[0]) if len(table) else 0
    subtitle = f"one decoder, three encoders, at most {k} atoms per held-out sample"
    return apply_theme(fig, title, subtitle=subtitle, height=380)
