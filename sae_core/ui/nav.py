"""The sidebar's page navigation, drawn by the app so that each link carries its page's set-up.

Streamlit's own navigation links open a page with an empty query: the browser got one history
entry for the bare page path, then a second when the page wrote its set-up into the address
(``url_state.sync_url``), so Back needed two presses per page. Each link here is an
``st.page_link`` with the query that page will show (``url_state.pages_params``): the page opens
at its final address, writes nothing, and the visit is one history entry. ``app.py`` hides
Streamlit's navigation (``position="hidden"``) and calls :func:`render_nav` instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

NAV_KEY = "app_nav"  # the container's key: its element carries the CSS class st-key-app_nav


def render_nav(pages: Mapping[str, Any], queries: Mapping[str, dict[str, str]]) -> None:
    """One sidebar link per page (``pages``: link name -> ``st.Page``), each with its query
    ``queries[name]``, at the top of the sidebar."""
    with st.sidebar.container(key=NAV_KEY, gap="small"):
        for name, page in pages.items():
            st.page_link(page, query_params=queries[name], width="stretch")
