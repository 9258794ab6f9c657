"""Drive the app's pages in a browser: open pages, move sliders, train, read what is shown.

Everything is async (Playwright's async API) so one browser can run many sessions at once.
Waits are for concrete content (a heading, a chart, a sidebar text) and the script's run state,
not for a fixed time: Streamlit sends content over a websocket, so ``goto()`` returning means
nothing.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
RUNNING = '[data-testid="stApp"][data-test-script-state="running"]'
MAIN = '[data-testid="stMain"]'
NAV_LINKS = ".st-key-app_nav a"  # the app's own navigation (sae_core/ui/nav.py)
SIDEBAR = '[data-testid="stSidebar"]'
PLOT = '[data-testid="stPlotlyChart"] .js-plotly-plot .main-svg'
EXCEPTION = '[data-testid="stException"]'
STALE = '[data-stale="true"]'
LAM_LABEL = "λ (sparsity weight, log scale)"  # the Train page's λ slider
D_SAE_LABEL = "Hidden size d_sae"
# pages every walk through the sidebar opens after Train (others, such as Learn, come too)
RESULT_PAGES = frozenset(
    {
        "Reconstructions",
        "Activations & sparsity",
        "Filters & latents",
        "Compare & sweep",
        "Ground truth",
    }
)


async def wait_ready(page: Any, timeout_s: float = 60) -> None:
    """The script run has ended and no element of an earlier run is left stale."""
    await page.wait_for_selector(READY, timeout=timeout_s * 1000)
    await page.wait_for_function(
        f"() => document.querySelector({READY!r}) && !document.querySelector({STALE!r})",
        timeout=timeout_s * 1000,
    )


async def _rerun_started(page: Any, timeout_s: float = 3) -> None:
    """Wait briefly for a script run to begin (it may already be over: then go on)."""
    with contextlib.suppress(Exception):
        await page.wait_for_selector(RUNNING, timeout=timeout_s * 1000)


async def open_app(page: Any, url: str, timeout_s: float = 60) -> None:
    """Load the app and wait for its first run to finish (both within ``timeout_s``).

    ``goto``'s own 30 s default is too short when many browser contexts load the app's
    JavaScript at once on a busy machine (the 30-session load test), so it gets the same bound.
    """
    await page.goto(url, timeout=timeout_s * 1000)
    await wait_ready(page, timeout_s)


async def nav_titles(page: Any) -> list[str]:
    """The page titles in the sidebar navigation, in order (icon ligatures left out)."""
    links = page.locator(NAV_LINKS)
    titles = []
    for i in range(await links.count()):
        text = await links.nth(i).inner_text()
        titles.append(text.strip().splitlines()[-1].strip())
    return titles


async def _heading(page: Any) -> str:
    text: str = await page.evaluate(
        f"() => (document.querySelector({MAIN + ' h1'!r}) || {{textContent: ''}}).textContent"
    )
    return text


async def go_to(page: Any, title: str, timeout_s: float = 60) -> None:
    """Open page ``title`` through its sidebar link (same session) and wait for its run to end.

    Streamlit switches pages in place, so "done" is: the main ``h1`` (every page has a different
    title) is no longer the previous page's, and the run has ended with nothing left stale.
    """
    link = page.locator(NAV_LINKS).filter(has=page.get_by_text(title, exact=True)).first
    # the link of the page shown names the address bar's path (the app's links carry no
    # aria-current, as Streamlit's own navigation did; the default page's path is empty)
    here = """a => (a.getAttribute('href') || '').split('?')[0].replace(/^[.]?[/]/, '')
        === location.pathname.replace(/^[/]/, '')"""
    if not await link.evaluate(here):
        before = await _heading(page)
        await link.click()
        await page.wait_for_function(
            """([selector, before]) => {
                const h = document.querySelector(selector);
                return h !== null && h.textContent !== before;
            }""",
            arg=[f"{MAIN} h1", before],
            timeout=timeout_s * 1000,
        )
    await wait_ready(page, timeout_s)


async def nudge_slider(page: Any, label: str, presses: int, timeout_s: float = 30) -> str:
    """Move the slider labelled ``label`` by ``presses`` arrow keys (negative: left).

    Returns the value text it shows afterwards, once the app has rerun with it.
    """
    # A hidden <input type=range>; by aria-label (its accessible name repeats the group's label).
    slider = page.locator(f'{MAIN} input[type="range"][aria-label="{label}"]')
    await slider.focus()
    key = "ArrowRight" if presses > 0 else "ArrowLeft"
    for _ in range(abs(presses)):
        await slider.press(key)
    await _rerun_started(page)
    await wait_ready(page, timeout_s)
    value: str = await slider.get_attribute("aria-valuetext") or ""
    return value


async def click_train(page: Any, expect_sidebar: str, timeout_s: float = 120) -> float:
    """Press the Train page's Train button; wait for the trained model's chart and sidebar text.

    ``expect_sidebar`` is a text the sidebar shows once this model is current (e.g. "λ = 0.2").
    Returns the seconds from the click until the page had settled.
    """
    start = time.perf_counter()
    button = page.locator(MAIN).get_by_role("button", name="Train", exact=True)
    await button.click()
    sidebar = page.locator(SIDEBAR).get_by_text(expect_sidebar)
    await sidebar.first.wait_for(timeout=timeout_s * 1000)
    await page.locator(f"{MAIN} {PLOT}").first.wait_for(timeout=timeout_s * 1000)
    await wait_ready(page, timeout_s)
    return time.perf_counter() - start


async def chart_count(page: Any) -> int:
    """Rendered plotly charts (their SVG drawn) in the main area."""
    count: int = await page.locator(f"{MAIN} {PLOT}").count()
    return count


async def exception_texts(page: Any) -> list[str]:
    """Texts of the exception boxes (tracebacks) on the page; empty when the app is healthy."""
    boxes = page.locator(EXCEPTION)
    return [await boxes.nth(i).inner_text() for i in range(await boxes.count())]


async def sidebar_text(page: Any) -> str:
    """What the sidebar's current-model summary reads."""
    text: str = await page.locator(SIDEBAR).inner_text()
    return text


async def metrics(page: Any, within: str = MAIN) -> dict[str, str]:
    """The ``st.metric`` values shown in ``within``: label -> value text."""
    boxes = page.locator(f'{within} [data-testid="stMetric"]')
    shown = {}
    for i in range(await boxes.count()):
        box = boxes.nth(i)
        label = await box.locator('[data-testid="stMetricLabel"]').inner_text()
        value = await box.locator('[data-testid="stMetricValue"]').inner_text()
        shown[label.strip()] = value.strip()
    return shown


async def sidebar_numbers(page: Any) -> dict[str, str]:
    """The sidebar's model summary numbers (FVE, L0, dead): a markdown table or st.metric boxes."""
    table = page.locator(f"{SIDEBAR} table")
    if await table.count() == 0:
        return await metrics(page, SIDEBAR)
    heads = [t.strip() for t in await table.first.locator("th").all_inner_texts()]
    cells = [t.strip() for t in await table.first.locator("td").all_inner_texts()]
    return dict(zip(heads, cells, strict=False))


async def error_texts(page: Any) -> list[str]:
    """Texts of the ``st.error`` boxes in the main area."""
    boxes = page.locator(f'{MAIN} [data-testid="stAlertContentError"]')
    return [await boxes.nth(i).inner_text() for i in range(await boxes.count())]


async def screenshot(page: Any, path: Path, max_height: int = 6000) -> None:
    """The whole page: Streamlit scrolls inside ``stMain``, so grow the viewport to fit it first."""
    size = page.viewport_size
    height = await page.evaluate(
        f"() => (document.querySelector({MAIN!r}) || document.body).scrollHeight"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    await page.set_viewport_size({"width": size["width"], "height": min(max_height, height)})
    await page.wait_for_timeout(300)  # one layout pass for the taller window; nothing reruns
    await page.screenshot(path=str(path))
    await page.set_viewport_size(size)


# What each page must show once a digits model is trained (default: a drawn plotly chart).
PAGE_TEXT = {
    "Start": "Shown model: FVE",
    "Ground truth": "has no ground truth",  # digits have no true features: a note, no chart
    "Learn": "Sparsity methods",
}


async def check_page(page: Any, title: str) -> None:
    """The page shows its content for a trained digits model and no traceback or error box."""
    tracebacks = await exception_texts(page)
    assert not tracebacks, f"traceback on {title}: {tracebacks[0][:500]}"
    errors = await error_texts(page)
    assert not errors, f"error on {title}: {errors}"
    text = PAGE_TEXT.get(title)
    if text is None:
        assert await chart_count(page) >= 1, f"no plotly chart drawn on {title}"
    else:
        assert await page.locator(MAIN).get_by_text(text).count() >= 1, f"{title}: no {text!r}"


SUPERPOSITION_CHARTS = 3  # W's columns as arrows, ‖W_i‖ and interference bars, dims per feature


async def drawn_charts(page: Any) -> int:
    """Plotly charts in the main area whose SVG is drawn (each counted once)."""
    charts = page.locator(f'{MAIN} [data-testid="stPlotlyChart"]')
    count: int = await charts.filter(has=page.locator(".main-svg")).count()
    return count


async def check_superposition(page: Any, timeout_s: float = 60) -> None:
    """The Superposition page draws its charts, and Step trains the toy model on (its step
    counter moves) with the charts drawn again and no traceback."""
    assert await drawn_charts(page) >= SUPERPOSITION_CHARTS, "Superposition: charts missing"
    step = page.locator(MAIN).get_by_role("button", name="Step (+100)")
    await step.click()
    await page.locator(MAIN).get_by_text("step 100", exact=True).wait_for(timeout=timeout_s * 1000)
    await wait_ready(page, timeout_s)
    tracebacks = await exception_texts(page)
    assert not tracebacks, f"traceback after Step: {tracebacks[0][:500]}"
    assert await drawn_charts(page) >= SUPERPOSITION_CHARTS, "Superposition: charts gone on Step"
