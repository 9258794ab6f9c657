"""Poll ``/_stcore/health`` every 0.25 s from a separate process, beside a trivial control server.

    probe = HealthProbe(url); probe.start(); ...; probe.stop(); probe.latencies, probe.control

A process, not a thread of the load test: there Playwright's event loop competes for the GIL and
would add its own delays to what should be the server's answer time alone. The control server's
latency is what the machine's load alone costs (the browsers share the server's CPU cores).
"""

from __future__ import annotations

import contextlib
import http.server
import json
import subprocess
import sys
import threading
import time
from typing import Any

from tests.helpers.browser import ROOT, health_seconds

HEALTH_EVERY_S = 0.25


class _Ok(http.server.BaseHTTPRequestHandler):
    """The control server's handler: ``ok`` to every GET, no logging."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


def _poll_health(url: str) -> None:
    """The probe process: poll ``url`` until stdin closes, then print the record as JSON.

    Each tick also asks a trivial control server in this process: its latency is what the
    machine's load alone costs, so the app's own share can be told apart from it.
    """
    control = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=control.serve_forever, daemon=True).start()
    control_url = f"http://127.0.0.1:{control.server_address[1]}"
    stop = threading.Event()

    def wait_for_eof() -> None:  # the parent closes our stdin to say "stop"
        sys.stdin.read()
        stop.set()

    threading.Thread(target=wait_for_eof, daemon=True).start()
    record: dict[str, Any] = {"times": [], "latencies": [], "control": [], "failures": 0}
    origin = time.perf_counter()
    while not stop.is_set():
        asked = time.perf_counter() - origin
        try:
            record["latencies"].append(health_seconds(url, timeout=5.0))
            record["times"].append(asked)
        except Exception:
            record["failures"] += 1
        with contextlib.suppress(Exception):
            record["control"].append(health_seconds(control_url, timeout=5.0))
        stop.wait(HEALTH_EVERY_S)
    control.shutdown()
    print(json.dumps(record))


class HealthProbe:
    """Polls ``/_stcore/health`` every 0.25 s from a separate process, recording each latency."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.times: list[float] = []
        self.latencies: list[float] = []
        self.control: list[float] = []  # a trivial server's latencies at the same moments
        self.failures = 0
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "benchmarks.health_probe", self.url]
        self._process = subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
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
            self.failures, self.control = record["failures"], record["control"]
        else:
            self.failures += 1  # the probe died: count it against the server's record


if __name__ == "__main__":
    _poll_health(sys.argv[1])
