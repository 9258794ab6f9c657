"""What the Train page shows of training: the controls, and live progress and curves.

:mod:`sae_core.ui.training_loop` does the training; this module draws it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from sae_core import figures  # its curves (and pandas) load with the first chart, not page
from sae_core.data.dataset import Dataset
from sae_core.ui.charts import chart
from sae_core.ui.config_form import FormValues, estimate_train_seconds
from sae_core.ui.keep import kept, seed
from sae_core.ui.state import AppState, Current, DataChoice

if TYPE_CHECKING:  # torch: the first page (which imports this through app.py) does without it
    from sae_core.training.trainer import Trainer

REDRAW_SECONDS = 0.25  # live curves and progress redraw at most this often (not every step)
STEP_SIZES = (1, 10, 100, 1000)
LIVE_MAX_SECONDS = 1.0  # train-as-I-move only when a whole run is about this fast


@dataclass(frozen=True, kw_only=True)
class Actions:
    """What the user asked for in this run."""

    train: bool = False
    play: bool = False
    pause: bool = False
    step: bool = False
    reset: bool = False
    step_size: int = 10
    live: bool = False


class LiveView:
    """A progress bar and a history chart that redraw during training, throttled."""

    def __init__(self) -> None:
        self._progress = st.empty()
        self._chart = st.empty()
        self._last = 0.0
        self._draws = 0

    def update(self, trainer: Trainer, *, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._last < REDRAW_SECONDS:
            return
        self._last = now
        self._progress.progress(trainer.progress, text=progress_text(trainer))
        if len(trainer.history):
            self._draws += 1  # a fresh key per redraw: one key may appear once per run
            fig = figures.make_history_figure(
                trainer.history.drop(columns="model"),
                dead_window=trainer.train_config.dead_window,
            )
            self._chart.plotly_chart(fig, key=f"train_live_chart_{self._draws}")

    def show(self, state: AppState, current: Current | None) -> None:
        """After the actions: the live trainer's progress and the shown model's curves."""
        if state.trainer is not None:
            self._progress.progress(state.trainer.progress, text=progress_text(state.trainer))
        else:
            self._progress.empty()
        if current is not None and len(current.history):
            fig = figures.make_history_figure(
                current.history, dead_window=current.train_config.dead_window
            )
            chart(fig, "train_history", self._chart)
        else:
            self._chart.empty()


def progress_text(trainer: Trainer) -> str:
    """``step 120 / 240 · epoch 10.0 · loss 1.23 · L0 40.1``."""
    text = f"step {trainer.step_count} / {trainer.total_steps} · epoch {trainer.epoch:.1f}"
    history = trainer.history
    if len(history):
        last = history.iloc[-1]
        text += f" · loss {last['loss']:.4g} · MSE {last['mse']:.3g} · L0 {last['l0']:.1f}"
    return text


def render_controls(*, live_allowed: bool, live_reason: str) -> Actions:
    """Train, Play, Pause, Step (with its size), Reset and the train-as-I-move toggle."""
    top = st.columns([1, 2], vertical_alignment="center")
    train = top[0].button(
        "Train", key="train_go", type="primary", icon=":material/model_training:", width="stretch"
    )
    with top[1]:
        live = kept(
            st.toggle,
            "Train as I move",
            key="train_live",
            default=False,
            disabled=not live_allowed,
            help=live_reason,
        )
    seed("train_step_size", 10)
    step_size = int(st.session_state["train_step_size"])
    row = st.columns(4)
    play = row[0].button("Play", key="train_play", icon=":material/play_arrow:", width="stretch")
    pause = row[1].button("Pause", key="train_pause", icon=":material/pause:", width="stretch")
    step = row[2].button(
        f"Step +{step_size}", key="train_step", icon=":material/skip_next:", width="stretch"
    )
    reset = row[3].button(
        "Reset", key="train_reset", icon=":material/restart_alt:", width="stretch"
    )
    with st.expander(f"Step size: {step_size} step{'s' if step_size > 1 else ''} per click"):
        kept(
            st.radio,
            "Steps per Step click",
            key="train_step_size",
            default=10,
            options=STEP_SIZES,
            horizontal=True,
        )
    return Actions(
        train=train,
        play=play,
        pause=pause,
        step=step,
        reset=reset,
        step_size=step_size,
        live=bool(live) and live_allowed,
    )


def live_allowance(dataset: Dataset, values: FormValues) -> tuple[bool, str]:
    """Whether train-as-I-move is offered for this data and size, and why (the toggle's help)."""
    seconds = estimate_train_seconds(
        n_train=dataset.n_train,
        d_in=dataset.d_in,
        d_sae=values.d_sae,
        epochs=values.epochs,
        batch_size=values.batch_size,
    )
    if seconds <= LIVE_MAX_SECONDS:
        return True, f"Retrains on every change (about {seconds:.1f} s per run)."
    return False, (
        f"Off for this size: a run takes about {seconds:.0f} s. Use fewer epochs, "
        "samples or latents (under ~1 s) to train as you move."
    )


def no_model_hint(picked: tuple[DataChoice, Dataset] | None, values: FormValues) -> str:
    """What the Results area says before the first model: press Train, and about how long it
    takes for this data and size (not "digits" when the data is an uploaded file)."""
    if picked is None:
        return "No model yet: choose the data above, then press **Train**."
    data, dataset = picked
    seconds = estimate_train_seconds(
        n_train=dataset.n_train,
        d_in=dataset.d_in,
        d_sae=values.d_sae,
        epochs=values.epochs,
        batch_size=values.batch_size,
    )
    takes = "about a second" if seconds < 1.5 else f"roughly {seconds:.0f} s"
    return f"No model yet: press **Train** ({data.label} at these settings: {takes})."
