"""Widget values that survive page switches and hidden widgets.

Streamlit forgets a widget's value in any run that does not draw it (another page, or a k slider
hidden while the method is L1). Each kept widget mirrors its value into a shadow key that
Streamlit never cleans up, and is seeded from it when drawn again.

Each kept widget is also drawn with its current value as its default (:func:`start`). The browser
falls back to a widget's default whenever it holds no value of its own for it; after runs cut
short by clicks it may not, and under a classroom's load (the 10-session load test) that reset
Epochs to 1, the method to "none" and the select sliders to their first option, and sent those
back as the user's choice. With the current value as the default, such a fallback changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

SHADOW_PREFIX = "_keep_"


def seed(key: str, default: Any) -> None:
    """Before drawing widget ``key``: give it its remembered value, or ``default`` the first time."""
    if key not in st.session_state:
        st.session_state[key] = current(key, default)


def current(key: str, default: Any) -> Any:
    """Widget ``key``'s value as of this run, drawn yet or not (``default`` if never set)."""
    return st.session_state.get(key, st.session_state.get(SHADOW_PREFIX + key, default))


INDEX_WIDGETS = frozenset({"selectbox", "radio"})  # they take the default as a position
LIST_WIDGETS = frozenset({"multiselect", "pills", "segmented_control"})  # as ``default=``


def start(widget: Any, key: str, options: Sequence[Any] | None = None) -> dict[str, Any]:
    """The keyword that makes ``widget`` (e.g. ``st.selectbox``) default to ``key``'s value now.

    :func:`widget` passes it on: ``st.selectbox(..., key=k, **start(st.selectbox, k, METHODS))``,
    after :func:`seed`. (Streamlit logs a warning about a default only in a run that also set the
    value through Session State: the first seed, which sets the same value.)
    """
    value = st.session_state[key]
    name = getattr(widget, "__name__", "")
    if name in INDEX_WIDGETS:
        choices = list(options or ())
        return {"index": choices.index(value)} if value in choices else {}
    if name in LIST_WIDGETS:
        return {"default": value}
    return {"value": value}


def widget(
    draw: Any, label: str, key: str, default: Any, *args: Any, shown: bool = True, **kwargs: Any
) -> Any:
    """Seed, draw and remember kept widget ``key``; returns its value.

    ``draw(label, *args, key=key, **kwargs)`` is a widget function (``st.selectbox``, or a
    column's), drawn with :func:`start`'s default; ``shown=False`` (hidden by teacher mode)
    keeps the value without drawing.
    """
    seed(key, default)
    if shown:
        options = kwargs.get("options", args[0] if args else None)
        draw(label, *args, key=key, **kwargs, **start(draw, key, options))
    return remember(key)


def remember(key: str) -> Any:
    """After drawing widget ``key``: store its value for later runs and return it."""
    value = st.session_state.get(key)
    st.session_state[SHADOW_PREFIX + key] = value
    return value


def forget(key: str) -> None:
    """Drop the remembered value (the widget returns to its default next time it is drawn)."""
    st.session_state.pop(SHADOW_PREFIX + key, None)
