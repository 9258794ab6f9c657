r"""Classifier loss recovered: splice an SAE's reconstruction into the network it was read from.

SAE_NOTES.md ("Loss recovered"): CE_clean with the layer as it is, CE_zero with the layer
zeroed, CE_SAE with the layer replaced by x̂; loss recovered = (CE_zero − CE_SAE) /
(CE_zero − CE_clean), 1 for a perfect reconstruction, 0 for one no better than zeros.
Shapes: ``h``, ``h_hat`` [n, d] layer activations in the network's own units; ``y`` [n].
"""

from __future__ import annotations

import math

import numpy as np

from sae_core.data.dataset import Dataset
from sae_core.data.readout import Readout

SPLICE_LATEX: dict[str, str] = {
    "loss_recovered": r"\frac{\mathrm{CE}_{\mathrm{zero}} - \mathrm{CE}_{\mathrm{SAE}}}"
    r"{\mathrm{CE}_{\mathrm{zero}} - \mathrm{CE}_{\mathrm{clean}}}",
    "accuracy_with_sae": r"\mathrm{acc} = \frac{1}{n}\#\{\, i : \arg\max_c "
    r"\mathrm{net}_{>\ell}(\hat x_i)_c = y_i \,\}",
}


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    """Mean −log softmax(logits)[y]: logits [n, C], y [n] int -> nats."""
    z = np.asarray(logits, np.float64)
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(y)), y].mean())


def compute_loss_recovered(
    readout: Readout, h: np.ndarray, h_hat: np.ndarray, y: np.ndarray
) -> tuple[float, float]:
    """(loss recovered, accuracy with x̂ spliced in); NaN loss recovered when CE_zero == CE_clean."""
    logits_sae = readout.logits(h_hat)
    ce_clean = cross_entropy(readout.logits(h), y)
    ce_zero = cross_entropy(readout.logits(np.zeros_like(h)), y)
    ce_sae = cross_entropy(logits_sae, y)
    gap = ce_zero - ce_clean
    recovered = (ce_zero - ce_sae) / gap if gap != 0 else math.nan
    return recovered, float(np.mean(logits_sae.argmax(axis=1) == y))


def dataset_loss_recovered(
    dataset: Dataset, x: np.ndarray, x_hat: np.ndarray, y: np.ndarray | None
) -> dict[str, float]:
    """``loss_recovered`` and ``accuracy_with_sae`` for a network's activations, else {}.

    ``x``, ``x_hat`` are in model units; the dataset's preprocessing is undone before splicing.
    """
    if dataset.readout is None or y is None:
        return {}
    to_raw = dataset.preprocessing.to_raw
    recovered, accuracy = compute_loss_recovered(dataset.readout, to_raw(x), to_raw(x_hat), y)
    return {"loss_recovered": recovered, "accuracy_with_sae": accuracy}
