"""SAE Explorer: a short router. Pages live in app_pages/; shared UI code in sae_core/ui/."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from sae_core.app.pages import PAGES as APP_PAGES
from sae_core.ui.charts import render_download, start_page
from sae_core.ui.go_link import go_on_any_page
from sae_core.ui.guard import user_errors
from sae_core.ui.nav import render_nav
from sae_core.ui.open_link import remember_go_once, show_cached_on_open
from sae_core.ui.preload import start_preload
from sae_core.ui.server import tune_interpreter
from sae_core.ui.shared_models import show_notices
from sae_core.ui.sidebar import render_sidebar
from sae_core.ui.state import get_state
from sae_core.ui.teacher import link_teacher
from sae_core.ui.training_loop import recover_interrupted
from sae_core.ui.url_state import (
    apply_url_once,
    pages_params,
    render_share,
    show_url_notices,
    write_url,
)

tune_interpreter()  # keeps /_stcore/health answering under load (sae_core/ui/server.py)
# A local icon: a material or emoji icon is fetched from a font CDN, which fails offline
ICON = Path(__file__).resolve().parent / "assets" / "icon.png"
st.set_page_config(page_title="SAE Explorer", page_icon=str(ICON), layout="wide")

# Keys are the page names a link's ``page=`` uses; the pages are declared in sae_core/app/pages.py.
# A teacher link's ``pages=`` keeps only the pages it names (read before the navigation exists).
SHOWN = [p for p in APP_PAGES if link_teacher().shows_page(p.name)]
PAGES = {p.name: st.Page(p.path, title=p.title, icon=p.icon, default=p is SHOWN[0]) for p in SHOWN}

# Hidden: sae_core/ui/nav.py draws the links, each carrying its page's set-up (one history entry
# per page visit; Streamlit's own links made two)
page = st.navigation(list(PAGES.values()), position="hidden")
name = next(
    (n for n, p in PAGES.items() if p is page or p.url_path == page.url_path), SHOWN[0].name
)
remember_go_once()  # first run only, before a link's page= switches pages: go=1 trains on open
apply_url_once(name)  # first run only: the link's set-up seeds the controls
with user_errors("Opening the link"):  # a bad model cache budget: a message, not a traceback
    show_cached_on_open(get_state())  # once: the link's model, if this server has it (any page)
go_on_any_page(get_state(), name)  # go=1 on a page other than Train: train (or ask) here
queries = pages_params(PAGES)  # each page's query, from one read of the controls
params = write_url(queries[name])  # the address bar holds the current set-up
render_nav(PAGES, queries)
recover_interrupted(get_state())  # a run cut short by this click: show its model (any page)
render_sidebar(get_state())
render_share(params)
show_url_notices()
show_notices()  # the shared model cache's notes (a model shown at once, an entry dropped)
start_page()
page.run()
render_download(page.title, name)  # after the page: its charts as one HTML file
start_preload()  # once per process, after the first page is drawn: torch & co. for the first Train
