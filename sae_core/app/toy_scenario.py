"""The scenario "Superposition in two dimensions": the toy model dense and sparse, then an SAE.

Five features in two hidden dimensions (Elhage et al. 2022): at sparsity 0 the toy model keeps
two orthogonal features and drops three; at 0.9 it packs all five into a pentagon. A TopK SAE
(d_sae 16: a width the Train page's slider holds, ≥ 2n) trained on the sparse model's hidden vectors is the model the other pages show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sae_core import methods
from sae_core.analysis.superposition import (
    compute_dimensions_per_feature,
    compute_feature_norms,
    compute_neighbour_angles,
)
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.data.dataset import Dataset
from sae_core.data.toy.config import ToyConfig
from sae_core.data.toy.model import trained_toy
from sae_core.data.toy.source import ToySourceSpec
from sae_core.training.fit import TrainResult, train

N_FEATURES, D_HIDDEN = 5, 2
SAE_WIDTH = 16  # ≥ 2n and on the Train page's width grid, so Train can show the set-up
SPARSITIES = (0.0, 0.9)
REPRESENTED = 0.5  # ‖W_i‖ above this: the feature is represented


def _toy_row(sparsity: float) -> dict[str, Any]:
    W = trained_toy(ToyConfig(n_features=N_FEATURES, d_hidden=D_HIDDEN, sparsity=sparsity)).W
    angles = compute_neighbour_angles(W, REPRESENTED)
    return {
        "model": f"toy model, S = {sparsity:g}",
        "sparsity": sparsity,
        "represented": int((compute_feature_norms(W) >= REPRESENTED).sum()),
        "dims_per_feature": compute_dimensions_per_feature(W),
        "smallest_angle": float(angles.min()) if len(angles) else float("nan"),
    }


@dataclass(frozen=True, kw_only=True)
class ToyScenarioParts:
    """The fields of :class:`sae_core.app.scenarios.ScenarioResult` this scenario fills."""

    table: pd.DataFrame
    headline: dict[str, float]
    conclusion: str
    dataset: Dataset
    show: TrainResult
    data_spec: str
    data_options: dict[str, Any]


def superposition_2d_parts() -> ToyScenarioParts:
    """Two toy models and a TopK SAE on the sparse one's hidden vectors."""
    table = pd.DataFrame([_toy_row(s) for s in SPARSITIES])
    options: dict[str, Any] = {
        "n_features": N_FEATURES,
        "d_hidden": D_HIDDEN,
        "sparsity": SPARSITIES[-1],
    }
    ToySourceSpec(**options)  # checks the options before the data loads
    data = load_dataset("toy", **options)
    sae = SAEConfig(d_in=D_HIDDEN, d_sae=SAE_WIDTH, method=methods.TOPK.name, k=1)
    show = train(sae, data, TrainConfig(epochs=20))
    dense, sparse = table.iloc[0], table.iloc[-1]
    mcc = show.metrics.mcc
    return ToyScenarioParts(
        table=table,
        dataset=data,
        data_spec="toy",
        data_options=options,
        show=show,
        headline={
            "represented (dense)": float(dense["represented"]),
            "represented (sparse)": float(sparse["represented"]),
            "dims per feature (sparse)": float(sparse["dims_per_feature"]),
        },
        conclusion=(
            f"Dense features: {dense['represented']} of {N_FEATURES} represented "
            f"({dense['dims_per_feature']:.2f} dimensions each). Sparse features (S = "
            f"{sparse['sparsity']:g}): {sparse['represented']} represented, "
            f"{sparse['dims_per_feature']:.2f} dimensions each, neighbours at least "
            f"{np.nan_to_num(sparse['smallest_angle']):.0f}° apart. The SAE's decoder "
            f"matches them with MCC {0.0 if mcc is None else mcc:.2f}."
        ),
    )
