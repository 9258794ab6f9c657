"""A tab closed while its Train runs: the training finishes for the server, not for nobody.

Streamlit stops a session's script when its websocket closes (a reload, a closed tab, a
connection that drops). Before sae_core/ui/detach.py the run ended as a partial model in a
session nobody sees and the set-up was trained again by the next browser. Here browser A presses
Train on a set-up that takes seconds and closes its tab once training has started; browser B
then opens the same link (no ``go``, no click) and must show the finished model, and the server
log must count one training. Without Chromium or playwright the test skips, except in CI.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import browser as kit
from tests.helpers import browser_pages as ui

pytestmark = pytest.mark.browser

TRAINED_MARK = "training set-up"  # sae_core.ui.shared_models.TRAINED_MARK
# Several seconds of training on digits (6000 steps), so the tab closes mid-run.
SETUP = "h=512&ep=500&seed=3"
OWN = "d_sae = 512"
PROGRESS = f"{ui.MAIN} [data-testid='stProgress']"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    kit.require_browser()
    log = tmp_path / "server.log"
    with kit.app_server(tmp_path / "runs", log) as url:
        yield url, log


async def _close_mid_training_then_open(url: str) -> dict[str, Any]:
    async with kit.chromium() as browser:
        first = await browser.new_context(viewport=kit.VIEWPORT)
        page = await first.new_page()
        await ui.open_app(page, f"{url}/?page=train&{SETUP}")
        await page.locator(ui.MAIN).get_by_role("button", name="Train", exact=True).click()
        await page.locator(PROGRESS).get_by_text("step ").first.wait_for(timeout=120_000)
        progress = await page.locator(PROGRESS).first.inner_text()
        await first.close()  # the websocket closes mid-run
        second = await browser.new_context(viewport=kit.VIEWPORT)
        other = await second.new_page()
        await ui.open_app(other, f"{url}/?page=train&{SETUP}", timeout_s=120)
        await other.locator(ui.SIDEBAR).get_by_text(OWN).first.wait_for(timeout=120_000)
        await ui.wait_ready(other, 120)
        return {
            "progress": progress,
            "sidebar": await ui.sidebar_text(other),
            "numbers": await ui.sidebar_numbers(other),
            "tracebacks": await ui.exception_texts(other),
        }


def test_a_tab_closed_mid_training_leaves_the_finished_model_for_the_next_browser(
    server: tuple[str, Path],
) -> None:
    url, log = server
    seen = asyncio.run(asyncio.wait_for(_close_mid_training_then_open(url), timeout=600))
    assert "step " in seen["progress"]  # the first tab was closed while training ran
    assert not seen["tracebacks"], seen["tracebacks"][0][:500]
    assert "No model yet" not in seen["sidebar"], seen["sidebar"]
    assert "paused at step" not in seen["sidebar"], seen["sidebar"]  # the whole run, finished
    assert float(seen["numbers"]["FVE"]) > 0.5
    assert log.read_text(encoding="utf-8", errors="replace").count(TRAINED_MARK) == 1
