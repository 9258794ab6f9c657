"""Target 4 (issue 15): data larger than memory, streamed from a memory-mapped ``.npy``.

Writes a 2 GB ``.npy`` (1 000 000 × 512 float32) to a temporary folder (skipped with the reason
when under 5 GB are free), then, in the same run:

- ``4a`` peak RSS: a fresh process trains on it through the CLI (``train --stream``: the one
  scan pass over the whole file, streamed steps, evaluation); its high-water mark beyond the
  baseline after imports must stay ≤ 1 GB (benchmarks/stream_probe.py);
- ``4b`` throughput: the same model trained on the streamed file and on the very same rows held
  in memory (``StreamedData.read`` of every training row), in interleaved chunks of steps; the
  streamed CPU time per step within 20 % of the in-memory one. The file was just written, so
  it sits in the page cache: this measures the streaming's own cost, not a disk's speed.

The file is deleted afterwards.
"""

from __future__ import annotations

import functools
import gc
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT, Row, Sample, skipped, status_of, timed, warm_up

ROWS, D_IN = 1_000_000, 512
MIN_FREE_BYTES = 5 * 1024**3
RSS_LIMIT_MB = 1024.0
MAX_SLOWDOWN = 1.2
HIDDEN, BATCH = 1024, 512
CHUNK_STEPS = 25
NAMES = ("4a streamed training: peak RSS beyond imports", "4b streamed vs in-memory steps/s")
TARGETS = (f"≤ {RSS_LIMIT_MB:.0f} MB", f"streamed time/step ≤ {MAX_SLOWDOWN:g}× in-memory")


def write_npy(path: Path, rows: int, d_in: int, chunk: int = 65_536) -> None:
    """A [rows, d_in] float32 .npy, written in chunks (never held whole): per-column scales and
    offsets, so standardising has work to do."""
    rng = np.random.default_rng(0)
    scale = rng.uniform(0.5, 3.0, d_in).astype(np.float32)
    offset = rng.uniform(-1.0, 1.0, d_in).astype(np.float32)
    header = {"descr": "<f4", "fortran_order": False, "shape": (rows, d_in)}
    with open(path, "wb") as handle:
        np.lib.format.write_array_header_1_0(handle, header)
        for start in range(0, rows, chunk):
            block = rng.standard_normal((min(chunk, rows - start), d_in), dtype=np.float32)
            np.maximum(block, 0.0, out=block)  # activation-like: half zeros
            (block * scale + offset).tofile(handle)


def run(quick: bool = False) -> list[Row]:
    folder = Path(tempfile.gettempdir())
    free = shutil.disk_usage(folder).free
    if free < MIN_FREE_BYTES:
        reason = f"only {free / 1024**3:.1f} GB free in {folder}: needs 5 GB for the 2 GB file"
        return [skipped(n, t, reason) for n, t in zip(NAMES, TARGETS, strict=True)]
    steps = 100 if quick else 400
    return measure(ROWS, D_IN, steps=steps, folder=folder)


def measure(rows: int, d_in: int, *, steps: int, folder: Path) -> list[Row]:
    """Both rows on a [rows, d_in] file written (and deleted) under ``folder``."""
    with tempfile.TemporaryDirectory(dir=folder, prefix="sae-stream-") as tmp:
        path = Path(tmp) / "activations.npy"
        start = time.perf_counter()
        write_npy(path, rows, d_in)
        write_seconds = time.perf_counter() - start
        size_mb = path.stat().st_size / 2**20
        rss = _rss_row(path, steps, size_mb)
        speed = _speed_row(path, steps, size_mb, write_seconds)
    return [rss, speed]


def _rss_row(path: Path, steps: int, size_mb: float) -> Row:
    command = [sys.executable, "-m", "benchmarks.stream_probe", str(path)]
    command += [str(steps), str(BATCH), str(HIDDEN)]
    try:
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False
        )
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise RuntimeError(f"probe failed ({done.returncode}): {tail[0]}")
        r = json.loads(done.stdout)
    except (RuntimeError, subprocess.TimeoutExpired, ValueError) as exc:
        return skipped(NAMES[0], TARGETS[0], str(exc))
    extra = r["peak_mb"] - r["baseline_mb"]
    return Row(
        name=NAMES[0],
        measured=f"{extra:.0f} MB on a {size_mb:.0f} MB file",
        target=TARGETS[0],
        margin=RSS_LIMIT_MB / max(extra, 1.0),
        status=status_of(extra <= RSS_LIMIT_MB),
        details=(
            f"VmHWM {r['baseline_mb']:.0f} MB after imports and a warm-up, {r['peak_mb']:.0f} MB "
            f"after `train --stream --preprocess standardise` ({r['steps']} steps of batch "
            f"{BATCH}, d_sae {HIDDEN}): {r['seconds']:.1f} s in all, {r['train_seconds']:.1f} s "
            f"training; the rest is the scan pass over every row and the evaluation; "
            f"held-out FVE {r['fve']:.3f}",
        ),
    )


def _speed_row(path: Path, steps: int, size_mb: float, write_seconds: float) -> Row:
    from sae_core.config import SAEConfig, TrainConfig
    from sae_core.data.streamed import load_streamed
    from sae_core.training.trainer import Trainer

    warm_up()
    scan, stream = timed(lambda: load_streamed(path, preprocess="standardise"))
    x = stream.read(stream.train_rows)  # the very same training rows, held in memory
    cfg, tc = SAEConfig(d_in=stream.d_in, d_sae=HIDDEN), TrainConfig(steps=10**6, batch_size=BATCH)
    trainers = {"memory": Trainer(cfg, tc, x), "stream": Trainer(cfg, tc, stream)}
    for trainer in trainers.values():  # first steps pay one-off costs (the guard's scale)
        trainer.run(CHUNK_STEPS)
    samples: dict[str, list[Sample]] = {name: [] for name in trainers}
    for _ in range(max(1, steps // CHUNK_STEPS)):
        for name, trainer in trainers.items():  # interleaved: both under the same load
            samples[name].append(timed(functools.partial(trainer.run, CHUNK_STEPS))[0])
    del trainers, x
    gc.collect()
    cpu = {name: sum(s.cpu for s in rows) for name, rows in samples.items()}
    wall = {name: sum(s.wall for s in rows) for name, rows in samples.items()}
    n = CHUNK_STEPS * len(samples["memory"])
    ratio = cpu["stream"] / cpu["memory"]
    return Row(
        name=NAMES[1],
        measured=f"{ratio:.2f}× the in-memory CPU time per step ({n} steps each)",
        target=TARGETS[1],
        margin=MAX_SLOWDOWN / ratio,
        status=status_of(ratio <= MAX_SLOWDOWN),
        details=(
            f"{size_mb:.0f} MB file ({stream.npy.n_rows} × {stream.d_in} float32, written in "
            f"{write_seconds:.1f} s): scan pass (checks + standardise statistics) "
            f"{scan.wall:.1f} s; d_sae {HIDDEN}, batch {BATCH}, one thread: in memory "
            f"{n / cpu['memory']:.1f} steps/s CPU ({n / wall['memory']:.1f} wall), streamed "
            f"{n / cpu['stream']:.1f} steps/s CPU ({n / wall['stream']:.1f} wall, ratio "
            f"{wall['stream'] / wall['memory']:.2f}); blocks of {stream.block_rows} rows, "
            f"{stream.window_blocks} per shuffled window; the file was in the page cache",
        ),
    )
