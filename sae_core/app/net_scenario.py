"""The scenario "Features inside a network": a TopK SAE on a digit classifier's hidden layer.

``net:digits`` (a small MLP trained on the digits, cached on disk) gives its first hidden
layer's activations; a TopK SAE (k = 8) is trained on them, its reconstruction spliced back into
the network for the loss recovered, and its latents ranked by class purity (the share of the
samples a latent fires on that carry its commonest label) so the card can name one whose top
images to look at on Filters & latents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from sae_core import methods
from sae_core.analysis.steer import changed_count, steer_latent
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.data.dataset import Dataset
from sae_core.training.fit import TrainResult, train

K, D_SAE, EPOCHS = 8, 128, 10
MIN_FIRING = 20  # a latent must fire on this many test samples to be ranked by purity
N_ROWS = 5  # the purest latents listed
N_TOP = 16  # top samples ablated per latent (as on a latent card)


def class_purity(latents: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    """Per latent: DataFrame(latent, fires_on, top_class, purity), purest first.

    latents [n, d_sae], labels [n] int; purity is the commonest label's share of the samples the
    latent fires on (NaN for a dead latent, ranked last).
    """
    firing = latents > 0  # [n, d_sae]
    classes = np.unique(labels)
    counts = np.stack([firing[labels == c].sum(axis=0) for c in classes], axis=1)  # [d_sae, C]
    total = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        purity = np.where(total > 0, counts.max(axis=1) / total, np.nan)
    table = pd.DataFrame(
        {
            "latent": np.arange(latents.shape[1]),
            "fires_on": total.astype(np.int64),
            "top_class": classes[counts.argmax(axis=1)].astype(np.int64),
            "purity": purity,
        }
    )
    return table.sort_values(["purity", "fires_on"], ascending=False, na_position="last")


@dataclass(frozen=True, kw_only=True)
class NetScenarioParts:
    """The fields of :class:`sae_core.app.scenarios.ScenarioResult` this scenario fills."""

    table: pd.DataFrame
    headline: dict[str, float]
    conclusion: str
    dataset: Dataset
    show: TrainResult
    data_spec: str
    data_options: dict[str, Any]
    latent: int  # the purest latent: Filters & latents opens on it


def _latent_rows(result: TrainResult, data: Dataset) -> pd.DataFrame:
    """The purest latents (firing on ≥ MIN_FIRING test samples), with what ablating them does."""
    assert data.y_test is not None and data.readout is not None
    model = result.model
    with torch.no_grad():
        x = torch.as_tensor(data.x_test, dtype=torch.float32)
        latents = model.encode(x).cpu().numpy()
        x_hat = model(x).cpu().numpy()
    W_dec = model.W_dec.detach().cpu().numpy()
    purity = class_purity(latents, data.y_test)
    rows = purity[purity["fires_on"] >= MIN_FIRING].head(N_ROWS).copy()
    changed = []
    for j in rows["latent"]:
        top = np.argsort(-latents[:, j], kind="stable")[:N_TOP]
        top = top[latents[top, j] > 0]
        table = steer_latent(
            data.readout, latents, x_hat, W_dec, int(j), top, 0.0,
            labels=data.y_test, to_raw=data.preprocessing.to_raw,
        )  # fmt: skip
        changed.append(changed_count(table) / max(1, len(table)))
    return rows.assign(changed_when_ablated=changed).reset_index(drop=True)


def net_features_parts() -> NetScenarioParts:
    """net:digits at its defaults, a TopK SAE on its first hidden layer, the purest latents."""
    data = load_dataset("net:digits")
    cfg = SAEConfig(d_in=data.d_in, d_sae=D_SAE, method=methods.TOPK.name, k=K)
    show = train(cfg, data, TrainConfig(epochs=EPOCHS), probe=False)
    table = _latent_rows(show, data)
    m = show.metrics
    recovered = float("nan") if m.loss_recovered is None else float(m.loss_recovered)
    best = table.iloc[0]
    return NetScenarioParts(
        table=table,
        dataset=data,
        data_spec="net:digits",
        data_options={},
        show=show,
        latent=int(best["latent"]),
        headline={
            "loss recovered": recovered,
            "FVE": m.fve,
            "L0": m.l0,
            f"purity of latent #{int(best['latent'])}": float(best["purity"]),
        },
        conclusion=(
            f"Spliced into the classifier in place of its hidden layer, the SAE's reconstruction "
            f"(L0 {m.l0:.1f}, FVE {m.fve:.2f}) recovers {recovered:.0%} of the cross-entropy "
            f"that zeroing the layer loses. Latent #{int(best['latent'])} fires on "
            f"{int(best['fires_on'])} test digits, {float(best['purity']):.0%} of them "
            f"{int(best['top_class'])}s; switched off, it changes the predicted class of "
            f"{float(best['changed_when_ablated']):.0%} of its top samples."
        ),
    )
