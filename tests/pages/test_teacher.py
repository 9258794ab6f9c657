"""Teacher links: the fixed set-up stays fixed, is shown read-only, and limits the pages."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from sae_core.ui.state import STATE_KEY, AppState, set_current
from tests.helpers.app import APP, TIMEOUT, app_state, click, make_current, select_rows

TEACHER = {"teacher": "1", "only": "lam"}


def open_link(state: AppState | None = None, **query: str) -> AppTest:
    """A fresh session opened with ``query`` in its URL (``state`` as its AppState if given)."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if state is not None:
        at.session_state[STATE_KEY] = state
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def markdown_text(at: AppTest) -> str:
    return " ".join(str(m.value) for m in at.markdown)


def test_a_teacher_link_turns_off_the_quick_start_and_the_scenarios() -> None:
    at = open_link(method="l1", h="32", **TEACHER)  # opens Start
    keys = {b.key for b in at.button}
    assert "home_quick" not in keys and not any(k.startswith("home_run_") for k in keys), keys
    assert any("fixes the set-up" in str(i.value) for i in at.info)
    assert "Set by your teacher" in markdown_text(at) and "**32**" in markdown_text(at)
    assert at.query_params["h"] == "32" and at.query_params["only"] == "lam"


def test_the_train_page_shows_the_fixed_set_up_and_no_empty_data_section() -> None:
    at = open_link(page="train", method="topk", k="6", h="32", teacher="1", only="k")
    subheaders = [str(s.value) for s in at.subheader]
    assert "Data" not in subheaders, subheaders
    summary = markdown_text(at)
    assert "Set by your teacher" in summary
    for shown in ("Digits", "TopK", "Hidden size d_sae **32**", "Epochs **20**"):
        assert shown in summary, shown
    assert at.slider(key="train_k").value == 6  # the one control left to students


def test_loading_a_run_under_a_teacher_link_keeps_the_fixed_settings() -> None:
    state = AppState()
    set_current(state, make_current("digits", method="topk", d_sae=16, epochs=1))
    at = open_link(state, page="compare", method="kl", h="32", **TEACHER)
    at = select_rows(at, 0)
    at.button(key="cmp_load").click().run()
    assert not at.exception
    assert at.session_state["_keep_train_method"] == "kl"  # not the run's topk
    assert at.session_state["_keep_train_d_sae"] == 32
    assert any("teacher's link fixed" in str(s.value) for s in at.success)
    assert at.query_params["method"] == "kl" and at.query_params["h"] == "32"


def test_a_pages_link_shows_only_the_pages_it_names() -> None:
    at = open_link(page="train", pages="train,filters", **TEACHER)
    assert at.title[0].value.startswith("Train")
    with pytest.raises(ValueError, match="Known pages") as refused:  # not in the navigation
        at.switch_page("app_pages/learn.py")
    known = str(refused.value).partition("Known pages")[2]
    assert re.findall(r"app_pages/(\w+)\.py", known) == ["train", "filters"]
    at.switch_page("app_pages/filters.py").run()
    assert not at.exception and at.title[0].value.startswith("Filters")
    assert at.query_params["pages"] == "train,filters"


def test_the_teacher_link_builder_can_limit_the_pages() -> None:
    at = open_link()
    at.multiselect(key="share_pages").set_value(["filters", "train"]).run()
    teacher_link = [str(c.value) for c in at.sidebar.get("code")][1]
    assert "pages=train,filters" in teacher_link and "page=train" in teacher_link


def test_a_trained_model_keeps_the_teacher_link() -> None:
    at = open_link(page="train", method="l1", h="16", ep="1", **TEACHER)
    click(at, "train_go")
    assert app_state(at).current.sae_config.d_sae == 16
    assert at.query_params["only"] == "lam" and at.query_params["h"] == "16"


def sidebar_captions(at: AppTest) -> str:
    """The sidebar's model summary caption (the first: the share expander's come after)."""
    return str(at.sidebar.caption[0].value)


def test_the_sidebar_does_not_send_students_to_a_train_page_they_cannot_open() -> None:
    at = open_link(page="filters", pages="filters,learn", **TEACHER)
    text = sidebar_captions(at)
    assert "No model yet" in text and "Train" not in text, text
    own = open_link(page="filters")  # a plain link: Train is there, no time is promised
    text = sidebar_captions(own)
    assert "Open **Train** and press Train." in text and "digits" not in text, text
