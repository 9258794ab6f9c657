"""Charts as one standalone HTML file (DESIGN: "figures as PNG/HTML"; PNG is plotly's camera).

The file embeds plotly.js once, so it opens offline (a classroom without internet) and every
chart in it stays interactive: zoom, hover, toggle traces.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import plotly.graph_objects as go


def figures_html(figures: Mapping[str, go.Figure], title: str) -> str:
    """One HTML page holding ``figures`` (chart key -> figure) in order, titled ``title``."""
    parts = [
        fig.to_html(full_html=False, include_plotlyjs=(i == 0), div_id=_div_id(key))
        for i, (key, fig) in enumerate(figures.items())
    ]
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n" + "\n".join(parts) + "\n</body></html>\n"
    )


def _div_id(key: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in key) or "chart"
