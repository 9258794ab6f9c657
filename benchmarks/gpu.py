"""Target 7: on a CUDA GPU, the large step against a same-run matmul ceiling, and small trainings.

Skipped without CUDA. The large step is an SAE of d_in 768, d_sae 24576 trained with batch 4096
(on a GPU the Trainer runs its autograd step engine, sae_core/training/autograd_step.py: six
matmuls of 2·B·d_in·d_sae FLOPs); the ceiling is one [B, d_in] × [d_in, d_sae] matmul timed alone, in the
same precision settings. Small trainings (digits) are overhead-bound on a GPU: reported per step.
"""

from __future__ import annotations

import time

import torch

from benchmarks.common import INFO, Row, median, skipped, warm_up
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.training.trainer import Trainer

LARGE = {"d_in": 768, "d_sae": 24576, "batch": 4096}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _seconds_per_call(fn: object, calls: int, device: torch.device) -> float:
    _sync(device)
    start = time.perf_counter()
    for _ in range(calls):
        fn()  # type: ignore[operator]
    _sync(device)
    return (time.perf_counter() - start) / calls


def large_step(
    device: torch.device, d_in: int, d_sae: int, batch: int, calls: int
) -> dict[str, float]:
    """TFLOP/s of the training step and of a lone matmul of the same shape, on ``device``."""
    g = torch.Generator(device=device).manual_seed(0)
    x = torch.randn(4 * batch, d_in, device=device, generator=g)
    cfg = SAEConfig(d_in=d_in, d_sae=d_sae)
    trainer = Trainer(cfg, TrainConfig(batch_size=batch, steps=10**6, device=device.type), x)
    trainer.run(3)
    W = torch.randn(d_in, d_sae, device=device, generator=g)
    xb = x[:batch]
    flops = 2 * batch * d_in * d_sae
    steps, matmuls = [], []
    for _ in range(3):
        steps.append(_seconds_per_call(trainer.step, calls, device))
        matmuls.append(_seconds_per_call(lambda: xb @ W, calls, device))
    step_tflops = 6 * flops / median(steps) / 1e12
    ceiling_tflops = flops / median(matmuls) / 1e12
    return {"step_s": median(steps), "step_tflops": step_tflops, "ceiling_tflops": ceiling_tflops}


def small_training(device: torch.device) -> dict[str, float]:
    ds = load_dataset("digits")
    trainer = Trainer(SAEConfig(d_in=ds.d_in), TrainConfig(device=device.type), ds.x_train)
    trainer.run(5)
    trainer.reset()
    _sync(device)
    start = time.perf_counter()
    trainer.run()
    _sync(device)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "per_step_s": seconds / trainer.step_count}


def run(quick: bool = False) -> list[Row]:
    names = ("7a GPU large step", "7b GPU small training")
    if not torch.cuda.is_available():
        return [
            skipped(names[0], "fraction of the matmul ceiling", "skipped: no CUDA device"),
            skipped(names[1], "time per step", "skipped: no CUDA device"),
        ]
    warm_up()
    device = torch.device("cuda")
    big = large_step(device, **LARGE, calls=3 if quick else 10)
    small = small_training(device)
    fraction = big["step_tflops"] / big["ceiling_tflops"]
    return [
        Row(
            name=names[0],
            measured=f"{fraction:.0%} of the matmul ceiling",
            target="report",
            margin=None,
            status=INFO,
            details=(
                f"{torch.cuda.get_device_name(device)}: d_in {LARGE['d_in']}, d_sae "
                f"{LARGE['d_sae']}, batch {LARGE['batch']}: {big['step_s'] * 1e3:.1f} ms per step "
                f"= {big['step_tflops']:.0f} TFLOP/s; a lone matmul runs at "
                f"{big['ceiling_tflops']:.0f} TFLOP/s (TF32 allowed: "
                f"{torch.backends.cuda.matmul.allow_tf32})",
            ),
        ),
        Row(
            name=names[1],
            measured=f"{small['per_step_s'] * 1e3:.2f} ms per step",
            target="report",
            margin=None,
            status=INFO,
            details=(f"digits default on the GPU: {small['seconds']:.2f} s for the whole run",),
        ),
    ]
