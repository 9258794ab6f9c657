r"""Weight decay: ``weight_decay · Σ_W ‖W‖²_F`` over the weight matrices (SAEConfig.weight_decay).

Untied models decay W_enc and W_dec; tied ones have one matrix and count it once, as the
objective shown on the pages says. Both functions return ``Σ_W ‖W‖²_F`` per model **without**
the coefficient: the engines add ``weight_decay · it`` to the loss.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from torch import Tensor

from sae_core.training.numpy_ops import sum_squares


def weight_norms_sq(matrices: Sequence[Tensor]) -> Tensor:
    """Σ ‖W‖²_F per model (torch, differentiable): each W [..., a, b] -> [...]."""
    total = matrices[0].square().sum((-1, -2))
    for W in matrices[1:]:
        total = total + W.square().sum((-1, -2))
    return total


def weight_decay_numpy(
    coef: float, matrices: Sequence[np.ndarray], grads: Sequence[np.ndarray]
) -> np.ndarray:
    """The same sum in NumPy ([N]); adds the gradient of ``coef · Σ‖W‖²``, 2·coef·W, to each
    matching array of ``grads`` in place."""
    total = sum_squares(matrices[0])
    for W in matrices[1:]:
        total = total + sum_squares(W)
    for W, grad in zip(matrices, grads, strict=True):
        grad += np.float32(2 * coef) * W
    return total
