"""The Superposition page's live toy model: widgets, Play / Pause / Step / Reset, hand-off to Train.

The per-user :class:`ToyTrainer` lives in ``st.session_state[TRAINER_KEY]`` with the config it
was built for; changing a slider builds a fresh one (Reset does too).
"""

from __future__ import annotations

import streamlit as st

from sae_core.app.controls import by_name, train_controls
from sae_core.app.pages import page_path
from sae_core.data.toy.config import ToyConfig
from sae_core.data.toy.model import ToyTrainer
from sae_core.ui.keep import SHADOW_PREFIX, kept

TRAINER_KEY = "sup_trainer"
PLAYING_KEY = "sup_playing"
STEP_CHUNK = 100  # steps per Step click and per Play redraw
MAX_STEPS = 5000  # Play stops here: the geometry has long settled
SPARSITIES = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99, 0.995, 0.999)  # log-spaced in 1 − S
DECAYS = (0.5, 0.7, 0.8, 0.9, 0.95, 1.0)


def choose_toy_config() -> ToyConfig:
    """The sliders: n, m, S (log-spaced grid), r and seed -> a validated :class:`ToyConfig`."""
    c1, c2, c3, c4, c5 = st.columns(5)
    n = kept(c1.slider, "Features n", key="sup_n", default=5, min_value=4, max_value=20)
    m = kept(
        c2.radio, "Hidden dimensions m", key="sup_m", default=2, options=[2, 3], horizontal=True
    )
    sparsity = kept(
        c3.select_slider,
        "Sparsity S",
        key="sup_s",
        default=0.0,
        options=SPARSITIES,
        help="Probability that a feature is zero; the grid is log-spaced in 1 − S.",
    )
    decay = kept(
        c4.select_slider,
        "Importance decay r",
        key="sup_r",
        default=0.9,
        options=DECAYS,
        help="Feature i's importance is r^i.",
    )
    seed = kept(c5.number_input, "Seed", key="sup_seed", default=0, min_value=0, step=1)
    return ToyConfig(
        n_features=int(n),
        d_hidden=int(m),
        sparsity=float(sparsity),
        importance_decay=float(decay),
        seed=int(seed),
    )


def live_trainer(config: ToyConfig) -> ToyTrainer:
    """This session's trainer for ``config`` (a fresh one when the config changed)."""
    trainer = st.session_state.get(TRAINER_KEY)
    if not isinstance(trainer, ToyTrainer) or trainer.config != config:
        trainer = ToyTrainer(config)
        st.session_state[TRAINER_KEY] = trainer
        st.session_state[PLAYING_KEY] = False
    return trainer


def play_controls(config: ToyConfig) -> ToyTrainer:
    """Play / Pause / Step / Reset; returns the trainer after this run's steps."""
    trainer = live_trainer(config)
    c1, c2, c3, c4 = st.columns(4)
    playing = bool(st.session_state.get(PLAYING_KEY, False))
    if c1.button("Pause" if playing else "Play", key="sup_play", type="primary"):
        playing = not playing
    if c2.button(f"Step (+{STEP_CHUNK})", key="sup_step"):
        trainer.run(STEP_CHUNK)
    if c3.button("Reset", key="sup_reset"):
        trainer = ToyTrainer(config)
        st.session_state[TRAINER_KEY] = trainer
        playing = False
    if playing:
        trainer.run(STEP_CHUNK)
        playing = trainer.steps < MAX_STEPS
    st.session_state[PLAYING_KEY] = playing
    c4.caption(f"step {trainer.steps}" + (" (playing)" if playing else ""))
    return trainer


def continue_playing() -> None:
    """Rerun for the next Play chunk; call last, after the charts are drawn."""
    if st.session_state.get(PLAYING_KEY):
        st.rerun()


def send_to_train(config: ToyConfig) -> None:
    """Set the Train page's data to ``toy`` with these options and open Train."""
    controls = by_name(train_controls())
    values = {
        "src": "toy",
        "tnf": config.n_features,
        "tdh": config.d_hidden,
        "tS": config.sparsity,
        "tr": config.importance_decay,
        "tseed": config.seed,
    }
    for name, value in values.items():
        key = controls[name].key
        st.session_state[SHADOW_PREFIX + key] = value
        st.session_state.pop(key, None)  # the widget takes the value above when drawn
    st.switch_page(page_path("train"))
