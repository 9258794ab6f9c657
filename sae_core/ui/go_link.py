"""A ``go=1`` link on any page: train its set-up before the page draws (app.py calls it).

The Train page answers a pending ``go=1`` beside its controls (:func:`answer_go` in
:mod:`sae_core.ui.training_loop`); a link that opens another page (``page=filters&go=1``), or a
teacher link whose ``pages=`` leaves Train out, is answered here: the set-up the link seeded is
read from the controls' remembered values without drawing them, and trained (through the shared
cache) with a progress bar at the top of the page, or, when expensive, after the user's click.

    go_on_any_page(get_state(), page_name)   # app.py, after show_cached_on_open
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from sae_core.app.controls.spec import GROUPS
from sae_core.ui.config_form import render_config_form
from sae_core.ui.data_picker import choose_data
from sae_core.ui.guard import user_errors
from sae_core.ui.open_link import drop_go, go_pending
from sae_core.ui.shared_models import link_key_now
from sae_core.ui.state import AppState, load_choice
from sae_core.ui.teacher import current_teacher, set_teacher
from sae_core.ui.training_loop import TrainRequest, answer_go, make_request
from sae_core.ui.training_view import LiveView

TRAIN_PAGE = "train"  # answers its go=1 itself, with its controls and live view


def request_from_controls() -> TrainRequest | None:
    """The Train controls' set-up now, read without drawing a widget (every group hidden for
    the moment, as a teacher link hides them); None for an uploaded file, which a link cannot
    carry. Raises the data's or the settings' user error."""
    if link_key_now() is None:  # the file source: nothing uploaded in this session
        return None
    teacher = current_teacher()
    set_teacher(replace(teacher, hidden=frozenset(GROUPS)))
    try:
        slot = st.empty()  # the pickers' empty columns and hints go here, then are cleared
        with slot.container():
            choice = choose_data()
            values = render_config_form()
        slot.empty()
    finally:
        set_teacher(teacher)
    if choice is None:
        return None
    return make_request((choice, load_choice(choice)), values)


def go_on_any_page(state: AppState, page: str) -> None:
    """Answer a pending ``go=1`` on a page other than Train (see the module docstring)."""
    if page == TRAIN_PAGE or not go_pending() or state.playing:
        return
    with user_errors("Training"):
        request = request_from_controls()
        if request is None:
            drop_go()
            return
        live = st.empty()  # the run's progress, cleared once the model is shown
        with live.container():
            view = LiveView()
        answer_go(state, request, view)
        if not go_pending():
            live.empty()
