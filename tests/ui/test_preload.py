"""The background preload (sae_core/ui/preload.py): one thread per process, every module loaded.

That the Start page itself imports none of them is tests/pages/test_first_page.py's job.
"""

from __future__ import annotations

import gc
import logging
import sys

import pytest

from sae_core.ui import preload


def test_one_preload_thread_per_process_loads_every_module() -> None:
    first = preload.start_preload()
    assert preload.start_preload() is first  # later script runs start nothing new
    assert first.name == preload.THREAD_NAME and first.daemon
    first.join(timeout=300)
    assert not first.is_alive()
    assert [m for m in preload.PRELOAD_MODULES if m not in sys.modules] == []
    assert gc.get_freeze_count() > 0  # what it loaded left the collector's full passes


def test_a_module_that_fails_to_load_is_logged_and_the_others_still_load(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delitem(sys.modules, "colorsys", raising=False)  # restored afterwards
    monkeypatch.setattr(preload, "PRELOAD_MODULES", ("sae_core.no_such_module", "colorsys"))
    with caplog.at_level(logging.ERROR, logger=preload.__name__):
        preload._preload()  # no exception escapes the thread's function
    assert [r.getMessage() for r in caplog.records] == ["preloading sae_core.no_such_module failed"]
    assert "colorsys" in sys.modules
