r"""Ablate or steer one latent and see what the network it was read from now predicts.

x̂ = f W_dec + b_dec is linear in the code f, so scaling latent j by ``factor`` moves x̂ by
(factor − 1) f_j W_dec[j]. The changed x̂ is spliced into the network in place of the layer
(:mod:`sae_core.analysis.splice`) and its predicted class compared with the one x̂ gives.
``factor`` 0 ablates the latent, 1 changes nothing, > 1 steers towards its atom.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from sae_core.data.readout import Readout

STEER_COLUMNS: tuple[str, ...] = ("sample", "label", "predicted_sae", "predicted_changed")


def steer_latent(
    readout: Readout,
    latents: np.ndarray,
    x_hat: np.ndarray,
    W_dec: np.ndarray,
    j: int,
    samples: np.ndarray,
    factor: float,
    *,
    labels: np.ndarray | None = None,
    to_raw: Callable[[np.ndarray], np.ndarray] | None = None,
) -> pd.DataFrame:
    """Predicted classes of ``samples`` with x̂ spliced in, before and after scaling latent ``j``.

    latents [n, d_sae], x_hat [n, d] and W_dec [d_sae, d] in model units, samples [m] int
    row indices, labels [n] or None; ``to_raw`` maps model units to the network's own (the
    dataset's preprocessing undone), identity when None. Returns DataFrame(sample, label
    (−1 without labels), predicted_sae, predicted_changed), one row per sample, in order.
    """
    if factor < 0 or not np.isfinite(factor):
        raise ValueError(f"factor={factor!r}: choose a finite factor ≥ 0 (0 ablates)")
    idx = np.asarray(samples, np.int64)
    raw = to_raw if to_raw is not None else (lambda a: a)
    base = np.asarray(x_hat[idx], np.float64)
    f_j = np.asarray(latents[idx, j], np.float64)[:, None]
    changed = base + (factor - 1.0) * f_j * np.asarray(W_dec[j], np.float64)[None, :]
    before = readout.logits(raw(base)).argmax(axis=1)
    after = readout.logits(raw(changed)).argmax(axis=1)
    label = np.full(len(idx), -1, np.int64) if labels is None else np.asarray(labels)[idx]
    return pd.DataFrame(
        {
            "sample": idx,
            "label": label.astype(np.int64),
            "predicted_sae": before.astype(np.int64),
            "predicted_changed": after.astype(np.int64),
        }
    )


def changed_count(table: pd.DataFrame) -> int:
    """How many rows of a :func:`steer_latent` table change class."""
    return int((table["predicted_sae"] != table["predicted_changed"]).sum())
