"""The sidebar navigation: each page's link carries the query that page shows (one history
entry per visit; tests/browser/test_history.py checks it in a browser)."""

from __future__ import annotations

from urllib.parse import parse_qs

from streamlit.testing.v1 import AppTest

from sae_core.app.pages import PAGE_NAMES
from tests.helpers.app import APP, TIMEOUT, set_widgets


def nav_links(at: AppTest) -> dict[str, dict[str, str]]:
    """Page name -> the query its navigation link opens it with."""
    links = {}
    for link in at.sidebar.get("page_link"):
        query = {k: v[-1] for k, v in parse_qs(link.proto.query_string).items()}
        if "page" in query:  # the navigation's links (the sidebar's Train shortcut has none)
            links[query["page"]] = query
    return links


def open_link(**query: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_every_navigation_link_carries_the_set_up_for_its_page() -> None:
    at = open_link(page="train", lam="0.3", h="32")
    links = nav_links(at)
    assert list(links) == [n for n in PAGE_NAMES if n != "home"]  # Start: the default, no page=
    for name, query in links.items():
        assert query == {"page": name, "lam": "0.3", "h": "32"}, name
    set_widgets(at, train_lam=1.0).run()  # a change shows in every link at once
    assert nav_links(at)["filters"]["lam"] == "1"


def test_a_teacher_links_navigation_lists_only_its_pages_and_keeps_its_flags() -> None:
    at = open_link(page="train", teacher="1", only="lam", pages="train,filters")
    links = nav_links(at)
    assert list(links) == ["train", "filters"]
    assert links["filters"]["only"] == "lam" and links["filters"]["pages"] == "train,filters"
