"""The app's process-wide server settings (sae_core/ui/server.py) are applied by its first run."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from sae_core.ui import server
from tests.helpers.app import APP


@pytest.fixture
def switch_interval() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)  # CPython's default
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("switch_interval")
def test_the_app_shortens_the_gil_switch_interval() -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert sys.getswitchinterval() == pytest.approx(server.SWITCH_INTERVAL_S)
    assert server.SWITCH_INTERVAL_S < 0.005  # CPython's default


def test_the_app_freezes_its_startup_objects_out_of_the_collectors_reach() -> None:
    import gc

    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert gc.get_freeze_count() > 10_000  # torch, plotly and streamlit's module objects
