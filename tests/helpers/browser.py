"""Run the real app for a browser: is Chromium here, start and stop the server, launch it.

Shared by the tests in ``tests/browser/`` and by ``benchmarks/load_test.py``; what to do on the
app's pages is in :mod:`tests.helpers.browser_pages`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from tests.helpers.env import ROOT, require

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
# No sandbox (containers), no GPU, no background traffic: the browser talks to 127.0.0.1 only.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_S = 60.0
VIEWPORT = {"width": 1400, "height": 1000}


def chromium_path() -> str | None:
    """The Chromium executable, or None when none is installed."""
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def missing_browser() -> str | None:
    """Why a real-browser run cannot happen here (no Chromium, no playwright), or None."""
    if chromium_path() is None:
        return "Chromium is not installed (apt-get install chromium, or `make browser`)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


def require_browser() -> None:
    """Skip the test without Chromium or playwright; in CI (``CI=true``) fail instead."""
    require(missing_browser(), "CI must run the browser tests")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def health_seconds(url: str, timeout: float = 5.0) -> float:
    """Seconds ``/_stcore/health`` took to answer ``ok``; raises when it does not."""
    start = time.perf_counter()
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout) as response:
        body = response.read()
    if body != b"ok":
        raise RuntimeError(f"health answered {body!r}")
    return time.perf_counter() - start


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"streamlit exited ({process.returncode}): {log.read_text()[-2000:]}"
            )
        with contextlib.suppress(OSError, RuntimeError):
            health_seconds(url, timeout=1.0)
            return
        time.sleep(0.2)
    raise RuntimeError(f"streamlit did not answer within {SERVER_START_S:.0f} s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """End the server's whole process group: TERM, then KILL if it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextlib.contextmanager
def app_server(runs_dir: Path, log: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """``streamlit run app.py`` on a free loopback port; yields its URL, always stops it."""
    port = free_port()
    server_env = {**os.environ, **(env or {}), "SAE_EXPLORER_RUNS": str(runs_dir)}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=server_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so teardown reaches every child
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, process, log)
            yield url
        finally:
            stop_server(process)


def idle_chrt() -> str | None:
    """``chrt`` where it may put a process under SCHED_IDLE here, else None."""
    chrt = shutil.which("chrt")
    if chrt is None:
        return None
    probe = subprocess.run([chrt, "--idle", "0", "true"], capture_output=True, check=False)
    # a container may forbid changing the scheduling policy
    return chrt if probe.returncode == 0 else None


def idle_wrapper(executable: str, folder: Path) -> str | None:
    """A script in ``folder`` that runs ``executable`` under SCHED_IDLE; None without
    :func:`idle_chrt`.

    SCHED_IDLE processes (and every child they start) get a CPU only when no ordinary process
    wants it. ``nice`` is not enough: Chromium running as root gives its own processes nice 0
    or -8 again.
    """
    chrt = idle_chrt()
    if chrt is None:
        return None
    wrapper = folder / "chromium-idle"
    wrapper.write_text(f'#!/bin/sh\nexec "{chrt}" --idle 0 "{executable}" "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


async def launch_chromium(playwright: Any, *, idle_in: Path | None = None) -> Any:
    """Headless Chromium from the system (never a downloaded one).

    With ``idle_in`` (a folder for the wrapper script) the browser runs at idle CPU priority
    (:func:`idle_wrapper`) where ``chrt`` exists. The load test uses it: there the simulated
    users' browsers share the server's 2 cores, which in a classroom they would not (each
    student's browser runs on their own machine). At equal priority ten Chromiums took the CPU
    from the server and the probe alike (docs/robustness.md, Load test).
    """
    executable = chromium_path()
    if idle_in is not None and executable is not None:
        executable = idle_wrapper(executable, idle_in) or executable
    return await playwright.chromium.launch(
        executable_path=executable, headless=True, args=CHROMIUM_ARGS
    )


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """A started Playwright with :func:`launch_chromium`'s browser; both closed after."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            yield browser
        finally:
            await browser.close()
