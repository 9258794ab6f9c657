"""Classroom: links that carry a set-up, teacher mode, guided scenarios, explanations, snippets."""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from sae_core import methods
from sae_core.analysis.metrics import METRIC_LATEX
from sae_core.app.scenarios import SCENARIOS
from sae_core.config import METHODS, SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.training.fit import train
from tests.helpers.app import APP, TIMEOUT, TRAIN_PAGE, app_state, click, open_app, set_widgets

LINK = {"page": "train", "method": "topk", "k": "6", "h": "32", "ep": "2", "seed": "3"}
LINK_SAE = SAEConfig(d_in=64, d_sae=32, method="topk", k=6)
LINK_TRAIN = TrainConfig(epochs=2, seed=3)
TEACHER_HIDES = ["data", "advanced", "method", "hidden", "epochs", "lr", "batch", "seed", "explain"]
HIDDEN_KEYS = [
    "train_source",
    "train_method",
    "train_d_sae",
    "train_epochs",
    "train_seed",
    "train_lr",
    "train_batch",
    "train_tied",
    "train_dead",
]


def open_link(**query: str) -> AppTest:
    """A fresh session opened with ``query`` in its URL."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def widget_keys(at: AppTest) -> set[str]:
    kinds = ("selectbox", "select_slider", "slider", "number_input", "checkbox", "text_input")
    return {w.key for kind in kinds for w in at.get(kind)}


def sidebar_codes(at: AppTest) -> list[str]:
    return [str(c.value) for c in at.sidebar.get("code")]


@pytest.fixture(scope="module")
def linked() -> AppTest:
    """The app opened from ``LINK`` and trained with the Train button."""
    at = open_link(**LINK)
    click(at, "train_go")
    return at


def test_a_link_sets_the_controls_and_names_itself_in_the_address(linked: AppTest) -> None:
    values = {k: linked.get_by_key(k).value for k in ("train_method", "train_k", "train_d_sae")}
    assert values == {"train_method": "topk", "train_k": 6, "train_d_sae": 32}
    assert (
        linked.get_by_key("train_epochs").value == 2 and linked.get_by_key("train_seed").value == 3
    )
    assert linked.query_params == LINK


def test_a_link_trains_the_same_model_as_fit_train_with_the_same_configs(linked: AppTest) -> None:
    current = app_state(linked).current
    assert current.sae_config == LINK_SAE and current.train_config == LINK_TRAIN
    expected = train(LINK_SAE, load_dataset("digits"), LINK_TRAIN).metrics
    assert current.metrics.l0 == pytest.approx(expected.l0, rel=1e-6)
    assert current.metrics.mse == pytest.approx(expected.mse, rel=1e-5)
    assert current.metrics.fve == pytest.approx(expected.fve, rel=1e-5)


def test_the_reproduce_snippet_shows_the_current_method(linked: AppTest) -> None:
    expander = next(e for e in linked.expander if e.label == "Reproduce in Python")
    code = "\n".join(str(c.value) for c in expander.get("code"))
    assert "method='topk'" in code and "k=6" in code and "d_sae=32" in code


def test_changing_a_control_writes_it_into_the_url_and_defaults_stay_out() -> None:
    at = open_app(TRAIN_PAGE)
    assert at.query_params == {"page": "train"}
    set_widgets(at, train_method="kl", train_lam=0.5).run()
    assert at.query_params == {"page": "train", "method": "kl", "lam": "0.5"}
    set_widgets(at, train_method="l1", train_lam=0.1).run()
    assert at.query_params == {"page": "train"}
    for source in ("patches", "synthetic"):  # their option widgets start at the URL defaults
        set_widgets(at, train_source=source).run()
        assert at.query_params == {"page": "train", "src": source}, source


def test_bad_link_values_give_a_notice_and_fall_back_to_valid_ones() -> None:
    at = open_link(page="train", lam="abc", h="-5", method="magic", unknownkey="1")
    notice = " ".join(str(w.value) for w in at.warning)
    for name in ("lam", "h=-5", "method", "unknownkey"):
        assert name in notice, name
    assert at.get_by_key("train_lam").value == 0.1  # the default
    assert at.get_by_key("train_method").value == "l1"
    assert at.get_by_key("train_d_sae").value == 1  # clamped to the smallest hidden size
    assert at.query_params == {"page": "train", "h": "1"}


@pytest.mark.parametrize("style", ["hide", "only"])
def test_teacher_mode_hides_the_controls_it_names_and_keeps_lambda(style: str) -> None:
    groups = {"hide": ",".join(TEACHER_HIDES), "only": "lam,k,rho"}[style]
    at = open_link(page="train", teacher="1", h="32", lam="0.5", **{style: groups})
    shown = widget_keys(at)
    assert "train_lam" in shown and at.get_by_key("train_lam").value == 0.5
    assert not shown & set(HIDDEN_KEYS), shown & set(HIDDEN_KEYS)
    assert any("Teacher mode" in str(c.value) for c in at.caption)
    click(at, "train_go")  # hidden controls keep the link's values
    assert app_state(at).current.sae_config.d_sae == 32
    assert at.query_params["teacher"] == "1"


def test_the_share_panel_shows_the_link_and_a_teacher_link() -> None:
    at = open_link(method="topk", k="5")
    link, teacher_link = sidebar_codes(at)
    assert link == "?method=topk&k=5"
    assert "teacher=1" in teacher_link and "only=lam,explain" in teacher_link


def test_a_link_naming_a_page_opens_that_page() -> None:
    at = open_link(page="learn")
    assert at.title[0].value.startswith("Learn")


def test_the_learn_page_shows_every_method_and_metric_formula() -> None:
    at = open_link(page="learn")
    latex = [str(e.value).strip("$\n") for e in at.latex]
    for method in methods.all_methods():
        assert method.penalty_latex in latex, method.name
    for formula in METRIC_LATEX.values():
        assert formula in latex
    assert len(latex) >= 2 * len(METHODS) + len(METRIC_LATEX)
    assert any("d_in · λ_Keras" in str(m.value) for m in at.markdown)


def test_quick_start_trains_the_default_model_in_one_click() -> None:
    at = open_app()
    click(at, "home_quick")
    current = app_state(at).current
    assert current.sae_config == SAEConfig(d_in=64) and current.train_config == TrainConfig()
    assert current.metrics.fve >= 0.9


def test_every_scenario_button_shows_live_numbers_and_sets_the_shown_model() -> None:
    at = open_app()
    for key in SCENARIOS:
        click(at, f"home_run_{key}")
        result = at.session_state["home_results"][key]
        current = app_state(at).current
        assert current.model is result.show.model
        assert current.dataset is result.dataset
        labels = [m.label for m in at.metric]
        assert all(label in labels for label in result.headline), key
        shown = " ".join(str(m.value) for m in at.markdown)
        assert result.conclusion in shown and SCENARIOS[key].look_at in shown
        targets = [f"app_pages/{link.proto.page}.py" for link in at.main.get("page_link")]
        assert SCENARIOS[key].page in targets, key
        # the Train controls (and so the link) now hold the shown model's set-up
        kept = {k: at.session_state[f"_keep_train_{k}"] for k in ("method", "d_sae", "epochs")}
        cfg, tc = current.sae_config, current.train_config
        assert kept == {"method": cfg.method, "d_sae": cfg.d_sae, "epochs": tc.epochs}, key
        assert at.session_state["_keep_train_source"] == current.data.spec.partition(":")[0]


def test_a_scenario_becomes_the_link_and_the_train_page_retrains_the_same_model() -> None:
    at = open_app()
    click(at, "home_run_gabor")
    shown = app_state(at).current
    at.switch_page(TRAIN_PAGE).run()
    assert at.query_params["src"] == "patches" and at.query_params["wh"] == "zca"
    assert at.query_params["eps"] == "3" and at.query_params["method"] == "topk"
    assert at.query_params["unit"] == "1"  # (k 8 is the default: not in the link)
    assert at.selectbox(key="train_source").value == "patches"
    assert at.select_slider(key="train_whiten_eps").value == 3.0
    click(at, "train_go")
    again = app_state(at).current
    assert again is not shown and again.sae_config == shown.sae_config
    assert again.train_config == shown.train_config
    assert again.data.spec == shown.data.spec  # same data (options may spell defaults out)
    np.testing.assert_array_equal(again.dataset.x_train, shown.dataset.x_train)
    assert again.metrics.fve == pytest.approx(shown.metrics.fve, abs=1e-6)


def test_a_link_opens_an_analysis_page_with_its_own_controls_set() -> None:
    from sae_core.ui.state import STATE_KEY, AppState, set_current
    from tests.helpers.app import make_current

    state = AppState()
    set_current(state, make_current("digits", d_sae=32, epochs=1))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.session_state[STATE_KEY] = state
    at.query_params.update({"page": "filters", "lat": "5", "fo": "index", "fw": "encoder"})
    at.run()
    assert not at.exception
    assert at.number_input(key="filt_latent").value == 5
    assert at.selectbox(key="filt_order").value == "index"
    assert at.radio(key="filt_weights").value == "encoder"
    assert (
        "#5" in json.loads(at.get_by_key("filt_latent_hist").proto.spec)["layout"]["title"]["text"]
    )


def test_page_controls_are_in_the_link_only_on_their_page() -> None:
    from sae_core.app.controls import link_fields
    from sae_core.app.link import encode_setup

    fields = link_fields()
    values = {"page": "filters", "filt_latent": 7, "lat": 7, "rm": "worst"}
    params = encode_setup({"page": "filters", "lat": 7, "rm": "worst"}, fields)
    assert params.get("lat") == "7" and "rm" not in params  # recon's mode waits for its page
    params = encode_setup({**values, "page": "reconstructions"}, fields)
    assert params.get("rm") == "worst" and "lat" not in params


@pytest.mark.parametrize("key", ["superposition", "dead"])
def test_train_as_i_move_does_not_retrain_a_scenario_when_train_opens(key: str) -> None:
    at = open_app(TRAIN_PAGE)
    at.toggle(key="train_live").set_value(True).run()
    at.switch_page("app_pages/home.py").run()
    click(at, f"home_run_{key}")
    shown = app_state(at).current
    rows = len(app_state(at).session_runs)
    at.switch_page(TRAIN_PAGE).run()
    assert app_state(at).current is shown and len(app_state(at).session_runs) == rows


def test_a_scenario_names_the_training_options_no_control_holds() -> None:
    at = open_app()
    click(at, "home_run_dead")
    notes = at.session_state["home_setup_notes"]["dead"]
    assert any(n.startswith("dead_window=") for n in notes)
    assert any(
        "Not in the link: " in str(c.value) and "dead_window" in str(c.value) for c in at.caption
    )


def test_whitening_eps_leaves_the_link_when_whitening_is_off() -> None:
    at = open_link(page="train", src="patches", wh="zca", eps="3")
    assert at.query_params.get("eps") == "3"
    set_widgets(at, train_whitening="none").run()
    assert "eps" not in at.query_params


def test_a_link_with_k_above_d_sae_says_k_was_lowered() -> None:
    at = open_link(page="train", method="topk", k="50", h="16")
    assert at.slider(key="train_k").value == 16
    assert any("k lowered from 50 to d_sae = 16" in str(c.value) for c in at.caption)


def test_an_earlier_scenario_card_says_its_model_was_replaced_and_can_show_it_again() -> None:
    at = open_app()
    click(at, "home_run_superposition")
    first = at.session_state["home_results"]["superposition"]
    click(at, "home_run_gabor")
    assert any("Another model is shown now" in str(c.value) for c in at.caption)
    links = [link.proto.page for link in at.main.get("page_link")]
    assert "ground_truth" not in " ".join(links)  # no "See it on Ground truth" for a patches model
    click(at, "home_show_superposition")
    current = app_state(at).current
    assert current.model is first.show.model
    assert at.session_state["_keep_train_source"] == "synthetic"
