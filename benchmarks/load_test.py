"""Load test: N browser sessions train and browse at once against ONE app server.

    python -m benchmarks.load_test                 # 10 sessions
    python -m benchmarks.load_test --sessions 4 --timeout 180

One Chromium, one context (= one Streamlit session) per simulated user. Session i moves the λ
and d_sae sliders by keyboard to its own pair of values, trains on digits, then opens every page.
Checked: every session finishes; on every page the sidebar shows that session's own λ and d_sae
(no session sees another's model); a page draws a chart (Ground truth: its no-ground-truth
note) and never a traceback; ``/_stcore/health``, polled every 0.25 s by a background thread,
answers within 1 s throughout. Loopback only (127.0.0.1), bounded by ``--timeout``.
The numbers are printed, and appended to docs/robustness.md under "Load test" if that file
exists and ``--write-doc`` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests import browser_kit as kit

ARTIFACTS = kit.ROOT / "test-artifacts" / "load"
DOC = kit.ROOT / "docs" / "robustness.md"
LAM_LABEL = "λ (sparsity weight, log scale)"
D_SAE_LABEL = "Hidden size d_sae"
LAM_PRESSES = (-3, -2, -1, 1, 2)  # from the default 0.1: 0.01, 0.02, 0.05, 0.2, 0.5
HEALTH_EVERY_S = 0.25
HEALTH_LIMIT_S = 1.0


@dataclass(frozen=True, kw_only=True)
class SessionResult:
    """One simulated user: its settings, what it saw, and how long each part took."""

    index: int
    lam: str = ""
    d_sae: str = ""
    fve: str = ""
    setup_s: float = float("nan")
    train_at_s: float = float("nan")
    train_s: float = float("nan")
    pages_s: float = float("nan")
    total_s: float = float("nan")
    pages: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class LoadReport:
    """All sessions plus the health probe's record."""

    n_sessions: int
    wall_s: float
    sessions: tuple[SessionResult, ...]
    health_latencies_s: tuple[float, ...]
    health_times_s: tuple[float, ...]
    health_failures: int

    @property
    def health_max_s(self) -> float:
        return max(self.health_latencies_s, default=float("nan"))

    def problems(self) -> list[str]:
        """What went wrong; empty when the server coped."""
        found = [f"session {s.index}: {s.error}" for s in self.sessions if s.error]
        settings = [(s.lam, s.d_sae) for s in self.sessions]
        if len(set(settings)) != len(settings):
            found.append(f"sessions did not get distinct settings: {settings}")
        if self.health_failures:
            found.append(f"/_stcore/health failed {self.health_failures} time(s)")
        if not self.health_latencies_s:
            found.append("/_stcore/health was never polled")
        elif self.health_max_s > HEALTH_LIMIT_S:
            found.append(f"/_stcore/health took {self.health_max_s:.2f} s (limit {HEALTH_LIMIT_S})")
        return found

    def table(self) -> str:
        """The per-session numbers as a markdown table."""
        rows = [
            "| session | λ | d_sae | FVE | open + sliders s | Train pressed at s | train s | "
            "pages s | total s | result |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for s in self.sessions:
            result = "ok" if s.error is None else "FAILED"
            rows.append(
                f"| {s.index} | {s.lam} | {s.d_sae} | {s.fve} | {s.setup_s:.1f} | "
                f"{s.train_at_s:.1f} | {s.train_s:.1f} | "
                f"{s.pages_s:.1f} | {s.total_s:.1f} | {result} |"
            )
        return "\n".join(rows)

    def summary(self) -> str:
        totals = [s.total_s for s in self.sessions if s.error is None]
        health = self.health_latencies_s
        return (
            f"{self.n_sessions} concurrent sessions against one server: wall {self.wall_s:.1f} s; "
            f"per-session total median {statistics.median(totals) if totals else float('nan'):.1f} s, "
            f"max {max(totals, default=float('nan')):.1f} s; /_stcore/health polled "
            f"{len(health)} times, max {self.health_max_s * 1000:.0f} ms, median "
            f"{(statistics.median(health) if health else float('nan')) * 1000:.0f} ms, "
            f"{self.health_failures} failures"
        )

    def slowest_health(self, n: int = 3) -> str:
        """The ``n`` slowest health answers and when they were asked (s after the start)."""
        pairs = sorted(zip(self.health_latencies_s, self.health_times_s, strict=True))[-n:]
        return ", ".join(f"{lat * 1000:.0f} ms at {at:.1f} s" for lat, at in reversed(pairs))


def _poll_health(url: str) -> None:
    """Child process (``--probe URL``): poll until stdin closes, then print the record as JSON."""
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    times: list[float] = []
    latencies: list[float] = []
    failures = 0
    origin = time.perf_counter()
    while not stop.is_set():
        asked = time.perf_counter() - origin
        try:
            latencies.append(kit.health_seconds(url, timeout=5.0))
            times.append(asked)
        except Exception:
            failures += 1
        stop.wait(HEALTH_EVERY_S)
    print(json.dumps({"times": times, "latencies": latencies, "failures": failures}))


class HealthProbe:
    """Polls ``/_stcore/health`` every 0.25 s from a separate process, recording each latency.

    A process, not a thread: in this process Playwright's event loop competes for the GIL and
    would add its own delays to what should be the server's answer time alone.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.times: list[float] = []
        self.latencies: list[float] = []
        self.failures = 0
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "benchmarks.load_test", "--probe", self.url]
        self._process = subprocess.Popen(
            command, cwd=kit.ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def stop(self) -> None:
        """End the probe (closing its stdin) and collect what it recorded."""
        if self._process is None:
            return
        try:
            out, _ = self._process.communicate(input="", timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            out, _ = self._process.communicate()
        if out.strip():
            record = json.loads(out.strip().splitlines()[-1])
            self.times, self.latencies = record["times"], record["latencies"]
            self.failures = record["failures"]
        else:
            self.failures += 1  # the probe died: count it against the server's record


def session_presses(index: int) -> tuple[int, int]:
    """Arrow presses on the λ and d_sae sliders for session ``index``: distinct for each pair."""
    return LAM_PRESSES[index % len(LAM_PRESSES)], -(index // len(LAM_PRESSES))


async def _visit_pages(page: Any, own: str) -> list[str]:
    """Every page through the sidebar; each shows this session's model and its content."""
    visited = []
    for title in await kit.nav_titles(page):
        if title == "Train":
            continue
        await kit.go_to(page, title, timeout_s=120)
        await kit.check_page(page, title)
        if own not in await kit.sidebar_text(page):
            raise AssertionError(f"sidebar on {title} does not show this session's {own!r}")
        visited.append(title)
    return visited


async def _train_and_browse(browser: Any, url: str, index: int, origin: float) -> SessionResult:
    start = time.perf_counter()
    context = await browser.new_context(viewport=kit.VIEWPORT)
    page = await context.new_page()
    try:
        await kit.open_app(page, url, timeout_s=120)
        await kit.go_to(page, "Train", timeout_s=120)
        lam_presses, d_sae_presses = session_presses(index)
        lam = await kit.nudge_slider(page, LAM_LABEL, lam_presses, timeout_s=120)
        d_sae = "128"
        if d_sae_presses:
            d_sae = await kit.nudge_slider(page, D_SAE_LABEL, d_sae_presses, timeout_s=120)
        own = f"λ = {lam} · d_sae = {d_sae}"
        train_at = time.perf_counter()
        train_s = await kit.click_train(page, own, timeout_s=180)
        fve = (await kit.sidebar_numbers(page)).get("FVE", "")
        pages_start = time.perf_counter()
        visited = await _visit_pages(page, own)
        return SessionResult(
            index=index,
            lam=lam,
            d_sae=d_sae,
            fve=fve,
            setup_s=train_at - start,
            train_at_s=train_at - origin,
            train_s=train_s,
            pages_s=time.perf_counter() - pages_start,
            total_s=time.perf_counter() - start,
            pages=tuple(visited),
        )
    except Exception as error:
        with contextlib.suppress(Exception):
            await kit.screenshot(page, ARTIFACTS / f"session-{index}-failure.png")
        message = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        return SessionResult(index=index, total_s=time.perf_counter() - start, error=message)
    finally:
        await context.close()


async def _run_sessions(url: str, n_sessions: int, origin: float) -> list[SessionResult]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await kit.launch_chromium(playwright)
        try:
            jobs = [_train_and_browse(browser, url, i, origin) for i in range(n_sessions)]
            return list(await asyncio.gather(*jobs))
        finally:
            await browser.close()


def run_load(n_sessions: int, timeout_s: float = 300.0, workdir: Path | None = None) -> LoadReport:
    """Start a server, run ``n_sessions`` browser sessions at once, probe health throughout."""
    reason = kit.missing_browser()
    if reason is not None:
        raise RuntimeError(f"cannot run the load test: {reason}")
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = stack.enter_context(kit.app_server(workdir / "runs", ARTIFACTS / "server.log"))
        probe = HealthProbe(url)
        start = time.perf_counter()
        probe.start()
        try:
            jobs = _run_sessions(url, n_sessions, start)
            sessions = asyncio.run(asyncio.wait_for(jobs, timeout_s))
        finally:
            probe.stop()
        return LoadReport(
            n_sessions=n_sessions,
            wall_s=time.perf_counter() - start,
            sessions=tuple(sessions),
            health_latencies_s=tuple(probe.latencies),
            health_times_s=tuple(probe.times),
            health_failures=probe.failures,
        )


def append_to_doc(report: LoadReport, doc: Path = DOC) -> bool:
    """Add the numbers under a "Load test" heading of ``doc`` if it exists; True if written."""
    if not doc.is_file():
        return False
    text = doc.read_text(encoding="utf-8")
    heading = "## Load test"
    section = (
        f"\n{heading}\n\n"
        "`python -m benchmarks.load_test` (one Chromium, one browser context per session, all "
        "against one `streamlit run app.py` on 127.0.0.1; each session sets its own λ and d_sae "
        "with the keyboard, trains on digits and opens every page; a thread polls "
        "`/_stcore/health` every 0.25 s). Measured on "
        f"{time.strftime('%Y-%m-%d')}, 2 shared CPU cores:\n\n"
        f"{report.summary()}.\n\n{report.table()}\n"
    )
    if heading in text:  # replace the earlier measurement, keep everything else
        before, _, after = text.partition(heading)
        rest = after.split("\n## ", 1)
        text = before.rstrip("\n") + "\n" + section + ("\n## " + rest[1] if len(rest) > 1 else "")
    else:
        text = text.rstrip("\n") + "\n" + section
    doc.write_text(text, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10, help="concurrent browser sessions")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds for the whole run")
    parser.add_argument("--probe", metavar="URL", help=argparse.SUPPRESS)  # the health child
    parser.add_argument(
        "--write-doc", action="store_true", help="append the numbers to docs/robustness.md"
    )
    args = parser.parse_args(argv)
    if args.probe:
        _poll_health(args.probe)
        return 0
    report = run_load(args.sessions, timeout_s=args.timeout)
    print(report.summary())
    print(f"slowest health answers: {report.slowest_health()}")
    print(report.table())
    problems = report.problems()
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    if args.write_doc and not problems and append_to_doc(report):
        print(f"appended to {DOC.relative_to(kit.ROOT)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
