"""The Train page's training loop: Train, Play / Pause / Step / Reset and train-as-I-move.

The live trainer is ``state.trainer``; the shown model (``state.current``) is only replaced by a
snapshot of it after steps succeed, so a bad setting or a diverged run never loses a model. A click
during a run interrupts the script between two steps (Streamlit raises at the next ``st`` call);
the run marks itself in ``st.session_state[RUNNING_KEY]`` so the next run can publish the partial
model, as Pause would.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import streamlit as st

from sae_core.config import SAEConfig, TrainConfig
from sae_core.data.dataset import Dataset
from sae_core.errors import ConfigError
from sae_core.ui.config_form import TRAIN_CONTROLS, FormValues, build_configs
from sae_core.ui.detach import DetachOnDisconnect
from sae_core.ui.open_link import drop_go, go_estimate, go_pending, run_go
from sae_core.ui.shared_models import train_shared
from sae_core.ui.state import (
    AppState,
    Current,
    DataChoice,
    load_choice,
    new_trainer,
    set_current,
    snapshot,
)
from sae_core.ui.training_view import Actions, LiveView

if TYPE_CHECKING:  # torch loads with the first trainer (state.new_trainer), not for the first page
    from sae_core.training.trainer import Trainer

PLAY_SLICE_SECONDS = 0.3  # Play trains at most this long per rerun, then shows the model
# ...and at most 1/PLAY_FRAMES of the run, so Play on a run that takes 0.06 s (digits) still
# shows the curves and filters forming over about this many redraws instead of one.
PLAY_FRAMES = 24
RUNNING_KEY = "train_running"  # the TrainRequest of a run in progress (left set if interrupted)


@dataclass(frozen=True, eq=False)
class TrainRequest:
    """Data and configs the widgets currently describe."""

    data: DataChoice
    dataset: Dataset
    sae_config: SAEConfig
    train_config: TrainConfig

    @property
    def key(self) -> tuple[Any, ...]:
        """Same shape as ``state.trainer_key``: a trainer built for this request has this key."""
        return (self.data, self.sae_config, self.train_config)


def make_request(picked: tuple[DataChoice, Dataset], values: FormValues) -> TrainRequest:
    """Validated request for the picked data; raises ConfigError naming the fix."""
    data, dataset = picked
    sae_config, train_config = build_configs(values, dataset.d_in)
    if train_config.batch_size > dataset.n_train:
        raise ConfigError(
            f"batch size {train_config.batch_size} exceeds the {dataset.n_train} training "
            f"samples: choose a batch size ≤ {dataset.n_train}"
        )
    return TrainRequest(data, dataset, sae_config, train_config)


def publish(state: AppState, data: DataChoice, dataset: Dataset, *, finished: bool) -> Current:
    """Show the live trainer's model; a partial snapshot of the same run replaces its last one.

    A snapshot older than the shown model (a slow run overtaken by a later click) is not shown.
    Returns the snapshot, shown or not.
    """
    # Held through the evaluation: a run started meanwhile (a click, a page switch) waits for
    # this model instead of showing "no model" or evaluating the same trainer twice.
    with state.lock:
        current = snapshot(state, data, dataset, finished=finished)
        if current.ticket < state.shown_ticket:
            return current
        state.shown_ticket = current.ticket
        shown = state.current
        if (
            shown is not None
            and not shown.finished
            and shown.data == data
            and shown.sae_config == current.sae_config
            and shown.train_config == current.train_config
        ):
            current.id = shown.id  # same run, later step: one row in the session's runs
        set_current(state, current)
        return current


def recover_interrupted(state: AppState) -> None:
    """A run cut short by a click: keep its trainer and show its model as paused."""
    request = st.session_state.pop(RUNNING_KEY, None)
    if request is None:
        return
    with state.lock:  # waits while the interrupted run still publishes (then nothing to do)
        trainer = state.trainer
        if trainer is None or state.trainer_key != request.key:
            return
        if trainer.step_count > 0 and not _shown_is(state, trainer):
            publish(state, request.data, request.dataset, finished=trainer.done)


def _shown_is(state: AppState, trainer: Trainer) -> bool:
    shown = state.current
    return (
        shown is not None
        and shown.steps == trainer.step_count
        and state.trainer_key == (shown.data, shown.sae_config, shown.train_config)
    )


def _ensure_trainer(state: AppState, request: TrainRequest) -> Trainer:
    if state.trainer is None or state.trainer_key != request.key:
        return new_trainer(
            state, request.data, request.dataset, request.sae_config, request.train_config
        )
    return state.trainer


def _run(
    state: AppState,
    request: TrainRequest,
    view: LiveView,
    n_steps: int | None = None,
    seconds: float | None = None,
    on_step: Callable[[int, int], None] | None = None,
) -> Current:
    """Advance the live trainer (by steps, by time, or to the end), then publish its model
    (returned). ``on_step(step, total)`` follows the progress (the shared cache's waiters)."""
    trainer = state.trainer
    assert trainer is not None
    deadline = None if seconds is None else time.perf_counter() + seconds
    # A full (shared) training outlives its browser: a reload or a dropped connection must not
    # throw away what a waiting class, or the reloaded page, is about to get (ui/detach.py).
    guard = DetachOnDisconnect() if on_step is not None else None

    def callback(t: Trainer) -> bool:
        if on_step is not None:
            on_step(t.step_count, t.total_steps)
        if guard is None:
            view.update(t)
        else:
            guard.draw(lambda: view.update(t))
        return deadline is None or time.perf_counter() < deadline

    st.session_state[RUNNING_KEY] = request
    try:
        with state.lock:  # a click's rerun waits for this run's next st call (it then stops)
            trainer.run(n_steps, callback=callback)
    except Exception:  # a user error (e.g. divergence): nothing to recover next run
        st.session_state.pop(RUNNING_KEY, None)
        raise
    # A click interrupts with a BaseException (at an st call), skipping what follows; the mark
    # stays until the model is published, so the next run (any page) publishes it if need be.
    if guard is not None and guard.detached:
        # No browser: every st call, st.session_state included, would stop the script again
        # before the model reaches the shared cache. The mark stays; the next run finds this
        # model shown.
        return publish(state, request.data, request.dataset, finished=trainer.done)
    view.update(trainer, force=True)
    current = publish(state, request.data, request.dataset, finished=trainer.done)
    st.session_state.pop(RUNNING_KEY, None)
    return current


def train_to_end(state: AppState, request: TrainRequest, view: LiveView) -> None:
    """A full run of the set-up (the Train button, train-as-I-move, a ``go=1`` link).

    Through the server's shared cache: a set-up trained before (by any session, or saved as a
    run) is shown at once, one another session is training is waited for; only else does a
    fresh trainer run here to the end.
    """
    state.playing = False

    def train_here(on_step: Callable[[int, int], None]) -> Current:
        new_trainer(state, request.data, request.dataset, request.sae_config, request.train_config)
        return _run(state, request, view, on_step=on_step)

    configs = (request.sae_config, request.train_config)
    train_shared(state, request.data, request.dataset, configs, train_here)


def answer_go(state: AppState, request: TrainRequest, view: LiveView) -> None:
    """A pending ``go=1`` link: train this request (asking first when it is expensive), unless
    its model is already shown. The Train page calls it, and app.py on any other page."""
    seconds = go_estimate(request.dataset, request.sae_config, request.train_config)
    matches = _current_matches(state, request)
    run_go(seconds, matches, lambda: train_to_end(state, request, view))


def apply_actions(
    state: AppState, request: TrainRequest | None, actions: Actions, view: LiveView
) -> None:
    """Do what the buttons ask; Play runs one time slice (the page reruns while playing)."""
    recover_interrupted(state)
    if actions.pause or request is None:
        _pause(state)
    if request is None:
        return
    if actions.train or actions.step or actions.play:
        drop_go()  # the user acted: a go=1 link's request is answered
    if actions.reset:
        state.playing = False
        if state.trainer is not None:
            state.trainer.reset()
    if actions.train:
        train_to_end(state, request, view)
    elif actions.step:
        state.playing = False
        trainer = _ensure_trainer(state, request)
        if trainer.done:
            trainer.reset()
        _run(state, request, view, n_steps=actions.step_size)
    elif actions.play:
        trainer = _ensure_trainer(state, request)
        if trainer.done:
            trainer.reset()
        state.playing = True
    elif actions.live and not state.playing and not _current_matches(state, request):
        train_to_end(state, request, view)
    elif go_pending() and not state.playing:
        answer_go(state, request, view)
    if state.playing:
        trainer = _ensure_trainer(state, request)
        frame = max(1, -(-trainer.total_steps // PLAY_FRAMES))
        _run(state, request, view, n_steps=frame, seconds=PLAY_SLICE_SECONDS)
        state.playing = not state.trainer.done if state.trainer is not None else False


def _pause(state: AppState) -> None:
    state.playing = False
    trainer = state.trainer
    if trainer is None or trainer.step_count == 0 or _shown_is(state, trainer):
        return
    data = state.trainer_data
    if data is not None:
        publish(state, data, load_choice(data), finished=trainer.done)


def _current_matches(state: AppState, request: TrainRequest) -> bool:
    """The shown model is finished and is what the controls describe.

    Training options no control holds (a scenario's dead_window, say) are not compared: opening
    the Train page after a scenario must not retrain it under "train as I move".
    """
    shown = state.current
    return (
        shown is not None
        and shown.finished
        and shown.data == request.data
        and shown.sae_config == request.sae_config
        and _controlled(shown.train_config) == _controlled(request.train_config)
    )


def _controlled(train: TrainConfig) -> tuple[Any, ...]:
    return tuple(getattr(train, name) for name in TRAIN_CONTROLS)


def trainer_status(state: AppState, request: TrainRequest | None) -> str | None:
    """One line on the live trainer: paused, finished, or built for other settings."""
    trainer = state.trainer
    if trainer is None:
        return None
    where = f"step {trainer.step_count} of {trainer.total_steps} (epoch {trainer.epoch:.1f})"
    if request is not None and state.trainer_key != request.key:
        return f"Live trainer at {where}, built for other settings: Play or Step starts anew."
    if state.playing:
        return f"Playing: {where}."
    if trainer.done:
        return f"Finished: {where}. Step or Play start again from step 0."
    if trainer.step_count == 0:
        return f"Live trainer reset: {where}. Play or Step to train."
    return f"Paused at step {trainer.step_count} of {trainer.total_steps}: Play to continue."
