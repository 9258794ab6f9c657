"""Shareable set-ups: every control that defines an experiment lives in the URL query.

The link format is the control registry's (:func:`sae_core.app.controls.link_fields`). On a
session's first run :func:`apply_url_once` reads the link: valid values seed the Train
page's widgets (through the shadow keys of :mod:`sae_core.ui.keep`, as if the user had set them),
the rest become one notice. Every run :func:`sync_url` writes the controls' values back (only those
that differ from their defaults), so the address bar always holds the current set-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import streamlit as st

from sae_core.app.controls import GROUP_LABELS, GROUPS, link_fields
from sae_core.app.link import (
    TEACHER_NAMES,
    Field,
    Teacher,
    encode_setup,
    encode_teacher,
    is_valid,
    parse_setup,
    query_string,
)
from sae_core.app.pages import PAGE_NAMES, PAGES, page_path
from sae_core.ui.keep import SHADOW_PREFIX
from sae_core.ui.teacher import current_teacher, set_teacher

APPLIED_KEY = "_url_applied"  # set once the link has been read in this session
NOTICE_KEY = "_url_notices"  # what the link had that was ignored or adjusted, shown once
PAGE_TITLES = {p.name: p.title for p in PAGES}


def current_values(fields: tuple[Field, ...]) -> dict[str, Any]:
    """Each control's value now: the drawn widget's, else the remembered one, else the default."""
    # One snapshot: a look-up through st.session_state is slow (a miss builds a KeyError
    # message) and a run asks for every field; with pages_params, a rerun 58 → 45 ms
    state = st.session_state.to_dict()
    values: dict[str, Any] = {}
    for f in fields:
        if not f.key:
            continue
        value = state[f.key] if f.key in state else state.get(SHADOW_PREFIX + f.key, f.default)
        if is_valid(f, value):
            values[f.name] = value
    return values


def apply_url_once(current: str) -> None:
    """First run of a session: seed the controls from the link and open the page it names."""
    if st.session_state.get(APPLIED_KEY):
        return
    st.session_state[APPLIED_KEY] = True
    fields = link_fields()
    parsed = parse_setup(st.query_params.to_dict(), fields, GROUPS)
    for f in fields:
        if f.key and f.name in parsed.values:
            st.session_state[SHADOW_PREFIX + f.key] = parsed.values[f.name]
    set_teacher(parsed.teacher)
    if parsed.notices:
        st.session_state[NOTICE_KEY] = parsed.notices
    target = parsed.values.get("page")
    if target is not None and target != current:
        st.switch_page(page_path(target))


def sync_url(current: str) -> dict[str, str]:
    """Write the current set-up into the address bar (when it changed); return its query.

    app.py calls it before each page; the Train page again after its controls, so a change made
    there is in the address at once.
    """
    return write_url(page_params(current))


def write_url(params: dict[str, str]) -> dict[str, str]:
    """Put ``params`` in the address bar (when they differ from what is there); return them."""
    if params != st.query_params.to_dict():
        st.query_params.from_dict(params)
    return params


def page_params(page: str) -> dict[str, str]:
    """The query that page ``page`` shows the current set-up under (its address bar's, and
    the query its navigation link carries: :mod:`sae_core.ui.nav`)."""
    return pages_params([page])[page]


def pages_params(pages: Iterable[str]) -> dict[str, dict[str, str]]:
    """:func:`page_params` of each of ``pages``, reading the controls once."""
    fields = link_fields()
    values, teacher = current_values(fields), current_teacher()
    return {page: encode_setup({**values, "page": page}, fields, teacher, GROUPS) for page in pages}


def show_url_notices() -> None:
    """Once: what the opened link had that was ignored or adjusted."""
    notices = st.session_state.pop(NOTICE_KEY, None)
    if notices:
        st.warning(
            "Some settings in the link were ignored or adjusted: " + "; ".join(notices) + ".",
            icon=":material/link_off:",
        )


def share_link(params: Mapping[str, str]) -> str:
    """The full link where the browser's address is known, else ``?query`` to append to it."""
    query = query_string(params)
    base = st.context.url or ""
    return f"{base}?{query}" if query else (base or "?")


def _teacher_link(params: Mapping[str, str]) -> str:
    shown = st.multiselect(
        "Teacher link: what students see and may change",
        GROUPS,
        default=["lam", "explain"],
        format_func=lambda g: GROUP_LABELS[g],
        key="share_students",
    )
    pages = st.multiselect(
        "Pages students see (none picked: every page)",
        PAGE_NAMES,
        default=[],
        format_func=lambda p: PAGE_TITLES[p],
        key="share_pages",
    )
    picked = tuple(p for p in PAGE_NAMES if p in pages)
    teacher = Teacher(enabled=True, hidden=frozenset(GROUPS) - set(shown), pages=picked)
    plain = {k: v for k, v in params.items() if k not in TEACHER_NAMES}
    opens = "train" if teacher.shows_page("train") else picked[0]
    return share_link({**plain, "page": opens, **encode_teacher(teacher, GROUPS)})


def render_share(params: Mapping[str, str]) -> None:
    """The sidebar's "Share this set-up": the link to copy and a teacher-link builder."""
    with st.sidebar.expander("Share this set-up", icon=":material/link:"):
        st.code(share_link(params), language=None, wrap_lines=True)
        where = "" if st.context.url else " Append it to the app's address (after the page path)."
        st.caption(
            "Copy it with the button at its top right: the link opens this page with the same "
            "data, method and settings; with the same seed, Train gives the same metrics. "
            "Uploaded files are not part of a link." + where
        )
        if not current_teacher().enabled:
            st.code(_teacher_link(params), language=None, wrap_lines=True)
            st.caption("Hand this to students: the Train page shows only what you picked.")
