"""Which step engine the Trainer uses (:mod:`sae_core.training.step`), and the buffer layout
it wants.

- the sparse TopK-family step (:mod:`~sae_core.training.sparse_step`) where the code is sparse
  and the dictionary large: at d_in 784, batch 256, k 32 a Trainer step (Adam included) is
  2.6× faster than with the dense step at d_sae 4096 and 3.0–3.3× at d_sae 16 384
  (benchmarks/sparse.py); BatchTopK and Matryoshka take it whenever it covers them (their
  alternative, autograd, is 3–3.5× slower at d_sae 4096);
- else the dense hand-written NumPy step where the method registry says it applies;
- else autograd (any method, tied weights, any device; always with ``fast=False``).

The sparse step runs on CUDA too (tests compare it on the CPU) but is picked on the CPU only
until a GPU measurement says it pays off there.
"""

from __future__ import annotations

import torch

from sae_core import methods
from sae_core.config import SAEConfig
from sae_core.training.autograd_step import AutogradEngine
from sae_core.training.numpy_step import NumpyEngine, numpy_step_applies
from sae_core.training.sparse_step import ENGINE_LAYOUT, SparseEngine, sparse_step_covers

# The dense NumPy step wins on small dictionaries (its five matmuls cost less than the sparse
# step's ~40 small torch ops). Trainer steps, batch 256, one thread, sparse against dense:
# d_in 64, d_sae 256, k 8: 0.79×; d_in 64, d_sae 1024, k 8: 1.34×; d_in 784, d_sae 512, k 32:
# 1.35×; d_in 784, d_sae 1024: 1.68×; d_in 784, d_sae 2048: 1.98×.
MIN_DENSE_WORK = 64 * 1024  # d_in · d_sae from which the sparse step is taken
MAX_K_FRACTION = 0.125  # k ≤ d_sae / 8: denser codes are the dense step's ground


def sparse_step_applies(cfg: SAEConfig, device: torch.device) -> bool:
    """True when the Trainer should train with the sparse step
    (:class:`~sae_core.training.sparse_step.SparseEngine`): it covers the model, the device is
    the CPU, and for TopK the code is sparse and the dictionary large enough to pay off.
    BatchTopK and Matryoshka take it at any size: their alternative, autograd, is slower
    (1.05× and 1.35× at d_in 64, d_sae 128, k 4; 2.3× at d_in 784, d_sae 1024, k 32)."""
    if not sparse_step_covers(cfg, device) or device.type != "cpu":
        return False
    if methods.get(cfg.method).activation == "batchtopk":
        return cfg.k < cfg.d_sae
    return cfg.k <= MAX_K_FRACTION * cfg.d_sae and cfg.d_in * cfg.d_sae >= MIN_DENSE_WORK


EngineClass = type[SparseEngine] | type[NumpyEngine] | type[AutogradEngine]


def choose_engine(
    cfg: SAEConfig, device: torch.device, *, fast: bool = True
) -> tuple[EngineClass, frozenset[str]]:
    """The Trainer's step engine for ``cfg`` on ``device`` and the flat buffer layout it wants:
    the sparse step where it pays off (:func:`sparse_step_applies`), else the dense NumPy step
    where it applies, else autograd (always autograd when ``fast`` is False)."""
    if fast and sparse_step_applies(cfg, device):
        return SparseEngine, ENGINE_LAYOUT
    if fast and numpy_step_applies(cfg, device):
        return NumpyEngine, frozenset()
    return AutogradEngine, frozenset()
