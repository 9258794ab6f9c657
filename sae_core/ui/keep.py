"""Widget values that survive page switches and hidden widgets.

Streamlit forgets a widget's value in any run that does not draw it (another page, or a k slider
hidden while the method is L1). Each kept widget mirrors its value into a shadow key that
Streamlit never cleans up, and is seeded from it when drawn again. Seeding through
``st.session_state`` (never ``value=``) avoids the "default and Session State" warning.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

SHADOW_PREFIX = "_keep_"


def seed(key: str, default: Any) -> None:
    """Before drawing widget ``key``: give it its remembered value, or ``default`` the first time."""
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(SHADOW_PREFIX + key, default)


def remember(key: str) -> Any:
    """After drawing widget ``key``: store its value for later runs and return it."""
    value = st.session_state.get(key)
    st.session_state[SHADOW_PREFIX + key] = value
    return value


def forget(key: str) -> None:
    """Drop the remembered value (the widget returns to its default next time it is drawn)."""
    st.session_state.pop(SHADOW_PREFIX + key, None)
