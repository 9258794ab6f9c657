"""Charts drawn through one function, so each page can offer its charts as one HTML download.

``chart`` draws a plotly figure and notes it for this script run; app.py clears the notes before
the page runs (:func:`start_page`) and afterwards puts a sidebar button that writes them out
(:func:`render_download`). The HTML is built only when the button is clicked.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st

from sae_core.figures.html import figures_html

CHARTS_KEY = "_page_charts"  # session_state: {chart key: figure} drawn in this run


def start_page() -> None:
    """Forget the previous run's charts (call before the page script runs)."""
    st.session_state[CHARTS_KEY] = {}


def chart(fig: go.Figure, key: str, container: Any = None, **kwargs: Any) -> None:
    """``container.plotly_chart(fig, key=key, **kwargs)``, noted for the page's HTML download."""
    (container if container is not None else st).plotly_chart(fig, key=key, **kwargs)
    st.session_state.setdefault(CHARTS_KEY, {})[key] = fig


def render_download(page_title: str, page_name: str) -> None:
    """A sidebar button saving this run's charts as one HTML file (nothing if none were drawn)."""
    figures = dict(st.session_state.get(CHARTS_KEY) or {})
    if not figures:
        return
    st.sidebar.download_button(
        f"Charts on this page (HTML, {len(figures)})",
        data=lambda: figures_html(figures, f"SAE Explorer: {page_title}"),
        file_name=f"sae-explorer-{page_name}.html",
        mime="text/html",
        key="charts_html",
        on_click="ignore",
        icon=":material/download:",
        help="Interactive charts that open offline in any browser. PNG: the camera on a chart.",
    )
