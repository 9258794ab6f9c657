"""The shared cache's session glue without a session: its budget, the runs folder rule, resets."""

from __future__ import annotations

import pytest

from sae_core.errors import ConfigError
from sae_core.ui import shared_models


def test_the_budget_is_read_in_megabytes_and_a_bad_value_names_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(shared_models.BUDGET_ENV, raising=False)
    assert shared_models.cache_budget_bytes() == 512 * 2**20
    monkeypatch.setenv(shared_models.BUDGET_ENV, "1.5")
    assert shared_models.cache_budget_bytes() == 3 * 2**19
    assert shared_models.reset_shared_cache().budget_bytes == 3 * 2**19
    for bad in ("lots", "-1", "nan", "inf", "1e400"):
        monkeypatch.setenv(shared_models.BUDGET_ENV, bad)
        with pytest.raises(ConfigError, match=r"SAE_EXPLORER_MODEL_CACHE_MB=.*megabytes"):
            shared_models.cache_budget_bytes()


def test_forgetting_the_cache_makes_a_new_empty_one() -> None:
    first = shared_models.shared_cache()
    assert shared_models.shared_cache() is first and shared_models.existing_cache() is first
    shared_models.forget_shared_cache()
    assert shared_models.existing_cache() is None
    second = shared_models.shared_cache()
    assert second is not first and len(second) == 0


def _waiting_page() -> None:
    from sae_core.runs.shared_cache import Progress
    from sae_core.ui.shared_models import WaitingBar

    WaitingBar().update(Progress(step=3, total=12))


def test_the_waiting_bar_says_another_session_trains_and_how_far() -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_waiting_page).run()
    (bar,) = at.get("progress")
    assert bar.proto.value == 25
    assert "Being trained by another session: step 3 of 12" in bar.proto.text
