"""Rows, timing helpers, machine description and table formatting shared by the benchmarks."""

from __future__ import annotations

import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch

PASS, FAIL, SKIP, INFO = "PASS", "FAIL", "skip", "info"
# torch's own choice, read before any benchmark sets a thread count (run.py imports this first)
TORCH_DEFAULT_THREADS = torch.get_num_threads()


@dataclass(frozen=True, kw_only=True)
class Row:
    """One line of the benchmark table.

    ``margin`` is oriented so that ≥ 1 meets the target (limit / value for "at most" targets,
    value / floor for "at least" targets); None where a target has no single number.
    """

    name: str
    measured: str
    target: str
    margin: float | None
    status: str
    details: tuple[str, ...] = field(default=())


def status_of(ok: bool) -> str:
    return PASS if ok else FAIL


def skipped(name: str, target: str, reason: str) -> Row:
    return Row(name=name, measured=reason, target=target, margin=None, status=SKIP)


@dataclass(frozen=True)
class Sample:
    """Seconds of one measurement: wall clock, and this process's CPU time.

    On a machine shared with other jobs, wall time includes the time spent waiting for a core;
    CPU time does not, so single-threaded ratios are compared on CPU time and absolute
    latencies (what a user waits) on wall time.
    """

    wall: float
    cpu: float


def timed(fn: Callable[[], Any]) -> tuple[Sample, Any]:
    """(Sample, result) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return Sample(time.perf_counter() - wall, time.process_time() - cpu), result


def interleaved(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, list[Sample]]:
    """One Sample per call for each function, calling them in turn ``repeats`` times.

    Interleaving puts every candidate under the same background load, so their ratio is fairer
    than back-to-back blocks on a machine that other jobs share.
    """
    samples: dict[str, list[Sample]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            sample, _ = timed(fn)
            samples[name].append(sample)
    return samples


def per_call(fn: Callable[[], Any], calls: int) -> Sample:
    """Mean seconds per call over ``calls`` back-to-back calls."""
    sample, _ = timed(lambda: [fn() for _ in range(calls)])
    return Sample(sample.wall / calls, sample.cpu / calls)


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def wall(samples: list[Sample]) -> float:
    """Median wall-clock seconds."""
    return median([s.wall for s in samples])


def cpu(samples: list[Sample]) -> float:
    """Median CPU seconds."""
    return median([s.cpu for s in samples])


def cpu_ratio(top: list[Sample], bottom: list[Sample]) -> float:
    """Median of the per-round CPU-time ratios top/bottom (rounds measured side by side)."""
    return median([a.cpu / b.cpu for a, b in zip(top, bottom, strict=True)])


@functools.lru_cache(maxsize=1)
def warm_up() -> None:
    """Pay the process's one-off costs (the first torch.optim.Adam imports ~1 s of modules)."""
    from sae_core.config import SAEConfig, TrainConfig
    from sae_core.training.trainer import Trainer

    x = np.random.default_rng(0).random((64, 8), dtype=np.float32)
    for fast in (True, False):
        Trainer(SAEConfig(d_in=8, d_sae=8), TrainConfig(steps=3, batch_size=16), x, fast=fast).run()


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def machine_info() -> dict[str, str]:
    cuda = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu_model(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "cuda": cuda,
        "load average at start (1, 5, 15 min)": load_average(),
    }


def _margin_text(row: Row) -> str:
    return "" if row.margin is None else f"{row.margin:.2f}"


def format_table(rows: list[Row]) -> str:
    """Plain-text table: name, measured, target, margin (≥ 1 meets it), status."""
    header = ("target", "measured", "goal", "margin", "status")
    cells = [header] + [(r.name, r.measured, r.target, _margin_text(r), r.status) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def markdown_table(rows: list[Row]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| target | measured | goal | margin | status |", "|---|---|---|---|---|"]
    lines += [
        f"| {cell(r.name)} | {cell(r.measured)} | {cell(r.target)} | {_margin_text(r)} | {r.status} |"
        for r in rows
    ]
    return "\n".join(lines)


ROOT = Path(__file__).resolve().parents[1]


def run_probe(module: str, timeout: float = 600) -> dict[str, Any]:
    """Run ``python -m module`` in a fresh process and parse the JSON it prints.

    Raises RuntimeError with the probe's last line of output when it fails.
    """
    done = subprocess.run(
        [sys.executable, "-m", module],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"{module} failed ({done.returncode}): {tail[0]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result
