"""Kept widgets: their value survives page switches, and is also their default in the browser.

A browser that holds no value of its own for a widget shows (and sends back) the widget's
default. Under load that happened after runs cut short by clicks and reset Epochs to 1 and the
sliders to their first option (the 10-session load test); with the current value as the default
such a fallback changes nothing. These tests check the default the browser receives.
"""

from __future__ import annotations

import streamlit as st

from sae_core.config import METHODS
from sae_core.ui.keep import kept, start
from tests.helpers.app import open_app, set_widgets

TRAIN_SETTINGS = {
    "train_method": "topk",
    "train_k": 12,
    "train_d_sae": 64,
    "train_epochs": 7,
    "train_seed": 3,
    "train_lr": 0.01,
    "train_batch": 64,
}


def test_start_names_the_default_keyword_of_each_kind_of_widget() -> None:
    st.session_state["probe"] = "l1"
    try:
        assert start(st.selectbox, "probe", METHODS) == {"index": METHODS.index("l1")}
        assert start(st.selectbox, "probe", ["a", "b"]) == {}  # not an option: Streamlit decides
        assert start(st.select_slider, "probe") == {"value": "l1"}
        st.session_state["probe"] = [1, 2]
        assert start(st.multiselect, "probe") == {"default": [1, 2]}
    finally:
        del st.session_state["probe"]


def test_train_page_widgets_default_to_their_current_values() -> None:
    at = set_widgets(open_app("app_pages/train.py"), **TRAIN_SETTINGS)
    at.run()  # a later run, in which no value is set through Session State
    assert at.selectbox(key="train_method").proto.default == METHODS.index("topk")
    assert at.number_input(key="train_epochs").proto.default == 7
    assert at.number_input(key="train_seed").proto.default == 3
    assert at.slider(key="train_k").proto.default[0] == 12
    for key in ("train_d_sae", "train_lr", "train_batch"):
        slider = at.select_slider(key=key)
        options = list(slider.options)
        assert options[int(slider.proto.default[0])] == slider.format_func(TRAIN_SETTINGS[key])


def test_a_kept_widget_on_another_page_defaults_to_its_value() -> None:
    def script() -> None:
        import streamlit as st

        from sae_core.ui.keep import kept

        kept(st.number_input, "Samples", key="n", default=8, min_value=1, max_value=50)

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(script).run()
    assert at.number_input[0].proto.default == 8
    at.number_input[0].set_value(21).run()
    at.run()
    assert at.number_input[0].value == 21 and at.number_input[0].proto.default == 21
    assert kept is not None
