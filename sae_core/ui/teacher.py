"""Teacher mode: which Train-page controls a link hides (``?teacher=1&only=lam``).

The link is read once per session (``url_state.apply_url_once``); widgets ask :func:`visible`.
A hidden control is not drawn, yet keeps its value (from the link, or its default). Each
control's group, and the groups' labels, are the control registry's (:mod:`sae_core.app.controls`).
"""

from __future__ import annotations

import streamlit as st

from sae_core.app.controls import GROUP_LABELS, GROUPS
from sae_core.app.link import Teacher

TEACHER_KEY = "_url_teacher"  # this session's Teacher, set from the link on the first run


def current_teacher() -> Teacher:
    teacher = st.session_state.get(TEACHER_KEY)
    return teacher if isinstance(teacher, Teacher) else Teacher()


def set_teacher(teacher: Teacher) -> None:
    st.session_state[TEACHER_KEY] = teacher


def visible(group: str) -> bool:
    """Whether the controls of ``group`` (one of ``GROUPS``) are drawn for this session."""
    return group not in current_teacher().hidden


def render_teacher_note() -> None:
    """One caption saying which controls the link fixed (nothing outside teacher mode)."""
    teacher = current_teacher()
    if not teacher.enabled:
        return
    shown = [GROUP_LABELS[g] for g in GROUPS if g not in teacher.hidden and g != "explain"]
    st.caption(
        ":material/school: Teacher mode: the link fixes the other settings; you can change "
        + (", ".join(shown) if shown else "nothing but the training buttons")
        + "."
    )
