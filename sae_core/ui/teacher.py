"""Teacher mode: which Train-page controls and which pages a link leaves to students.

``?teacher=1&only=lam`` hides every control but λ; ``&pages=train,filters`` shows only those
pages. The link is read once per session (:func:`link_teacher`, before the navigation is built,
and again by ``url_state.apply_url_once``); widgets ask :func:`visible`, page links
:func:`page_allowed`. A hidden control is not drawn, yet keeps its value (from the link, or its
default), and nothing else may change it: the Start page's quick start and scenarios are off and
adopting a run's set-up leaves it alone (:func:`locked`). Each control's group, and the groups'
labels, are the control registry's (:mod:`sae_core.app.controls`).
"""

from __future__ import annotations

import streamlit as st

from sae_core.app.controls import GROUPS
from sae_core.app.link import Teacher, parse_teacher
from sae_core.app.pages import PAGE_NAMES

TEACHER_KEY = "_url_teacher"  # this session's Teacher, set from the link on the first run


def current_teacher() -> Teacher:
    teacher = st.session_state.get(TEACHER_KEY)
    return teacher if isinstance(teacher, Teacher) else Teacher()


def set_teacher(teacher: Teacher) -> None:
    st.session_state[TEACHER_KEY] = teacher


def link_teacher() -> Teacher:
    """This session's Teacher; on its first run read from the link (its notices are
    ``apply_url_once``'s, which reads the link again)."""
    if TEACHER_KEY not in st.session_state:
        set_teacher(parse_teacher(st.query_params.to_dict(), [], GROUPS, PAGE_NAMES))
    return current_teacher()


def visible(group: str) -> bool:
    """Whether the controls of ``group`` (one of ``GROUPS``) are drawn for this session."""
    return group not in current_teacher().hidden


def locked(group: str) -> bool:
    """Whether a teacher link fixed ``group``: nothing but the link may set its controls."""
    teacher = current_teacher()
    return teacher.enabled and group in teacher.hidden


def page_allowed(name: str) -> bool:
    """Whether page ``name`` is in this session's navigation (a teacher link may limit it)."""
    return current_teacher().shows_page(name)


def setup_fixed() -> bool:
    """Whether a teacher link fixed part of the set-up: then nothing may replace the whole
    set-up (the quick start, the guided scenarios)."""
    teacher = current_teacher()
    return teacher.enabled and bool(teacher.hidden)
