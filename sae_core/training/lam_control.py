r"""The λ controller: a target L0 for methods whose sparsity λ sets (L1, L2, KL, contractive…).

SAE_NOTES.md, "Target L0 for penalty methods": after each step the running L0 (an exponential
mean of the batch L0) is compared with the target and λ moves multiplicatively,

.. math:: \bar L_0 \leftarrow \beta \bar L_0 + (1-\beta) L_0^{batch},\qquad
    \lambda \leftarrow \mathrm{clip}\Big(\lambda\, \exp\big(\eta\,
    \mathrm{clip}\big((\bar L_0 - L_0^{target}) / L_0^{target}, -1, 1\big)\big),
    \lambda_{min}, \lambda_{max}\Big)

so too many active latents raise λ and too few lower it, by the same factor for the same
relative miss whatever λ's scale (λ spans decades between methods and data sets). Choices:

- multiplicative (in log λ), because the L0 that λ buys is roughly linear in log λ;
- the relative miss is clipped to ±1, so one dense early batch (L0 = d_sae against a target of
  4 is a miss of 31) moves λ at most by e^η per step;
- η = 0.03 and β = 0.9 (a 10-step memory): λ moves at most a decade in ~80 steps, so a run
  needs a few hundred. Measured (L1 from λ = 0.1, default schedule): on digits (300 steps)
  targets 4, 8, 16, 32 gave held-out L0 4.2, 8.2, 15.2, 29.8; on 64-feature synthetic data
  (640 steps) targets 2, 3, 4, 8 gave 2.2, 3.2, 4.3, 8.2. A larger η overshoots (the model's L0
  answers a new λ only after Adam has moved the weights); a smaller one does not arrive;
- λ stays in [1e-5, 100]: a method that cannot reach the target pins λ at a bound instead of
  overflowing (L2 barely zeroes codes and a sigmoid's L0 counts every latent: on digits L2 and
  KL at target 8 end at λ = 100 with L0 31 and 128; their L0 is not λ's to set).

One controller drives a stack of N models, each with its own target (None: λ left alone).
Pure torch on [N] tensors; the :class:`~sae_core.training.trainer.Trainer` calls :meth:`update`
after each step (not during the λ warm-up, whose L0 says nothing about the final λ).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True, kw_only=True)
class LamControlSettings:
    """The controller's gain, memory and bounds (module docstring: why these values)."""

    rate: float = 0.03  # η: log λ moves by at most η per step
    smoothing: float = 0.9  # β of the running L0
    lam_min: float = 1e-5
    lam_max: float = 100.0


class LamController:
    """Moves each model's λ toward the value at which its running L0 meets its target.

    ``targets``: one target L0 per model (None leaves that model's λ unchanged).
    """

    def __init__(
        self,
        targets: Sequence[float | None],
        settings: LamControlSettings | None = None,
        device: torch.device | str = "cpu",
    ) -> None:
        self.settings = settings or LamControlSettings()
        values = [math.nan if t is None else float(t) for t in targets]
        self.targets = torch.tensor(values, device=device)  # [N]; nan: not controlled
        self.active = ~torch.isnan(self.targets)  # [N] bool
        self.running_l0: Tensor | None = None  # [N], set by the first update

    def update(self, lams: Tensor, l0: Sequence[float]) -> Tensor:
        """λ after a step whose batch L0 per model was ``l0`` [N]; ``lams`` [N] is not changed."""
        s = self.settings
        batch = torch.tensor(list(l0), dtype=lams.dtype, device=lams.device)
        if self.running_l0 is None:
            self.running_l0 = batch
        else:
            self.running_l0 = s.smoothing * self.running_l0 + (1 - s.smoothing) * batch
        targets = self.targets.to(lams.dtype)
        miss = ((self.running_l0 - targets) / targets).clamp(-1.0, 1.0)
        moved = (lams * torch.exp(s.rate * miss)).clamp(s.lam_min, s.lam_max)
        return torch.where(self.active, moved, lams)


def controller_for(
    targets: Sequence[float | None], device: torch.device | str = "cpu"
) -> LamController | None:
    """A controller for these per-model targets, or None when no model has one."""
    if all(t is None for t in targets):
        return None
    return LamController(targets, device=device)
