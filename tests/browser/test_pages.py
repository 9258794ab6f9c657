"""The app in a real browser: train on the Train page, then every page draws its charts.

Chromium (the system one) driven by Playwright against ``streamlit run app.py`` on a free
loopback port. Screenshots of each page go to ``test-artifacts/browser/`` for a look by eye.
Without Chromium or playwright the test skips, except in CI (``CI=true``) where it fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sae_core.app.controls import LAM_GRID
from sae_core.config import SAEConfig
from tests.helpers import browser as kit
from tests.helpers import browser_pages as ui

pytestmark = pytest.mark.browser

ARTIFACTS = kit.ROOT / "test-artifacts" / "browser"


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    """A fresh server (runs saved under tmp_path) for this test; stopped however the test ends."""
    kit.require_browser()
    for old in ARTIFACTS.glob("*.png"):  # screenshots from an earlier run would mislead
        old.unlink()
    with kit.app_server(tmp_path / "runs", ARTIFACTS / "server.log") as url:
        yield url


def _shot_name(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_") + ".png"


async def _train_with_lam_one_step_up(page: Any) -> str:
    """On the Train page: λ one grid step above the default (by keyboard), then Train."""
    default = SAEConfig(d_in=1).lam
    expected = f"{LAM_GRID[LAM_GRID.index(default) + 1]:g}"
    shown = await ui.nudge_slider(page, ui.LAM_LABEL, +1)
    assert shown == expected, f"λ slider shows {shown!r} after one ArrowRight, not {expected!r}"
    await ui.click_train(page, f"λ = {expected}")
    return expected


async def _check_train_page(page: Any) -> None:
    """The training curves are drawn and the metrics are numbers that agree with the sidebar."""
    assert await ui.chart_count(page) >= 1
    # under load the metric boxes can land a moment after the chart: wait for them, then read
    await page.get_by_text("FVE (variance explained)").first.wait_for(timeout=60_000)
    shown = await ui.metrics(page)
    fve = float(shown["FVE (variance explained)"])
    l0 = float(shown["L0 (active latents)"])
    assert 0.0 < fve <= 1.0 and l0 > 0.0, shown
    sidebar = await ui.sidebar_numbers(page)
    assert abs(float(sidebar["FVE"]) - fve) < 1e-3, (sidebar, shown)


async def _check_chart_download(page: Any) -> None:
    """The sidebar's button saves the page's charts as one interactive HTML file."""
    button = page.locator(ui.SIDEBAR).get_by_role("button", name="Charts on this page")
    async with page.expect_download(timeout=60_000) as info:
        await button.click()
    download = await info.value
    html = Path(await download.path()).read_text(encoding="utf-8")
    assert download.suggested_filename == "sae-explorer-train.html"
    assert html.count("Plotly.newPlot") >= 2 and "train_history" in html


async def _check_page(page: Any, title: str, lam: str) -> None:
    """A page shows its content for the trained model, no traceback, no error, the same model."""
    await ui.check_page(page, title)
    if title == "Learn":
        assert await page.locator(f"{ui.MAIN} .katex").count() >= 3, "Learn shows no formulas"
    if title == "Superposition":  # the toy model's page: its charts, and a Step of training
        await ui.check_superposition(page)
    assert f"λ = {lam}" in await ui.sidebar_text(page), title


async def _walk_every_page(url: str) -> list[str]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await kit.launch_chromium(playwright)
        page = await browser.new_page(viewport=kit.VIEWPORT)
        try:
            await ui.open_app(page, url)
            icon = await page.locator("link[rel~='icon']").first.get_attribute("href") or ""
            assert icon.startswith((url, "/", "data:")), icon  # served by the app: works offline
            await ui.go_to(page, "Train")
            assert "No model yet" in await ui.sidebar_text(page)
            lam = await _train_with_lam_one_step_up(page)
            await _check_train_page(page)
            await _check_chart_download(page)
            await ui.screenshot(page, ARTIFACTS / "train.png")
            visited = ["Train"]
            for title in await ui.nav_titles(page):
                if title == "Train":
                    continue
                await ui.go_to(page, title)
                await _check_page(page, title, lam)
                await ui.screenshot(page, ARTIFACTS / _shot_name(title))
                visited.append(title)
            return visited
        except BaseException:
            with contextlib.suppress(Exception):  # the evidence must not hide the failure
                await ui.screenshot(page, ARTIFACTS / "failure.png")
            raise
        finally:
            await browser.close()


def test_every_page_draws_its_charts_after_training_in_chromium(app_url: str) -> None:
    visited = asyncio.run(asyncio.wait_for(_walk_every_page(app_url), timeout=120))
    assert {"Train", "Superposition", *ui.RESULT_PAGES} <= set(visited), visited
