"""The Superposition page: the toy model trains live and hands its set-up to Train."""

from __future__ import annotations

from sae_core.ui.keep import SHADOW_PREFIX
from sae_core.ui.superposition import STEP_CHUNK, TRAINER_KEY
from tests.helpers.app import TRAIN_PAGE, click, errors, open_app, trained_app

PAGE = "app_pages/superposition.py"


def test_step_trains_the_toy_model_and_draws_its_three_charts() -> None:
    at = open_app(PAGE)
    assert not at.exception and at.title[0].value == "Superposition"
    click(at, "sup_step")
    assert at.session_state[TRAINER_KEY].steps == STEP_CHUNK
    assert len(at.get("plotly_chart")) == 3
    click(at, "sup_reset")
    assert at.session_state[TRAINER_KEY].steps == 0


def test_play_runs_until_paused_or_done_without_errors() -> None:
    at = open_app(PAGE)
    at.select_slider(key="sup_s").set_value(0.9).run()
    click(at, "sup_play")
    assert not at.exception and at.session_state[TRAINER_KEY].steps > 0


def test_find_the_features_sets_the_train_pages_data_to_toy() -> None:
    at = open_app(PAGE)
    at.slider(key="sup_n").set_value(6).run()
    click(at, "sup_find_sae")
    assert at.session_state[SHADOW_PREFIX + "train_source"] == "toy"
    assert at.session_state[SHADOW_PREFIX + "train_toy_n_features"] == 6
    at.switch_page(TRAIN_PAGE).run()
    assert not at.exception
    assert at.selectbox(key="train_source").value == "toy"
    assert at.number_input(key="train_toy_n_features").value == 6


def test_an_sae_trained_on_toy_data_is_scored_on_ground_truth() -> None:
    at = trained_app(
        train_source="toy", train_method="topk", train_k=3, train_d_sae=40, train_epochs=5
    )
    at.switch_page("app_pages/ground_truth.py").run()
    assert not at.exception and not errors(at)
    assert any(m.label == "MCC" for m in at.metric)
