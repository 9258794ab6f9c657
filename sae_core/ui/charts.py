"""Charts drawn through one function, so each page can offer its charts as one HTML download.

``chart`` draws a plotly figure and notes it for this script run; app.py clears the notes before
the page runs (:func:`start_page`) and afterwards puts a sidebar button that writes them out
(:func:`render_download`). The HTML is built only when the button is clicked.

Two runs of one session can overlap (a page switch while Play still draws the Train page), and
session state is shared between them: the notes carry the page they belong to, and a chart drawn
by a run of another page is not added, so the button counts and saves this page's charts only.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from sae_core.figures.html import figures_html

CHARTS_KEY = "_page_charts"  # session_state: {chart key: figure} drawn in this run
CHARTS_PAGE_KEY = "_page_charts_page"  # session_state: the page (script hash) those belong to


def _running_page() -> str:
    """The page this script run draws (its script hash; "" outside a script run)."""
    ctx = get_script_run_ctx(suppress_warning=True)
    return "" if ctx is None else ctx.page_script_hash


def start_page() -> None:
    """Forget the previous run's charts (call before the page script runs)."""
    st.session_state[CHARTS_KEY] = {}
    st.session_state[CHARTS_PAGE_KEY] = _running_page()


def chart(fig: go.Figure, key: str, container: Any = None, **kwargs: Any) -> None:
    """``container.plotly_chart(fig, key=key, **kwargs)``, noted for the page's HTML download."""
    (container if container is not None else st).plotly_chart(fig, key=key, **kwargs)
    if st.session_state.get(CHARTS_PAGE_KEY, _running_page()) != _running_page():
        return  # an older run of another page, still drawing: not this page's chart
    st.session_state.setdefault(CHARTS_KEY, {})[key] = fig


def render_download(page_title: str, page_name: str) -> None:
    """A sidebar button saving this run's charts as one HTML file (nothing if none were drawn)."""
    if st.session_state.get(CHARTS_PAGE_KEY, _running_page()) != _running_page():
        return  # another page's run started since: its own button comes with it
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
