"""Kept widgets: values that survive page switches and hidden widgets. The one way to draw one.

Streamlit forgets a widget's value in any run that does not draw it (another page, or a k slider
hidden while the method is L1). Each kept widget mirrors its value into a shadow key that
Streamlit never cleans up, and is seeded from it when drawn again.

Each kept widget is also drawn with its current value as its default (:func:`start`). The browser
falls back to a widget's default whenever it holds no value of its own for it; after runs cut
short by clicks it may not, and under a classroom's load (the 10-session load test) that reset
Epochs to 1, the method to "none" and the select sliders to their first option, and sent those
back as the user's choice. With the current value as the default, such a fallback changes nothing.

    kept(st.slider, "Samples", key="recon_n", default=8, min_value=1, max_value=16)
    draw_control(controls["ep"], column)   # a registry control: its widget, label, bounds, help
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from sae_core.app.controls import Control
from sae_core.ui.teacher import visible

SHADOW_PREFIX = "_keep_"
INDEX_WIDGETS = frozenset({"selectbox", "radio"})  # they take the default as a position
LIST_WIDGETS = frozenset({"multiselect", "pills", "segmented_control"})  # as ``default=``
OPTION_WIDGETS = frozenset({"select_slider"}) | INDEX_WIDGETS | LIST_WIDGETS


def seed(key: str, default: Any) -> None:
    """Before drawing widget ``key``: give it its remembered value, or ``default`` the first time."""
    if key not in st.session_state:
        st.session_state[key] = current(key, default)


def current(key: str, default: Any) -> Any:
    """Widget ``key``'s value as of this run, drawn yet or not (``default`` if never set)."""
    return st.session_state.get(key, st.session_state.get(SHADOW_PREFIX + key, default))


def remember(key: str) -> Any:
    """After drawing widget ``key``: store its value for later runs and return it."""
    value = st.session_state.get(key)
    st.session_state[SHADOW_PREFIX + key] = value
    return value


def start(widget: Any, key: str, options: Sequence[Any] | None = None) -> dict[str, Any]:
    """The keyword that makes ``widget`` (e.g. ``st.selectbox``) default to ``key``'s value now.

    :func:`kept` passes it on, after :func:`seed`. (Streamlit logs a warning about a default only
    in a run that also set the value through Session State: the first seed, which sets the same
    value.)
    """
    value = st.session_state[key]
    name = getattr(widget, "__name__", "")
    if name in INDEX_WIDGETS:
        choices = list(options or ())
        return {"index": choices.index(value)} if value in choices else {}
    if name in LIST_WIDGETS:
        return {"default": value}
    return {"value": value}


def _repair(key: str, default: Any, kwargs: dict[str, Any]) -> None:
    """Fit the remembered value to this draw's ``options`` or ``min_value``/``max_value`` (they
    may have changed with the model), so a new model never breaks a widget."""
    value = st.session_state[key]
    options: Sequence[Any] | None = kwargs.get("options")
    if options is not None and not isinstance(value, list) and value not in list(options):
        choices = list(options)
        st.session_state[key] = default if default in choices or not choices else choices[0]
        return
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if low is not None and value < low:
            st.session_state[key] = low
        elif high is not None and value > high:
            st.session_state[key] = high


def kept(
    draw: Any, label: str, *, key: str, default: Any, shown: bool = True, **kwargs: Any
) -> Any:
    """Draw ``draw(label, key=key, **kwargs)`` (``st.selectbox``, or a column's) as a kept widget
    and return its value.

    Seeded from the remembered value (``default`` the first time), repaired to fit this draw's
    options or bounds, drawn with :func:`start`'s default. ``shown=False`` (hidden by teacher
    mode) keeps the value without drawing. Pass options and bounds by keyword.
    """
    seed(key, default)
    _repair(key, default, kwargs)
    if shown:
        draw(label, key=key, **kwargs, **start(draw, key, kwargs.get("options")))
    return remember(key)


def control_kwargs(control: Control) -> dict[str, Any]:
    """The widget keywords a registry control declares: options or bounds, labels, help."""
    kwargs: dict[str, Any] = {"help": control.help}
    if control.widget in OPTION_WIDGETS:
        kwargs["options"] = control.choices
    if control.option_labels is not None:
        kwargs["format_func"] = control.option_labels.__getitem__
    if control.kind in ("int", "float") and control.widget in ("slider", "number_input"):
        kwargs.update(min_value=control.lo, max_value=control.hi)
        if control.step is not None:
            kwargs["step"] = control.step
    return kwargs


def draw_control(
    control: Control, where: Any = st, *, shown: bool | None = None, **overrides: Any
) -> Any:
    """Draw registry ``control`` in ``where`` (``st`` or a column) as a kept widget; its value.

    Its widget, label, default, options or bounds and help are the registry's; ``overrides``
    replace any (bounds that depend on the shown model, a help that depends on the method).
    Hidden when teacher mode hides its group, unless ``shown`` says otherwise.
    """
    kwargs = {**control_kwargs(control), **overrides}
    default = kwargs.pop("default", control.default)
    label = kwargs.pop("label", control.label)
    if shown is None:
        shown = control.group is None or visible(control.group)
    draw = getattr(where, control.widget)
    return kept(draw, label, key=control.key, default=default, shown=shown, **kwargs)
