"""The Train page's ``net`` controls: width, hidden layers and layer reach the data source."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers.app import TRAIN_PAGE, app_state, click, errors, open_app, set_widgets


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAE_EXPLORER_CACHE", str(tmp_path))


def _net_page(**values: object) -> AppTest:
    at = open_app(TRAIN_PAGE)
    set_widgets(at, train_source="net", train_epochs=1).run()
    set_widgets(at, **values).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_width_32_at_layer_2_of_2_trains_on_32_dimensions() -> None:
    at = _net_page(train_net_width=32, train_net_hidden_layers=2, train_net_layer=2)
    click(at, "train_go")
    current = app_state(at).current
    assert current is not None and current.finished, errors(at)
    assert current.dataset.d_in == 32
    assert "hidden layer 2" in current.dataset.description


def test_a_layer_beyond_the_hidden_layers_is_the_sources_error() -> None:
    at = _net_page(train_net_hidden_layers=1, train_net_layer=3)
    assert any("does not exist" in e for e in errors(at)), errors(at)
