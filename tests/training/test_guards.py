"""The divergence guard: the same verdicts as the plain limit, with E‖x‖² computed only when needed."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from sae_core.training.guards import EXPLODE_FACTOR, DivergenceGuard


def eager_verdicts(x: np.ndarray, steps: list[list[float]]) -> list[bool]:
    """The plain rule, written out: limit = EXPLODE_FACTOR · max(first error, E‖x‖², 1e-6) per
    model, fixed at the first step; a step diverged when any error exceeds its limit."""
    # E‖x‖² as the guard sums it (float32), so that borderline verdicts compare like for like
    energy = float(torch.from_numpy(x).square().sum(1).mean())
    limits = [EXPLODE_FACTOR * max(r, energy, 1e-6) for r in steps[0]]
    return [any(r / lim > 1 for r, lim in zip(recon, limits, strict=True)) for recon in steps]


@pytest.mark.parametrize("scale", [1e-3, 1.0, 30.0])  # E‖x‖² below, near and above the errors
def test_verdicts_match_the_plain_limit_on_random_error_paths(scale: float) -> None:
    rng = np.random.default_rng(int(scale * 1000))
    x = (rng.standard_normal((500, 8)) * scale).astype(np.float32)
    energy = float((x.astype(np.float64) ** 2).sum(1).mean())
    for _ in range(20):
        first = list(rng.uniform(0.01, 2.0, size=3))
        # errors spread over decades around both bounds (the first error's and E‖x‖²'s)
        later = 10 ** rng.uniform(-3, math.log10(EXPLODE_FACTOR * max(energy, 2.0)) + 1, (30, 3))
        steps = [first, *later.tolist()]
        guard = DivergenceGuard(torch.from_numpy(x), lr=0.1)
        verdicts = [guard.problem(r, r, i + 1) is not None for i, r in enumerate(steps)]
        assert verdicts == eager_verdicts(x, steps)


def test_the_data_pass_waits_until_an_error_passes_the_first_steps_bound() -> None:
    x = torch.full((100, 4), 10.0)  # E‖x‖² = 400: far above the errors below
    guard = DivergenceGuard(x, lr=0.1)
    for step in range(1, 50):
        assert guard.problem([1.0], [1.0 + step], step) is None
    assert guard._recon_limit is None  # healthy steps never read all of x
    # past 1e4 × the first error (2) but under 1e4 × E‖x‖²: still healthy, and the limit is set
    assert guard.problem([1.0], [3e4], 50) is None  # the first error was 2
    assert guard._recon_limit == [EXPLODE_FACTOR * 400.0]
    message = guard.problem([1.0], [5e6], 51)
    assert message is not None and "diverged at step 51" in message and "lr=0.1" in message


def test_a_nan_loss_is_reported_before_any_limit() -> None:
    guard = DivergenceGuard(torch.ones(10, 3), lr=0.5)
    message = guard.problem([float("nan")], [1.0], 1)
    assert message is not None and message.startswith("the loss became nan at step 1")
    assert "nothing was trained" in message
