"""Target 8: peak resident memory of MNIST-size training and evaluation (fresh process)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from benchmarks.common import Row, run_probe, skipped, status_of

ROOT = Path(__file__).resolve().parents[1]
LIMIT_MB = 1536.0


def run(quick: bool = False) -> list[Row]:
    name, target = "8 peak RSS, MNIST-size train + evaluate", f"≤ {LIMIT_MB / 1024:g} GB"
    try:
        r = run_probe("benchmarks.memory_probe")
    except (RuntimeError, subprocess.TimeoutExpired, ValueError) as exc:
        return [skipped(name, target, f"probe failed: {exc}")]
    peak = r["after_evaluate_mb"]
    return [
        Row(
            name=name,
            measured=f"{peak:.0f} MB",
            target=target,
            margin=LIMIT_MB / peak,
            status=status_of(peak <= LIMIT_MB),
            details=(
                f"peak RSS (VmHWM) after imports {r['after_imports_mb']:.0f} MB, after loading "
                f"{r['data_mb']:.0f} MB of float32 data {r['after_data_mb']:.0f} MB, after 20 steps "
                f"of a d_sae 1024 SAE {r['after_training_mb']:.0f} MB, after evaluate() with "
                f"probes {peak:.0f} MB; getrusage's ru_maxrss {r['ru_maxrss_mb']:.0f} MB (on Linux "
                "it includes the launching process's peak, carried through fork and exec)",
            ),
        )
    ]
