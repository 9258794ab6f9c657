"""The server-wide model cache in the app: one training per set-up, reloads, ``go=1``, saved runs.

Every AppTest session runs in this process, so they share the cache as a server's sessions do
(``tests/conftest.py`` empties it before each test). ``trainers`` counts the Trainers built.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest
import torch
from streamlit.testing.v1 import AppTest

import sae_core.training.trainer as trainer_module
from benchmarks import load_test
from sae_core.config import SAEConfig, TrainConfig
from sae_core.runs.shared_cache import TrainedModel
from sae_core.ui import open_link, shared_models
from sae_core.ui.state import Current
from tests.helpers.app import (
    APP,
    TIMEOUT,
    TRAIN_PAGE,
    app_state,
    click,
    open_app,
    set_widgets,
)

LINK = {"page": "train", "method": "topk", "k": "6", "h": "32", "ep": "2", "seed": "3"}
LINK_SAE = SAEConfig(d_in=64, d_sae=32, method="topk", k=6)
LINK_TRAIN = TrainConfig(epochs=2, seed=3)
SAME_WIDGETS = {
    "train_method": "topk",
    "train_k": 6,
    "train_d_sae": 32,
    "train_epochs": 2,
    "train_seed": 3,
}


@pytest.fixture
def trainers(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Any]]:
    """The (SAE config, train config) of every Trainer the app builds from now on."""
    built: list[tuple[Any, Any]] = []
    original = trainer_module.Trainer

    class CountingTrainer(original):  # type: ignore[misc, valid-type]
        def __init__(self, cfg: Any, train_config: Any, *args: Any, **kwargs: Any) -> None:
            built.append((cfg, train_config))
            super().__init__(cfg, train_config, *args, **kwargs)

    monkeypatch.setattr(trainer_module, "Trainer", CountingTrainer)
    import sae_core.ui.state as state_module

    if hasattr(state_module, "Trainer"):  # imported at module level in an older layout
        monkeypatch.setattr(state_module, "Trainer", CountingTrainer)
    return built


def open_link_app(**query: str) -> AppTest:
    """A fresh session (a new browser tab, or a reload) opened with ``query`` in its URL."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(at: AppTest) -> Current:
    current = app_state(at).current
    assert current is not None, "no model shown"
    return current


def texts(elements: Any) -> str:
    return " ".join(str(e.value) for e in elements)


def trained_link() -> AppTest:
    at = open_link_app(**LINK)
    click(at, "train_go")
    assert shown(at).finished
    return at


def test_two_sessions_with_one_set_up_train_once_and_show_identical_metrics(
    trainers: list[tuple[Any, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sae_explorer.shared_models")
    first = trained_link()
    second = open_app(TRAIN_PAGE)  # the default set-up: nothing cached for it
    assert app_state(second).current is None
    set_widgets(second, **SAME_WIDGETS).run()
    click(second, "train_go")
    assert len(trainers) == 1 and trainers[0] == (LINK_SAE, LINK_TRAIN)
    a, b = shown(first), shown(second)
    assert b.metrics.to_dict() == a.metrics.to_dict()
    assert b.model is a.model and b.id != a.id  # one shared model, a session's own record
    assert b.setup_digest == a.setup_digest is not None
    assert "trained before on this server" in texts(second.info)
    assert shared_models.shared_cache().stats.trained == 1
    # one line in the server log per training: what `load_test --same-link` counts
    marks = [r for r in caplog.records if shared_models.TRAINED_MARK in r.getMessage()]
    assert len(marks) == 1 and load_test.TRAINED_MARK == shared_models.TRAINED_MARK


def test_a_reload_shows_the_model_on_every_page_without_training(
    trainers: list[tuple[Any, Any]],
) -> None:
    first = trained_link()
    reload = open_link_app(**LINK)  # a new session: what a browser reload starts
    assert len(trainers) == 1
    assert shown(reload).metrics.to_dict() == shown(first).metrics.to_dict()
    assert shown(reload).sae_config == LINK_SAE and shown(reload).train_config == LINK_TRAIN
    assert "No model yet" not in texts(reload.info) + texts(reload.sidebar.caption)
    for page in ("reconstructions", "filters", "activations"):
        other = open_link_app(**{**LINK, "page": page})
        assert shown(other).metrics.to_dict() == shown(first).metrics.to_dict()
        assert not any("No model yet" in str(e.value) for e in other.info)
        assert "FVE" in texts(other.sidebar.markdown)
    assert len(trainers) == 1


def test_different_set_ups_never_share_a_model(trainers: list[tuple[Any, Any]]) -> None:
    first = trained_link()
    other = open_link_app(**{**LINK, "seed": "4"})
    assert app_state(other).current is None  # not the seed-3 model
    click(other, "train_go")
    wider = open_link_app(**{**LINK, "h": "64"})
    assert app_state(wider).current is None
    click(wider, "train_go")
    assert [t[1].seed for t in trainers] == [3, 4, 3] and trainers[2][0].d_sae == 64
    digests = {shown(first).setup_digest, shown(other).setup_digest, shown(wider).setup_digest}
    assert len(digests) == 3
    assert shown(other).metrics.mse != shown(first).metrics.mse


def test_eviction_drops_only_the_cache_s_copy(trainers: list[tuple[Any, Any]]) -> None:
    first = trained_link()
    cache = shared_models.shared_cache()
    cache.budget_bytes = cache.nbytes + cache.nbytes // 2  # room for one such model
    kept = shown(first)
    set_widgets(first, train_seed=4).run()
    click(first, "train_go")  # a second set-up: the first is evicted from the cache
    assert cache.stats.evicted == 1 and len(cache) == 1
    assert kept.id in app_state(first).models  # the session keeps its earlier model
    assert torch.isfinite(kept.model.W_dec).all()
    again = open_link_app(**LINK)
    assert app_state(again).current is None  # evicted: the link has nothing cached
    click(again, "train_go")
    assert len(trainers) == 3
    assert shown(again).metrics.to_dict() == kept.metrics.to_dict()  # deterministic


def test_a_corrupted_cache_entry_is_dropped_with_a_warning_and_retrained(
    trainers: list[tuple[Any, Any]],
) -> None:
    first = trained_link()
    digest = shown(first).setup_digest
    assert digest is not None
    cache = shared_models.shared_cache()
    good = cache.get(digest)
    assert good is not None
    broken_model = copy.deepcopy(good.model)
    with torch.no_grad():
        broken_model.W_enc[0, 0] = float("nan")
    cache.put(digest, TrainedModel(**{**good.__dict__, "model": broken_model}))
    second = open_app(TRAIN_PAGE)
    set_widgets(second, **SAME_WIDGETS).run()
    click(second, "train_go")
    assert "W_enc holds NaN or infinite values" in texts(second.warning)
    assert "trained again" in texts(second.warning)
    assert len(trainers) == 2
    assert shown(second).metrics.to_dict() == shown(first).metrics.to_dict()
    assert torch.isfinite(shown(second).model.W_enc).all()
    assert torch.isfinite(shown(first).model.W_enc).all()  # the first session's model untouched


def test_a_go_link_trains_on_opening_and_a_second_one_does_not_train_again(
    trainers: list[tuple[Any, Any]],
) -> None:
    teacher = open_link_app(**LINK, go="1")
    assert len(trainers) == 1 and shown(teacher).finished
    assert shown(teacher).sae_config == LINK_SAE
    assert "go" not in teacher.query_params  # a reload of this address does not ask again
    student = open_link_app(**LINK, go="1")
    assert len(trainers) == 1
    assert shown(student).metrics.to_dict() == shown(teacher).metrics.to_dict()


def test_an_expensive_go_link_shows_the_estimate_and_asks_first(
    trainers: list[tuple[Any, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(open_link, "GO_MAX_SECONDS", 0.0)  # this small run counts as expensive
    at = open_link_app(**LINK, go="1")
    assert trainers == [] and app_state(at).current is None
    assert "A run takes about" in texts(at.info)
    click(at, open_link.GO_BUTTON_KEY)
    assert len(trainers) == 1 and shown(at).sae_config == LINK_SAE
    at.run()
    assert open_link.GO_BUTTON_KEY not in [b.key for b in at.button]  # answered: no prompt


def test_a_saved_run_is_found_after_a_restart(trainers: list[tuple[Any, Any]]) -> None:
    first = trained_link()
    click(first, "train_save")
    saved = shown(first).saved_as
    assert saved is not None
    shared_models.forget_shared_cache()  # a server restart: memory is empty, runs remain
    reload = open_link_app(**LINK)
    assert len(trainers) == 1
    model = shown(reload)
    assert model.setup_digest == shown(first).setup_digest
    assert torch.equal(model.model.W_dec, shown(first).model.W_dec)
    assert model.metrics.fve == pytest.approx(shown(first).metrics.fve, rel=1e-6)
    other = open_app(TRAIN_PAGE)  # the same set-up through the controls: found by its digest
    set_widgets(other, **SAME_WIDGETS).run()
    click(other, "train_go")
    assert len(trainers) == 1 and torch.equal(shown(other).model.W_dec, model.model.W_dec)


def test_the_saved_name_travels_with_the_shared_model(trainers: list[tuple[Any, Any]]) -> None:
    first = trained_link()
    click(first, "train_save")
    saved = shown(first).saved_as
    assert saved is not None
    second = open_link_app(**LINK)  # from the memory cache: it knows the run's name
    assert shown(second).saved_as == saved
    assert f"This model is saved as {saved}" in texts(second.caption)
    shared_models.forget_shared_cache()  # after a restart, found among the saved runs
    third = open_link_app(**LINK)
    assert shown(third).saved_as == saved and len(trainers) == 1


def test_an_unreadable_saved_run_is_skipped_with_a_warning_and_retrained(
    trainers: list[tuple[Any, Any]],
) -> None:
    from sae_core.runs import runs_root

    first = trained_link()
    click(first, "train_save")
    saved = shown(first).saved_as
    assert saved is not None
    (runs_root() / saved / "weights.safetensors").write_bytes(b"not a safetensors file")
    shared_models.forget_shared_cache()
    reload = open_link_app(**LINK)
    assert app_state(reload).current is None
    assert f"The saved run {saved} of this link's set-up was skipped" in texts(reload.warning)
    click(reload, "train_go")
    assert len(trainers) == 2
    assert "could not be read" in texts(reload.warning)
    assert shown(reload).metrics.to_dict() == shown(first).metrics.to_dict()


def test_a_session_waits_for_the_same_set_up_another_session_is_training(
    trainers: list[tuple[Any, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from sae_core.data import load_dataset
    from sae_core.training.fit import train
    from sae_core.ui.state import make_choice

    data, dataset = make_choice("digits"), load_dataset("digits")
    digest = shared_models.request_digest(data, dataset, LINK_SAE, LINK_TRAIN)
    result = train(LINK_SAE, dataset, LINK_TRAIN)  # "another session's" training
    other = TrainedModel(
        data=data,
        sae_config=result.sae_config,
        train_config=result.train_config,
        model=result.model,
        history=result.history,
        metrics=result.metrics,
        train_seconds=result.train_seconds,
        steps=result.steps,
    )
    training, waiting = threading.Event(), threading.Event()
    texts_seen: list[float] = []

    def slow(progress: Any) -> TrainedModel:
        progress.step, progress.total = 5, 10
        training.set()
        assert waiting.wait(60)
        return other

    def seen(bar: Any, progress: Any) -> None:
        texts_seen.append(progress.fraction)
        waiting.set()  # the session shows the other's progress: let that training finish

    monkeypatch.setattr(shared_models.WaitingBar, "update", seen)
    cache = shared_models.shared_cache()
    owner = threading.Thread(target=lambda: cache.get_or_train(digest, slow))
    owner.start()
    assert training.wait(60)
    at = open_link_app(**LINK)
    click(at, "train_go")
    owner.join(60)
    assert trainers == []  # the session trained nothing itself
    assert texts_seen and texts_seen[0] == 0.5
    assert shown(at).model is other.model and shown(at).metrics == other.metrics
    assert "Another session was training this set-up" in texts(at.info)


@pytest.mark.parametrize(
    "query",
    [{"page": "filters"}, {"page": "filters", "teacher": "1", "pages": "filters,activations"}],
    ids=["other-page", "teacher-link-without-train"],
)
def test_a_go_link_trains_on_a_page_other_than_train(
    trainers: list[tuple[Any, Any]], query: dict[str, str]
) -> None:
    at = open_link_app(**{**LINK, **query, "go": "1"})
    assert len(trainers) == 1 and trainers[0] == (LINK_SAE, LINK_TRAIN)
    assert shown(at).finished and shown(at).sae_config == LINK_SAE
    assert "FVE" in texts(at.sidebar.markdown)  # the sidebar already shows the new model
    assert not at.error, [e.value for e in at.error]
    at.run()  # the go was answered: no second training on the next run
    assert len(trainers) == 1


def test_an_expensive_go_link_on_another_page_asks_first(
    trainers: list[tuple[Any, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(open_link, "GO_MAX_SECONDS", 0.0)
    at = open_link_app(**{**LINK, "page": "filters", "go": "1"})
    assert trainers == [] and app_state(at).current is None
    assert "A run takes about" in texts(at.info)
    click(at, open_link.GO_BUTTON_KEY)
    assert len(trainers) == 1 and shown(at).sae_config == LINK_SAE
    at.run()
    assert open_link.GO_BUTTON_KEY not in [b.key for b in at.button]


def test_a_broken_cache_entry_replaced_by_a_saved_run_says_so(
    trainers: list[tuple[Any, Any]],
) -> None:
    first = trained_link()
    click(first, "train_save")
    digest = shown(first).setup_digest
    assert digest is not None and shown(first).saved_as is not None
    cache = shared_models.shared_cache()
    good = cache.get(digest)
    assert good is not None
    broken_model = copy.deepcopy(good.model)
    with torch.no_grad():
        broken_model.W_dec[0, 0] = float("inf")
    cache.put(digest, TrainedModel(**{**good.__dict__, "model": broken_model}))
    second = open_app(TRAIN_PAGE)
    set_widgets(second, **SAME_WIDGETS).run()
    click(second, "train_go")
    assert len(trainers) == 1  # the saved run, not a training
    warning = texts(second.warning)
    assert "W_dec holds NaN or infinite values" in warning
    assert "the saved run of this set-up is shown instead" in warning
    assert "trained again" not in warning
    assert torch.equal(shown(second).model.W_dec, shown(first).model.W_dec)


def test_a_bad_cache_budget_is_a_message_on_opening_a_link_not_a_traceback(
    trainers: list[tuple[Any, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = trained_link()
    click(first, "train_save")  # a saved run: opening the link looks it up in the cache
    shared_models.forget_shared_cache()
    monkeypatch.setenv(shared_models.BUDGET_ENV, "inf")
    at = open_link_app(**LINK)
    assert app_state(at).current is None
    errors = texts(at.error)
    assert "Opening the link failed" in errors and "SAE_EXPLORER_MODEL_CACHE_MB='inf'" in errors


def test_a_click_that_stops_the_training_session_releases_the_set_up_at_once(
    trainers: list[tuple[Any, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.runtime.scriptrunner_utils.exceptions import StopException

    from sae_core.ui import training_view

    original = training_view.LiveView.update
    stopped: list[int] = []

    def stop_once(view: Any, trainer: Any, *, force: bool = False) -> None:
        if not stopped and trainer.step_count >= 2:  # what a click does at the next st call
            stopped.append(trainer.step_count)
            raise StopException
        original(view, trainer, force=force)

    monkeypatch.setattr(training_view.LiveView, "update", stop_once)
    first = open_link_app(**LINK)
    click(first, "train_go")
    assert stopped == [2] and len(trainers) == 1
    cache = shared_models.shared_cache()
    assert cache.stats.trained == 0 and len(cache) == 0
    from sae_core.data import load_dataset
    from sae_core.ui.state import make_choice

    data, dataset = make_choice("digits"), load_dataset("digits")
    digest = shared_models.request_digest(data, dataset, LINK_SAE, LINK_TRAIN)
    assert cache.training(digest) is None  # the claim went with the stopped run
    second = open_link_app(**LINK)  # another session: trains at once, waits for nobody
    click(second, "train_go")
    assert len(trainers) == 2 and shown(second).finished
    assert cache.stats.trained == 1 and cache.stats.waited == 0
