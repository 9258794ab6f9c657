"""Run in a fresh process by benchmarks/stream.py: streamed CLI training's peak RSS, as JSON.

    python -m benchmarks.stream_probe FILE.npy STEPS BATCH HIDDEN

Imports everything training needs and trains a tiny model in memory first, so the baseline
high-water mark (VmHWM) holds the interpreter, the libraries and their one-off allocations;
then runs ``train --data FILE.npy --stream`` through the CLI (the scan pass over the whole file,
STEPS streamed steps, the held-out evaluation) and reports the high-water mark again (MB).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time

from benchmarks.memory_probe import peak_mb


def main(path: str, steps: int, batch: int, hidden: int) -> dict[str, float]:
    import torch

    torch.set_num_threads(1)
    from benchmarks.common import warm_up
    from sae_core.analysis.metrics import evaluate  # noqa: F401  (imported: part of the baseline)
    from sae_core.cli.commands import main as cli
    from sae_core.data.streamed import load_streamed  # noqa: F401

    warm_up()
    out = {"baseline_mb": peak_mb()}
    argv = ["train", "--data", path, "--stream", "--steps", str(steps)]
    argv += ["--batch-size", str(batch), "--hidden", str(hidden), "--preprocess", "standardise"]
    argv += ["--json", "--threads", "1"]
    text = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(text):
        status = cli(argv)
    out["seconds"] = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"train failed with status {status}")
    result = json.loads(text.getvalue())
    out["peak_mb"] = peak_mb()
    out["train_seconds"] = result["train_seconds"]
    out["steps"] = result["steps"]
    out["fve"] = result["metrics"]["fve"]
    return out


if __name__ == "__main__":
    file, n_steps, batch_size, d_sae = sys.argv[1], *map(int, sys.argv[2:5])
    json.dump(main(file, n_steps, batch_size, d_sae), sys.stdout)
