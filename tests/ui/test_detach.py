"""DetachOnDisconnect: a stop with the browser gone detaches; with it there, the stop stands."""

from __future__ import annotations

import pytest
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

from sae_core.ui.detach import DetachOnDisconnect, browser_connected


def _stopped() -> None:
    raise StopException()


def test_a_stop_with_the_browser_gone_detaches_and_later_draws_are_skipped() -> None:
    guard = DetachOnDisconnect(lambda: False)
    drawn: list[int] = []
    guard.draw(lambda: drawn.append(1))
    guard.draw(_stopped)  # the websocket closed: no exception reaches the training loop
    guard.draw(lambda: drawn.append(2))
    assert guard.detached and drawn == [1]


def test_a_stop_with_the_browser_still_there_ends_the_run() -> None:
    guard = DetachOnDisconnect(lambda: True, wait_s=0.05)
    with pytest.raises(StopException):
        guard.draw(_stopped)
    assert not guard.detached


def test_the_session_marked_inactive_just_after_the_stop_still_counts_as_gone() -> None:
    answers = iter([True, True, False])  # Streamlit stops the script, then drops the session
    guard = DetachOnDisconnect(lambda: next(answers), wait_s=5.0)
    guard.draw(_stopped)
    assert guard.detached


def test_a_click_still_interrupts_even_without_a_browser() -> None:
    def rerun() -> None:
        raise RerunException(None)

    guard = DetachOnDisconnect(lambda: False)
    with pytest.raises(RerunException):
        guard.draw(rerun)
    assert not guard.detached


def test_outside_a_server_the_browser_counts_as_connected() -> None:
    assert browser_connected()  # no script run context here (as in AppTest): never detach
