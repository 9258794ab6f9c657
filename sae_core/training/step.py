"""The step-engine interface: what the Trainer asks of a training step, and what it gets back.

An engine turns a batch into the loss terms of every stacked model and writes the gradient of
the summed loss into the Trainer's flat gradient buffer (:class:`~sae_core.training.flat_adam.
FlatParams`); the Trainer owns the weights, Adam, the bookkeeping and the history. Three
engines (:mod:`~sae_core.training.engines` picks one):

- :class:`~sae_core.training.autograd_step.AutogradEngine`: any method, tied weights, any device.
- :class:`~sae_core.training.numpy_step.NumpyEngine`: a hand-written forward and backward pass
  in NumPy for untied ReLU methods whose registry entry says ``fast_step`` (CPU only; 2–5×
  faster per step on the small models this app trains, docs/benchmarks.md).
- :class:`~sae_core.training.sparse_step.SparseEngine`: TopK, BatchTopK and Matryoshka from the
  active latents only (untied; CPU by choice, any device by code): 2.6–3.3× faster Trainer
  steps than the NumPy step at d_in 784, d_sae 4096–16 384, k 32 (benchmarks/sparse.py).

All minimise the same objective per model (sum over models for the gradient):
``recon + λ·penalty + weight_decay·Σ‖W‖²_F + aux_coef·aux``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from torch import Tensor


@dataclass(frozen=True, kw_only=True)
class StepResult:
    """One step's loss terms, one float per model (lists of length N), and the fired latents.

    ``loss`` is the whole objective; ``recon`` the squared error summed over d_in (batch mean);
    ``penalty`` R before λ; ``aux`` the AuxK loss before its weight (0 when AuxK is off);
    ``l0`` the mean number of nonzero latents per sample; ``fired`` [N, d_sae] bool: latents
    that were nonzero on at least one sample of the batch. ``latents`` [N, B, d_sae], detached:
    the training latents, for a method's ``update_state`` (None where no method needs them).
    """

    loss: list[float]
    recon: list[float]
    penalty: list[float]
    aux: list[float]
    l0: list[float]
    fired: Tensor
    latents: Tensor | None = None


class StepEngine(Protocol):
    """Computes one step's loss terms and fills the gradient buffer it was built with."""

    def loss_and_grads(self, x: Tensor, lam: Tensor, dead: Tensor | None) -> StepResult:
        """x: [B, d_in] (shared by all models) or [N, B, d_in]; lam: [N] (after warm-up);
        dead: [N, d_sae] bool when AuxK trains dead latents, else None."""
        ...
