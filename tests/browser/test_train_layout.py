"""The Train page's data controls in a real browser: choices read in full, not cut short.

The Preprocessing select sat in a third of the data column and showed "source defa…".
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

# the select's shown value: is its text wider than its box (cut with an ellipsis)?
CUT = """(box) => {
    const input = box.querySelector('input[role="combobox"]');
    if (!input) return [];
    return [{text: input.value, cut: input.scrollWidth > input.clientWidth + 1}];
}"""


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    kit.require_browser()
    with kit.app_server(tmp_path / "runs", tmp_path / "server.log") as url:
        yield url


async def _preprocessing(url: str) -> list[dict[str, Any]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await kit.launch_chromium(playwright)
        try:
            context = await browser.new_context(viewport=kit.VIEWPORT)
            page = await context.new_page()
            await ui.open_app(page, f"{url}/train?page=train")
            box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Preprocessing")
            shown: list[dict[str, Any]] = await box.first.evaluate(CUT)
            return shown
        finally:
            await browser.close()


def test_the_preprocessing_select_shows_its_whole_choice(app_url: str) -> None:
    shown = asyncio.run(asyncio.wait_for(_preprocessing(app_url), timeout=120))
    assert shown, "no shown value in the Preprocessing select"
    assert shown[0]["text"] == "source default (scale01)"
    assert not any(cell["cut"] for cell in shown), shown
