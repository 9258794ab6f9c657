"""Browser history: one entry per page visit, so Back returns to the previous page at once.

Streamlit's own sidebar navigation pushed an entry for the new page's path, then the app wrote
the set-up into the query (``url_state.sync_url``) and Streamlit pushed a second entry: Back
took two presses per page. Chromium via Playwright against ``streamlit run app.py``.
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

WALK = ("Train", "Learn", "Filters & latents")


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    kit.require_browser()
    with kit.app_server(tmp_path / "runs", tmp_path / "server.log") as url:
        yield url


async def _heading(page: Any) -> str:
    text: str = await page.locator(f"{ui.MAIN} h1").first.inner_text()
    return text.strip()


async def _walk(url: str) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await kit.launch_chromium(playwright)
        try:
            context = await browser.new_context(viewport=kit.VIEWPORT)
            page = await context.new_page()
            await ui.open_app(page, f"{url}/?lam=0.3")
            lengths = [await page.evaluate("history.length")]
            headings, urls = [await _heading(page)], [page.url]
            for title in WALK:
                await ui.go_to(page, title)
                lengths.append(await page.evaluate("history.length"))
                headings.append(await _heading(page))
                urls.append(page.url)
            await page.go_back()
            await page.wait_for_function(
                "([s, h]) => { const e = document.querySelector(s); return e && e.textContent.trim() === h; }",
                arg=[f"{ui.MAIN} h1", headings[-2]],
                timeout=30_000,
            )
            await ui.wait_ready(page)
            return {
                "lengths": lengths,
                "headings": headings,
                "urls": urls,
                "back_heading": await _heading(page),
                "back_url": page.url,
            }
        finally:
            await browser.close()


def test_each_page_visit_adds_one_history_entry_and_back_returns_to_the_previous_page(
    app_url: str,
) -> None:
    seen = asyncio.run(asyncio.wait_for(_walk(app_url), timeout=240))
    steps = [b - a for a, b in zip(seen["lengths"], seen["lengths"][1:], strict=False)]
    assert steps == [1] * len(WALK), seen
    assert seen["back_heading"] == seen["headings"][-2]
    assert seen["back_url"] == seen["urls"][-2]  # the previous page with its set-up
    assert all("lam=0.3" in u for u in seen["urls"][1:]), seen["urls"]  # each address: the set-up
