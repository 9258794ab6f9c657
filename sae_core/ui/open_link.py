"""Opening a link (or reloading the page): its model at once when the server has it, ``go=1``.

A session's first run reads the link (:func:`sae_core.ui.url_state.apply_url_once`); then
:func:`show_cached_on_open` looks the link's set-up up in the shared model cache and the saved
runs (:mod:`sae_core.ui.shared_models`) and shows its model on whichever page the link opens,
with no Train press. ``go=1`` in a link asks for training on opening (a teacher's link shows
results at once): :func:`remember_go_once` notes it before the link is applied (opening another
page drops the query), and :func:`run_go` trains when a run is quick, or shows the time estimate
and a button when it is not: on the Train page beside its controls, on any other page before it
draws (:mod:`sae_core.ui.go_link`).

    remember_go_once()               # app.py, before apply_url_once
    show_cached_on_open(get_state()) # app.py, after it
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import streamlit as st

from sae_core.app.link import GO_FIELD, parse_value
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data.dataset import Dataset
from sae_core.ui.config_form import estimate_train_seconds
from sae_core.ui.saved_setups import saved_run
from sae_core.ui.shared_models import (
    WaitingBar,
    current_from_entry,
    existing_cache,
    link_key_now,
    load_saved,
    note,
    shared_cache,
    show_current,
)
from sae_core.ui.state import AppState, Current

if TYPE_CHECKING:
    from sae_core.runs.shared_cache import Progress, TrainedModel

GO_KEY = "_link_go"  # True while a go=1 link waits for its Train page
GO_READ_KEY = "_link_go_read"
OPENED_KEY = "_link_cache_checked"
GO_MAX_SECONDS = 3.0  # a go link trains at once when its run takes about this long at most
GO_BUTTON_KEY = "train_go_link"


def remember_go_once() -> None:
    """First run of a session: note whether the link says ``go=1`` (read once, never kept in
    the address bar, so a reload does not train again)."""
    if st.session_state.get(GO_READ_KEY):
        return
    st.session_state[GO_READ_KEY] = True
    raw = st.query_params.get("go")
    if raw is not None:
        value, _ = parse_value(GO_FIELD, str(raw))  # a bad value: the link's notice says so
        if value:
            st.session_state[GO_KEY] = True


def show_cached_on_open(state: AppState) -> None:
    """Once per session, after the link was read: show the link's model if the server has it."""
    if st.session_state.get(OPENED_KEY):
        return
    st.session_state[OPENED_KEY] = True
    if state.current is not None:
        return
    key = link_key_now()
    if key is None:
        return
    current = cached_for_link(key)
    if current is not None:
        show_current(state, current)
        note("info", "This link's set-up was trained before on this server: its model is shown.")


def go_pending() -> bool:
    """Whether a ``go=1`` link still waits to train."""
    return bool(st.session_state.get(GO_KEY))


def drop_go() -> None:
    st.session_state.pop(GO_KEY, None)


def go_estimate(dataset: Dataset, sae_config: SAEConfig, train_config: TrainConfig) -> float:
    """Rough seconds a run of this set-up takes here (the Train page's own estimate)."""
    return estimate_train_seconds(
        n_train=dataset.n_train,
        d_in=dataset.d_in,
        d_sae=sae_config.d_sae,
        epochs=train_config.epochs,
        batch_size=train_config.batch_size,
    )


def run_go(seconds: float, shown_matches: bool, train: Callable[[], None]) -> None:
    """Act on a pending ``go=1``: nothing if its model is shown; ``train()`` if a run takes
    ``seconds`` ≤ :data:`GO_MAX_SECONDS`; else the estimate and a button that trains."""
    if shown_matches:
        drop_go()
        return
    if seconds <= GO_MAX_SECONDS:
        drop_go()
        train()
        return
    st.info(
        f"This link asks to train its set-up when opened. A run takes about {seconds:.0f} s "
        "on this server, so it waits for you.",
        icon=":material/timer:",
    )
    if st.button(f"Train it now (about {seconds:.0f} s)", key=GO_BUTTON_KEY, type="primary"):
        drop_go()
        train()


def cached_for_link(link_key: str) -> Current | None:
    """The model a link's set-up already has (in memory, being trained, or saved), as this
    session's :class:`Current`; None when there is none (problems become notices)."""
    cache = existing_cache()
    digest = None if cache is None else cache.digest_for_link(link_key)
    if cache is not None and digest is not None:
        bar, dropped = WaitingBar(), list[str]()
        try:
            entry = cache.wait_for(digest, on_wait=bar.update, notices=dropped)
        finally:
            bar.clear()
        for text in dropped:
            note("warning", f"{text[0].upper()}{text[1:]}: press Train to train it again.")
        if entry is not None:
            return current_from_entry(entry, digest)
    found = saved_run(link_key=link_key)
    if found is None:
        return None
    from sae_core.runs.shared_cache import Declined  # opening a link never trains

    reasons: list[str] = []

    def load() -> TrainedModel:
        try:
            entry = load_saved(found, link_key)
        except Exception as exc:  # reported below; the search ends without a model
            reasons.append(str(exc))
            raise
        reasons.append(entry.problem() or "")
        return entry

    def nothing(progress: Progress) -> TrainedModel:
        raise Declined

    bar = WaitingBar()
    try:
        outcome = shared_cache().get_or_train(
            found.digest, nothing, load=load, on_wait=bar.update, link_key=link_key
        )
    except Declined:
        why = "; ".join(r for r in reasons if r) or "it could not be read"
        note(
            "warning",
            f"The saved run {found.path.name} of this link's set-up was skipped ({why}): "
            "press Train to train it again.",
        )
        return None
    finally:
        bar.clear()
    return current_from_entry(outcome.entry, found.digest)
