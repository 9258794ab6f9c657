"""One link, two browsers: the second shows the model the first trained, with no Train click.

Chromium driven by Playwright against ``streamlit run app.py`` (``tests/helpers/browser.py``);
each browser context is its own Streamlit session, as two students' laptops would be. Without
Chromium or playwright the test skips, except in CI (``CI=true``) where it fails.
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

SETUP = "method=topk&k=5&h=64&ep=3&seed=2"
INFO = f"{ui.MAIN} [data-testid='stAlertContentInfo']"


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    kit.require_browser()
    with kit.app_server(tmp_path / "runs", tmp_path / "server.log") as url:
        yield url


async def _fresh_page(browser: Any, url: str) -> Any:
    """A new browser context (its own session, no shared cookies) opened at ``url``."""
    context = await browser.new_context(viewport=kit.VIEWPORT)
    page = await context.new_page()
    await ui.open_app(page, url)
    return page


async def _shown_without_a_click(page: Any) -> dict[str, Any]:
    """What a page opened from the link shows of the model, before anyone clicks."""
    await page.locator(ui.SIDEBAR).get_by_text("k = 5").first.wait_for(timeout=60_000)
    await page.locator(f"{ui.MAIN} {ui.PLOT}").first.wait_for(timeout=60_000)
    return {
        "numbers": await ui.sidebar_numbers(page),
        "sidebar": await ui.sidebar_text(page),
        "info": " ".join(await page.locator(INFO).all_inner_texts()),
        "tracebacks": await ui.exception_texts(page),
    }


async def _two_browsers(url: str) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await kit.launch_chromium(playwright)
        try:
            first = await _fresh_page(browser, f"{url}/?page=train&{SETUP}")
            await ui.click_train(first, "k = 5")
            second = await _fresh_page(browser, f"{url}/?page=train&{SETUP}")
            third = await _fresh_page(browser, f"{url}/?page=reconstructions&{SETUP}")
            return {
                "first": await ui.sidebar_numbers(first),
                "second": await _shown_without_a_click(second),
                "third": await _shown_without_a_click(third),
            }
        finally:
            await browser.close()


def test_a_second_browser_on_the_same_link_shows_the_model_without_training(
    app_url: str,
) -> None:
    seen = asyncio.run(asyncio.wait_for(_two_browsers(app_url), timeout=240))
    first, second, third = seen["first"], seen["second"], seen["third"]
    assert first and first["L0"] == "5.0"
    assert second["numbers"] == first and third["numbers"] == first
    assert "trained before on this server" in second["info"]
    for shown in (second, third):
        assert "No model yet" not in shown["sidebar"]
        assert not shown["tracebacks"], shown["tracebacks"][0][:500]
