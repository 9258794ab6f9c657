"""Classroom features in a real browser: a copied link reproduces a run, teacher links hide.

Chromium driven by Playwright against ``streamlit run app.py`` (see ``tests/helpers/browser.py``). Without
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

SETUP = "page=train&method=topk&k=5&h=64&ep=3"
CODE = f"{ui.SIDEBAR} [data-testid='stCode']"
WARNING = "[data-testid='stAlertContentWarning']"


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    kit.require_browser()
    with kit.app_server(tmp_path / "runs", tmp_path / "server.log") as url:
        yield url


async def _fresh_page(browser: Any, url: str) -> Any:
    """A new browser context (no shared session or cookies) opened at ``url``."""
    context = await browser.new_context(viewport=kit.VIEWPORT)
    page = await context.new_page()
    await ui.open_app(page, url)
    return page


async def _share_links(page: Any) -> list[str]:
    await page.locator(ui.SIDEBAR).get_by_text("Share this set-up").click()
    await page.locator(CODE).first.wait_for()
    return [text.strip() for text in await page.locator(CODE).all_inner_texts()]


async def _classroom(url: str) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await kit.launch_chromium(playwright)
        try:
            first = await _fresh_page(browser, f"{url}/?{SETUP}&lam=abc")
            await first.locator(WARNING).first.wait_for()
            warning = await first.locator(WARNING).all_inner_texts()
            await ui.click_train(first, "k = 5")
            link, teacher_link = await _share_links(first)
            second = await _fresh_page(browser, link)
            await ui.click_train(second, "k = 5")
            student = await _fresh_page(browser, teacher_link)
            await student.locator(ui.MAIN).get_by_text("λ (sparsity weight").first.wait_for()
            return {
                "warning": " ".join(warning),
                "link": link,
                "first": await ui.sidebar_numbers(first),
                "second": await ui.sidebar_numbers(second),
                "student_labels": await student.locator(f"{ui.MAIN} label").all_inner_texts(),
            }
        finally:
            await browser.close()


def test_a_shared_link_reproduces_the_run_and_a_teacher_link_leaves_only_lambda(
    app_url: str,
) -> None:
    seen = asyncio.run(asyncio.wait_for(_classroom(app_url), timeout=180))
    assert "lam='abc'" in seen["warning"]
    assert seen["link"].startswith(app_url) and SETUP in seen["link"]
    assert seen["first"] == seen["second"] and seen["first"]["L0"] == "5.0"
    labels = " ".join(seen["student_labels"])
    assert "λ (sparsity weight" in labels
    assert "Method" not in labels and "Hidden size" not in labels and "Data source" not in labels


async def _first_visit_is_a_page_link(url: str) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await kit.launch_chromium(playwright)
        try:
            # what Share gives: the page's own path, then the set-up; nobody opened "/" before
            page = await _fresh_page(browser, f"{url}/train?page=train&lam=1&h=64")
            lam = page.locator(f'{ui.MAIN} input[type="range"][aria-label^="λ"]').first
            return {
                "nav": await ui.nav_titles(page),
                "sidebar": await ui.sidebar_text(page),
                "lam": await lam.get_attribute("aria-valuetext"),
            }
        finally:
            await browser.close()


def test_a_page_link_works_as_the_first_visit_to_a_fresh_server(app_url: str) -> None:
    # A folder named pages/ beside app.py made Streamlit serve its files as an old-style
    # multipage app until "/" had been opened once: no router, no sidebar, the link ignored.
    shown = asyncio.run(asyncio.wait_for(_first_visit_is_a_page_link(app_url), timeout=90))
    assert shown["nav"][:2] == ["Start", "Train"], shown["nav"]
    assert "Share this set-up" in shown["sidebar"]
    assert shown["lam"] == "1"
