"""Target 2: at MNIST size the training step should be its matmuls (≥ 80 % of the step's time).

The hand-written step (sae_core/training/numpy_step.py) does five matmuls of 2·B·d_in·d_sae FLOPs:
encoder forward, decoder forward, the decoder-weight gradient, the latent gradient and the
encoder-weight gradient (the input gradient autograd computes for b_dec reduces to a
matrix-vector product). The floor is those five matmuls timed alone on the same shapes, in
the same run, interleaved with the steps; autograd's step is compared with its own six.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

import numpy as np
import torch

from benchmarks.common import Row, Sample, cpu, cpu_ratio, per_call, status_of, warm_up
from benchmarks.data import mnist_size
from sae_core.config import SAEConfig, TrainConfig
from sae_core.training.trainer import Trainer

SHAPES: tuple[tuple[int, int], ...] = ((256, 256), (256, 1024), (1024, 256), (1024, 1024))
MIN_SHARE = 0.8


def numpy_matmuls(batch: int, d_in: int, d_sae: int) -> Callable[[], None]:
    """The fast step's five matmuls with its operand layouts (outputs written in place)."""
    rng = np.random.default_rng(0)
    x = rng.random((batch, d_in), dtype=np.float32)
    f = rng.random((batch, d_sae), dtype=np.float32)
    W_enc = rng.random((d_in, d_sae), dtype=np.float32)
    W_dec = rng.random((d_sae, d_in), dtype=np.float32)
    g_W_dec = np.empty_like(W_dec)
    g_W_enc = np.empty_like(W_enc)

    def five() -> None:
        pre = x @ W_enc
        err = f @ W_dec
        np.matmul(f.T, err, out=g_W_dec)
        g_pre = err @ W_dec.T
        np.matmul(x.T, g_pre, out=g_W_enc)
        del pre

    return five


def torch_matmuls(batch: int, d_in: int, d_sae: int) -> Callable[[], None]:
    """The six matmuls autograd runs for a two-layer SAE (forward 2, backward 4)."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(batch, d_in, generator=g)
    f = torch.rand(batch, d_sae, generator=g)
    W_enc = torch.rand(d_in, d_sae, generator=g)
    W_dec = torch.rand(d_sae, d_in, generator=g)

    def six() -> None:
        pre = x @ W_enc
        err = f @ W_dec
        _ = f.t() @ err
        g_pre = err @ W_dec.t()
        _ = x.t() @ g_pre
        _ = g_pre @ W_enc.t()
        del pre

    return six


def measure(
    x: np.ndarray, d_sae: int, batch: int, calls: int, repeats: int
) -> dict[str, list[Sample]]:
    """Seconds per step / per matmul set, the four measured in turn ``repeats`` times."""
    cfg = SAEConfig(d_in=x.shape[1], d_sae=d_sae)
    tc = TrainConfig(batch_size=batch, steps=10_000_000)
    fast, slow = Trainer(cfg, tc, x), Trainer(cfg, tc, x, fast=False)
    fast.run(2)
    slow.run(2)
    fns: dict[str, Callable[[], object]] = {
        "fast": fast.step,
        "floor": numpy_matmuls(batch, x.shape[1], d_sae),
        "autograd": slow.step,
        "floor_autograd": torch_matmuls(batch, x.shape[1], d_sae),
    }
    samples: dict[str, list[Sample]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            samples[name].append(per_call(fn, calls))
    return samples


def live_progress(x: np.ndarray, budget_s: float) -> Row:
    """A 3-epoch MNIST-size run reports progress after every step and stops when asked."""
    trainer = Trainer(
        SAEConfig(d_in=x.shape[1], d_sae=256), TrainConfig(batch_size=256, epochs=3), x
    )
    seen: list[tuple[float, float]] = []
    start = time.perf_counter()

    def callback(tr: Trainer) -> bool:
        seen.append((time.perf_counter(), tr.progress))
        return time.perf_counter() - start < budget_s

    trainer.run(callback=callback)
    lag = time.perf_counter() - seen[-1][0]
    gaps = np.diff([start] + [t for t, _ in seen])
    progress = [p for _, p in seen]
    ok = (
        len(seen) == trainer.step_count == len(trainer.history)
        and all(b > a for a, b in itertools.pairwise(progress))
        and not trainer.done
        and lag < 0.05
    )
    return Row(
        name="2e live progress, early stop",
        measured=f"{len(seen)} updates, stopped at {trainer.progress:.0%}",
        target="progress after every step; stop on request",
        margin=None,
        status=status_of(ok),
        details=(
            f"3 epochs × {trainer.steps_per_epoch} steps requested, callback returned False after "
            f"{budget_s:g} s: stopped at step {trainer.step_count} of {trainer.total_steps}, "
            f"{lag * 1e3:.1f} ms after the stop; median gap between updates "
            f"{np.median(gaps) * 1e3:.1f} ms (max {gaps.max() * 1e3:.1f} ms)",
        ),
    )


def run(quick: bool = False) -> list[Row]:
    warm_up()
    x, _, source = mnist_size()
    shapes = SHAPES[:1] if quick else SHAPES
    rows = []
    for index, (d_sae, batch) in enumerate(shapes):
        flops = 2 * batch * x.shape[1] * d_sae
        calls = max(1, int(0.15 / (5 * flops / 60e9)))  # ≈ 0.15 s per sample
        samples = measure(x, d_sae, batch, calls=calls, repeats=2 if quick else 7)
        t = {name: cpu(values) for name, values in samples.items()}
        share = cpu_ratio(samples["floor"], samples["fast"])
        share_ag = cpu_ratio(samples["floor_autograd"], samples["autograd"])
        speedup = cpu_ratio(samples["autograd"], samples["fast"])
        rows.append(
            Row(
                name=f"2{'abcd'[index]} MNIST step d_sae {d_sae}, batch {batch}",
                measured=f"{share:.0%} matmul ({t['fast'] * 1e3:.1f} ms/step)",
                target=f"≥ {MIN_SHARE:.0%} of the step in matmuls",
                margin=share / MIN_SHARE,
                status=status_of(share >= MIN_SHARE),
                details=(
                    f"{source}, L1: hand-written step {t['fast'] * 1e3:.2f} ms, its 5 matmuls "
                    f"{t['floor'] * 1e3:.2f} ms ({5 * flops / t['floor'] / 1e9:.0f} GFLOP/s); "
                    f"autograd step {t['autograd'] * 1e3:.2f} ms, its 6 matmuls "
                    f"{t['floor_autograd'] * 1e3:.2f} ms (share {share_ag:.0%}); hand-written "
                    f"is {speedup:.2f}× faster (CPU time, medians of per-round ratios)",
                ),
            )
        )
    rows.append(live_progress(x, budget_s=0.5 if quick else 1.0))
    return rows
