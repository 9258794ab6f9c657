"""Run in a fresh process by benchmarks/memory.py: peak RSS of MNIST-size training, as JSON.

    python -m benchmarks.memory_probe

Loads 60 000 × 784 float32 rows, trains a d_sae 1024 SAE for a few steps and evaluates it
(every metric, probes included); reports the peak resident set size after each stage (MB).

The peak is the kernel's high-water mark of this process's memory (VmHWM in /proc/self/status).
``resource.getrusage``'s ru_maxrss is also reported: on Linux it carries over the launching
process's peak through fork and exec, so it reads high when the benchmark runner that starts
this probe already holds MNIST in memory.
"""

from __future__ import annotations

import json
import resource
import sys

import torch

torch.set_num_threads(1)


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def peak_mb() -> float:
    """VmHWM where /proc exists (Linux), else ru_maxrss."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return maxrss_mb()


def main() -> dict[str, float]:
    from benchmarks.data import mnist_size
    from sae_core.analysis.metrics import evaluate
    from sae_core.config import SAEConfig, TrainConfig
    from sae_core.data.dataset import Dataset
    from sae_core.training.trainer import Trainer

    out = {"after_imports_mb": peak_mb()}
    x, y, _ = mnist_size()
    ds = Dataset(name="mnist-size", x_train=x, x_test=x[:10_000], y_train=y, y_test=y[:10_000])
    out["after_data_mb"] = peak_mb()
    trainer = Trainer(
        SAEConfig(d_in=x.shape[1], d_sae=1024), TrainConfig(batch_size=256, steps=20), x
    )
    trainer.run()
    out["after_training_mb"] = peak_mb()
    metrics = evaluate(trainer.model(), ds, probe=True)
    out["after_evaluate_mb"] = peak_mb()
    out["ru_maxrss_mb"] = maxrss_mb()
    out["fve"] = metrics.fve
    out["data_mb"] = x.nbytes / 2**20
    return out


if __name__ == "__main__":
    json.dump(main(), sys.stdout)
