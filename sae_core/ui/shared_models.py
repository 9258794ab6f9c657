"""The server's shared model cache, seen from a session: one training per set-up for everyone.

The process holds one :class:`~sae_core.runs.shared_cache.SharedModelCache`
(:mod:`sae_core.ui.server_cache`: every Streamlit session of this server shares it;
:func:`reset_shared_cache` replaces it, as a restart would). :func:`train_shared` is what Train and train-as-I-move call: the set-up's
digest names it; a cached model is shown at once, a model another session is training is waited
for (with a "being trained by another session" progress bar), a saved run of the set-up is
loaded, and only else does this session train. :mod:`sae_core.ui.open_link` finds a link's
model when a session opens.

Each session gets its own :class:`Current` around the shared, read-only model, history and
metrics (pages never change a model's weights); the cache dropping an entry never takes a
session's shown model. Torch loads only when a model is trained or found (not for a first
page).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import streamlit as st

from sae_core.config import SAEConfig, TrainConfig
from sae_core.data.dataset import Dataset
from sae_core.ui.saved_setups import saved_run
from sae_core.ui.server_cache import BUDGET_ENV as BUDGET_ENV  # re-exported: the server's cache
from sae_core.ui.server_cache import cache_budget_bytes as cache_budget_bytes
from sae_core.ui.server_cache import existing_cache as existing_cache
from sae_core.ui.server_cache import forget_shared_cache as forget_shared_cache
from sae_core.ui.server_cache import reset_shared_cache as reset_shared_cache
from sae_core.ui.server_cache import shared_cache
from sae_core.ui.state import AppState, Current, DataChoice, load_choice, set_current

if TYPE_CHECKING:
    from sae_core.runs.digest_index import SavedSetup
    from sae_core.runs.shared_cache import Progress, TrainedModel

NOTICES_KEY = "_shared_model_notices"  # (kind, text) pairs shown on the session's next run

# One line in the server's log per set-up actually trained (not per cache hit or wait): how the
# load benchmark counts the trainings a class's shared link cost (benchmarks/load_test.py).
TRAINED_MARK = "training set-up"
_log = logging.getLogger("sae_explorer.shared_models")
if not _log.handlers:  # Streamlit leaves the root logger bare: without this INFO is dropped
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
    _log.addHandler(_handler)
    _log.setLevel(logging.INFO)


def request_digest(
    data: DataChoice, dataset: Dataset, sae_config: SAEConfig, train_config: TrainConfig
) -> str:
    """The set-up digest of a training request (data, its shape, configs)."""
    from sae_core.runs.shared_cache import setup_digest

    return setup_digest(
        data_spec=data.spec,
        data_options=data.options,
        sae_config=sae_config,
        train_config=train_config,
        upload_name=data.upload_name,
        upload_digest=data.upload_digest,
        data_shape=(dataset.n_train, dataset.n_test, dataset.d_in),
    )


def link_key_now() -> str | None:
    """The link key of the Train controls' values now (None for an uploaded file: a link
    cannot carry the file)."""
    from sae_core.app.controls import by_name, train_controls
    from sae_core.app.link import setup_key
    from sae_core.ui.url_state import current_values

    controls = train_controls()
    fields = tuple(c.field for c in controls)
    values = current_values(fields)
    if values.get("src", by_name(controls)["src"].default) == "file":
        return None
    return setup_key(values, fields)


def entry_from_current(current: Current, link_key: str | None) -> TrainedModel:
    """What the cache keeps of a finished model (shared: the model is not copied)."""
    from sae_core.runs.shared_cache import TrainedModel

    return TrainedModel(
        data=current.data,
        sae_config=current.sae_config,
        train_config=current.train_config,
        model=current.model,
        history=current.history,
        metrics=current.metrics,
        train_seconds=current.train_seconds,
        steps=current.steps,
        link_key=link_key,
        saved_as=current.saved_as,
    )


def current_from_entry(entry: TrainedModel, digest: str) -> Current:
    """This session's :class:`Current` around a cached model (its data loaded here)."""
    data: DataChoice = entry.data
    return Current(
        data=data,
        dataset=load_choice(data),
        sae_config=entry.sae_config,
        train_config=entry.train_config,
        model=entry.model,
        history=entry.history,
        metrics=entry.metrics,
        train_seconds=entry.train_seconds,
        steps=entry.steps,
        setup_digest=digest,
        link_key=entry.link_key,
        saved_as=entry.saved_as,
    )


def show_current(state: AppState, current: Current) -> None:
    """Make ``current`` the shown model; a slower live-trainer snapshot cannot replace it."""
    with state.lock:
        state.snapshots_taken += 1
        current.ticket = state.snapshots_taken
        state.shown_ticket = current.ticket
        set_current(state, current)


def note(kind: str, text: str) -> None:
    """A message (``"warning"`` or ``"info"``) for this session's next run of the Train page
    or the app (a new model reruns the page before anything is read)."""
    st.session_state.setdefault(NOTICES_KEY, []).append((kind, text))


def show_notices() -> None:
    """The messages :func:`note` stored, once."""
    for kind, text in st.session_state.pop(NOTICES_KEY, []):
        if kind == "warning":
            st.warning(text, icon=":material/warning:")
        else:
            st.info(text, icon=":material/share:")


class WaitingBar:
    """A progress bar for a model another session trains (drawn on the first wait)."""

    def __init__(self) -> None:
        self._slot: Any = None  # st.empty(), made when there is something to wait for

    def update(self, progress: Progress) -> None:
        if self._slot is None:
            self._slot = st.empty()
        text = "Being trained by another session"
        if progress.total:
            text += f": step {progress.step} of {progress.total}"
        self._slot.progress(progress.fraction, text=text + " (this page waits for it)")

    def clear(self) -> None:
        if self._slot is not None:
            self._slot.empty()


SOURCE_NOTES = {
    "memory": "This set-up was trained before on this server: its model is shown at once "
    "(training is deterministic, so it is the model Train would give).",
    "waited": "Another session was training this set-up: its model is shared with you.",
    "saved": "This set-up was found among the saved runs: its model is shown at once.",
}


# What replaced a dropped entry (a cached model or saved run that failed its check), by source
DROPPED_SUFFIX = {
    "trained": ": trained again.",
    "waited": ": another session's training of this set-up is shown instead.",
    "saved": ": the saved run of this set-up is shown instead.",
    "memory": ": another session's model of this set-up is shown instead.",
}


def train_shared(
    state: AppState,
    data: DataChoice,
    dataset: Dataset,
    configs: tuple[SAEConfig, TrainConfig],
    train_here: Callable[[Callable[[int, int], None]], Current],
) -> Current:
    """Show the model of this set-up, training it only if no session has (or is doing so).

    ``train_here(on_step)`` trains in this session (calling ``on_step(step, total)``), shows
    the result and returns it; it runs only when the cache, a training in progress elsewhere
    and the saved runs all miss. Returns the shown model.
    """
    sae_config, train_config = configs
    digest = request_digest(data, dataset, sae_config, train_config)
    link = link_key_now() if data.upload_name is None else None
    trained: list[Current] = []

    def train(progress: Progress) -> TrainedModel:
        def on_step(step: int, total: int) -> None:
            progress.step, progress.total = step, total

        _log.info("%s %s (%s, %s)", TRAINED_MARK, digest[:16], data.label, sae_config.method)
        current = train_here(on_step)
        trained.append(current)
        return entry_from_current(current, link)

    def load() -> TrainedModel | None:
        found = saved_run(digest=digest)
        return None if found is None else load_saved(found, link)

    bar = WaitingBar()
    try:
        outcome = shared_cache().get_or_train(
            digest, train, load=load, on_wait=bar.update, link_key=link
        )
    finally:
        bar.clear()
    for text in outcome.notices:
        note("warning", f"{text[0].upper()}{text[1:]}{DROPPED_SUFFIX[outcome.source]}")
    if trained:
        current = trained[-1]
    else:
        current = current_from_entry(outcome.entry, digest)
        show_current(state, current)
        note("info", SOURCE_NOTES[outcome.source])
    current.setup_digest, current.link_key = digest, link
    return current


def load_saved(found: SavedSetup, link_key: str | None) -> TrainedModel:
    """A saved run as a cache entry (evaluated on its own data); raises when unreadable."""
    from sae_core.runs import load_run
    from sae_core.ui.run_io import current_from_run

    current = current_from_run(load_run(found.path))
    return entry_from_current(current, link_key or found.link_key)
