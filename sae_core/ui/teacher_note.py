"""What students see of a teacher link: which controls they may move, and the fixed set-up.

The fixed settings are read from the Train controls' current values (drawn or remembered,
:mod:`sae_core.ui.keep`) and listed read-only (:func:`sae_core.app.fixed_setup.fixed_summary`),
so a student knows the data, method and sizes behind the one slider they move.
"""

from __future__ import annotations

import streamlit as st

from sae_core.app.controls import GROUP_LABELS, GROUPS, train_controls
from sae_core.app.fixed_setup import fixed_summary
from sae_core.ui.keep import current
from sae_core.ui.teacher import current_teacher


def fixed_rows() -> list[tuple[str, str]]:
    """(label, value) of every setting this session's teacher link fixes (empty outside it)."""
    teacher = current_teacher()
    if not teacher.enabled or not teacher.hidden:
        return []
    values = {c.name: current(c.key, c.default) for c in train_controls()}
    return fixed_summary(values, teacher.hidden)


def render_fixed_setup() -> None:
    """The fixed settings as one read-only line (nothing outside teacher mode)."""
    rows = fixed_rows()
    if rows:
        st.markdown(
            ":material/lock: **Set by your teacher:** "
            + " · ".join(f"{label} **{value}**" for label, value in rows)
        )


def render_teacher_note() -> None:
    """Which controls students may change, then the fixed set-up (nothing outside teacher mode)."""
    teacher = current_teacher()
    if not teacher.enabled:
        return
    shown = [GROUP_LABELS[g] for g in GROUPS if g not in teacher.hidden and g != "explain"]
    st.caption(
        ":material/school: Teacher mode: the link fixes the other settings; you can change "
        + (", ".join(shown) if shown else "nothing but the training buttons")
        + "."
    )
    render_fixed_setup()
