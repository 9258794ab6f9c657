"""SAE Explorer: a short router. Pages live in app_pages/; shared UI code in sae_core/ui/."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from sae_core.app.pages import PAGES as APP_PAGES
from sae_core.ui.charts import render_download, start_page
from sae_core.ui.server import tune_interpreter
from sae_core.ui.sidebar import render_sidebar
from sae_core.ui.state import get_state
from sae_core.ui.training_loop import recover_interrupted
from sae_core.ui.url_state import apply_url_once, render_share, show_url_notices, sync_url

tune_interpreter()  # keeps /_stcore/health answering under load (sae_core/ui/server.py)
# A local icon: a material or emoji icon is fetched from a font CDN, which fails offline
ICON = Path(__file__).resolve().parent / "assets" / "icon.png"
st.set_page_config(page_title="SAE Explorer", page_icon=str(ICON), layout="wide")

# Keys are the page names a link's ``page=`` uses; the pages are declared in sae_core/app/pages.py.
PAGES = {
    p.name: st.Page(p.path, title=p.title, icon=p.icon, default=p is APP_PAGES[0])
    for p in APP_PAGES
}

page = st.navigation(list(PAGES.values()))
name = next(
    (n for n, p in PAGES.items() if p is page or p.url_path == page.url_path), APP_PAGES[0].name
)
apply_url_once(name)  # first run only: the link's set-up seeds the controls
params = sync_url(name)  # the address bar holds the current set-up
recover_interrupted(get_state())  # a run cut short by this click: show its model (any page)
render_sidebar(get_state())
render_share(params)
show_url_notices()
start_page()
page.run()
render_download(page.title, name)  # after the page: its charts as one HTML file
