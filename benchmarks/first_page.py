"""Issue 15 target 2: time to the first drawn Start page, against a hello-world Streamlit app.

Each app starts the way ``make run`` starts app.py (``python -m streamlit run APP --server.port P
--browser.gatherUsageStats false``, plus ``--server.headless true``); headless Chromium opens it
as soon as ``/_stcore/health`` answers. The time runs from the server's launch to the page's
title drawn in the browser (the hello world's "Hello, world"; the Start page's "SAE Explorer").
Both start from the project folder, so both read its ``.streamlit/config.toml``. The two apps
start in turn, ``repeats`` times each after one unmeasured start of each (disk cache), in one
browser with a fresh context (no cache) per start; the ratio of the medians is the result. Target: the Start page within 1.5× the hello world's time.

python -m benchmarks.run --only first_page      # the table row
python -m benchmarks.first_page [--repeats N]   # the measured times as JSON
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import Row, median, skipped, status_of
from tests.helpers import browser as kit

ROOT = Path(__file__).resolve().parents[1]
NAME = "15.2 first page drawn vs hello world"
MAX_RATIO = 1.5
TARGET = f"≤ {MAX_RATIO:g}× a hello-world app's time, same start"
HELLO_TITLE = "Hello, world"
APP_TITLE = "SAE Explorer"
HELLO_APP = f'import streamlit as st\n\nst.title("{HELLO_TITLE}")\n'
START_S = 60.0  # a server that is not up by then failed
DRAW_S = 120.0  # the page's title must appear within this


@dataclass(frozen=True)
class Start:
    """Seconds from the server's launch: health answered, page title drawn."""

    up: float
    drawn: float


def _server(app: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.headless",
        "true",
    ]
    with log.open("ab") as out:
        return subprocess.Popen(
            command,
            cwd=ROOT,  # both read the project's .streamlit/config.toml, as `make run` does
            env={**os.environ, "SAE_EXPLORER_RUNS": str(log.parent / "runs")},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the stop reaches every child
        )


@contextlib.contextmanager
def _running(app: Path, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], float]]:
    """The app's server on a free port: (url, process, launch time); always stopped after."""
    port = kit.free_port()
    launched = time.perf_counter()
    process = _server(app, port, log)
    try:
        yield f"http://127.0.0.1:{port}", process, launched
    finally:
        kit.stop_server(process)


def _wait_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.perf_counter() + START_S
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited: {log.read_text()[-1000:]}")
        with contextlib.suppress(OSError, RuntimeError):
            kit.health_seconds(url, timeout=1.0)
            return
        time.sleep(0.02)  # the polling adds at most this to both apps' times
    raise RuntimeError(f"streamlit did not answer within {START_S:.0f} s")


def time_start(browser: Any, app: Path, title: str, log: Path) -> Start:
    """Launch ``app``, open it when healthy, and time until heading ``title`` is drawn."""
    with _running(app, log) as (url, process, launched):
        _wait_up(url, process, log)
        up = time.perf_counter() - launched
        context = browser.new_context(viewport=kit.VIEWPORT)
        try:
            page = context.new_page()
            page.goto(url)
            page.get_by_role("heading", name=title).first.wait_for(timeout=DRAW_S * 1e3)
            drawn = time.perf_counter() - launched
        finally:
            context.close()
    return Start(up=up, drawn=drawn)


def measure(repeats: int) -> dict[str, Any]:
    """Both apps' starts, alternating, after one unmeasured start each: their times in seconds."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="sae-first-page-") as tmp:
        folder = Path(tmp)
        hello = folder / "hello" / "hello_app.py"
        hello.parent.mkdir()
        hello.write_text(HELLO_APP)
        log = folder / "server.log"
        apps = {"hello": (hello, HELLO_TITLE), "app": (ROOT / "app.py", APP_TITLE)}
        starts: dict[str, list[Start]] = {name: [] for name in apps}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=kit.chromium_path(), headless=True, args=kit.CHROMIUM_ARGS
            )
            try:
                for i in range(repeats + 1):
                    for name, (path, title) in apps.items():
                        start = time_start(browser, path, title, log)
                        if i > 0:  # the first round warms the disk cache
                            starts[name].append(start)
            finally:
                browser.close()
    return {
        name: {"up_s": [s.up for s in runs], "drawn_s": [s.drawn for s in runs]}
        for name, runs in starts.items()
    }


def row(result: dict[str, Any]) -> Row:
    """The table row from :func:`measure`'s result."""
    hello, app = (median(result[n]["drawn_s"]) for n in ("hello", "app"))
    hello_up, app_up = (median(result[n]["up_s"]) for n in ("hello", "app"))
    ratio = app / hello
    repeats = len(result["app"]["drawn_s"])
    return Row(
        name=NAME,
        measured=f"{ratio:.2f}× ({app:.2f} s vs {hello:.2f} s)",
        target=TARGET,
        margin=MAX_RATIO / ratio,
        status=status_of(ratio <= MAX_RATIO),
        details=(
            f"median of {repeats} starts each, alternating, wall clock from launching "
            "`streamlit run` to the title drawn in headless Chromium: app.py's Start page "
            f"{app:.2f} s, a one-line hello world {hello:.2f} s; the server answered health after "
            f"{app_up:.2f} s and {hello_up:.2f} s, so the page itself took "
            f"{app - app_up:.2f} s against {hello - hello_up:.2f} s",
            "all app starts (s): " + ", ".join(f"{t:.2f}" for t in result["app"]["drawn_s"]),
            "all hello-world starts (s): "
            + ", ".join(f"{t:.2f}" for t in result["hello"]["drawn_s"]),
            "torch, scikit-learn and SciPy load in a background thread after the first page "
            "(sae_core/ui/preload.py); tests/pages/test_first_page.py checks the page imports none",
        ),
    )


def run(quick: bool = False) -> list[Row]:
    missing = kit.missing_browser()
    if missing is not None:
        return [skipped(NAME, TARGET, f"skipped: {missing}")]
    return [row(measure(3 if quick else 7))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.first_page")
    parser.add_argument("--repeats", type=int, default=7, help="measured starts of each app")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
