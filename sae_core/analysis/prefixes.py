"""Matryoshka prefixes: how well the first m latents alone reconstruct held-out data.

For each nested prefix size m (``methods.matryoshka_prefixes``), decode with latents j < m only,
``x̂_{≤m} = f[:m] W_dec[:m] + b_dec``, and report FVE = 1 − Σ‖x − x̂_{≤m}‖² / Σ‖x − x̄‖² (the FVE of
SAE_NOTES, :func:`sae_core.analysis.metrics.compute_fve`). The last prefix is the whole model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sae_core import methods
from sae_core.analysis.metrics import compute_fve
from sae_core.model import SparseAutoencoder

PREFIX_COLUMNS: tuple[str, ...] = ("prefix", "latents", "fve")


def model_prefixes(model: SparseAutoencoder) -> tuple[int, ...] | None:
    """The model's prefix sizes, or None when its method has no nested prefixes."""
    cfg = model.cfg
    if "matryoshka_prefixes" not in methods.get(cfg.method).knobs:
        return None
    return methods.matryoshka_prefixes(cfg.d_sae, cfg.matryoshka_prefixes)


def compute_prefix_fve(
    model: SparseAutoencoder, x: np.ndarray, prefixes: tuple[int, ...] | None = None
) -> pd.DataFrame:
    """One row per prefix: ``prefix`` m, ``latents`` ("0–15"), ``fve`` of x̂_{≤m} on x [n, d_in].

    ``prefixes``: default the model's own (empty frame for a method without prefixes).
    """
    prefixes = prefixes or model_prefixes(model)
    if not prefixes:
        return pd.DataFrame(columns=list(PREFIX_COLUMNS))
    latents, _ = model.reconstruct_numpy(x)
    W_dec = model.W_dec.detach().cpu().numpy().astype(np.float64)
    b_dec = model.b_dec.detach().cpu().numpy().astype(np.float64)
    x64 = np.asarray(x, dtype=np.float64)
    rows = []
    x_hat = np.broadcast_to(b_dec, x64.shape).copy()
    start = 0
    for end in prefixes:  # add each block's atoms once
        x_hat += latents[:, start:end].astype(np.float64) @ W_dec[start:end]
        rows.append((end, f"0–{end - 1}", compute_fve(x64, x_hat)))
        start = end
    return pd.DataFrame(rows, columns=list(PREFIX_COLUMNS))
