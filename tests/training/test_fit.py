"""train_sweep's stacks: widths padded together where exact, results equal to single runs
(the oracle: ``train``, one plain Trainer per model), rows in the grid's order."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.data.dataset import Dataset
from sae_core.training.fit import sweep_stacks, train, train_sweep


@pytest.fixture(scope="module")
def data() -> Dataset:
    return load_dataset("digits", max_samples=300)


def _shapes(stacks: list[list[SAEConfig]]) -> list[list[tuple[int, int, float]]]:
    return [[(c.d_sae, c.k, c.lam) for c in stack] for stack in stacks]


def test_widths_of_one_k_share_a_padded_stack() -> None:
    base, tc = SAEConfig(d_in=8, method="topk", k=2), TrainConfig(batch_size=128)
    stacks = sweep_stacks(base, tc, [0.1], d_saes=[16, 32, 24, 4096], ks=[2, 4])
    assert _shapes(stacks) == [
        [(4096, 2, 0.1)],
        [(32, 2, 0.1), (24, 2, 0.1), (16, 2, 0.1)],
        [(4096, 4, 0.1)],
        [(32, 4, 0.1), (24, 4, 0.1), (16, 4, 0.1)],
    ]
    # at 784 inputs a step's fixed cost is worth ~20 latents: 8 seeds × 8 latents of padding
    # would cost more than the trainer it saves
    wide = SAEConfig(d_in=784, d_sae=16)
    assert len(sweep_stacks(wide, tc, [0.1], [16, 24], n_seeds=1)) == 1
    assert len(sweep_stacks(wide, tc, [0.1], [16, 24], n_seeds=8)) == 2


def test_stacks_stay_apart_where_padding_is_not_exact() -> None:
    lams, widths = [0.1, 1.0], [16, 24]
    jump = SAEConfig(d_in=8, method="jumprelu")
    assert len(sweep_stacks(jump, TrainConfig(), lams, widths)) == 2
    resample = TrainConfig(dead_remedy="resample")
    assert len(sweep_stacks(SAEConfig(d_in=8), resample, lams, widths)) == 2
    # AuxK's k would change for a width below aux_k: that width trains alone
    auxk = TrainConfig(dead_remedy="auxk", aux_k=20)
    topk = SAEConfig(d_in=8, method="topk", k=2)
    assert _shapes(sweep_stacks(topk, auxk, [0.1], [16, 24, 32])) == [
        [(32, 2, 0.1), (24, 2, 0.1)],
        [(16, 2, 0.1)],
    ]
    assert len(sweep_stacks(SAEConfig(d_in=8), TrainConfig(), lams, widths)) == 1
    # 960 and 1024 latents would pad cheaply, but 1024 takes the sparse TopK step alone
    sparse = SAEConfig(d_in=64, method="topk", k=8)
    assert _shapes(sweep_stacks(sparse, TrainConfig(batch_size=16), [0.1], [960, 1024])) == [
        [(960, 8, 0.1)],
        [(1024, 8, 0.1)],
    ]


def test_width_sweep_equals_single_runs_in_grid_order(data: Dataset) -> None:
    base = SAEConfig(d_in=data.d_in, d_sae=16)
    tc = TrainConfig(epochs=3, batch_size=32)
    lams, widths, seeds = [0.05, 0.5], [24, 16], [0, 7]
    assert len(sweep_stacks(base, tc, lams, widths)) == 1  # one padded stack of 8 models
    result = train_sweep(base, data, tc, lams=lams, d_saes=widths, seeds=seeds)
    grid = [(h, lam, s) for h in widths for lam in lams for s in seeds]
    table = result.table
    assert list(zip(table["d_sae"], table["lam"], table["seed"], strict=True)) == grid
    assert [(c.d_sae, c.lam) for c in result.configs] == [(h, lam) for h, lam, _ in grid]
    for i, (h, lam, seed) in enumerate(grid):
        alone = train(base.replace(d_sae=h, lam=lam), data, tc.replace(seed=seed), probe=False)
        model = result.models[i]
        assert model.cfg == alone.sae_config
        for name, weight in alone.model.weights().items():
            torch.testing.assert_close(model.weights()[name], weight, atol=1e-5, rtol=0)
        row = result.table.iloc[i]
        assert row["fve"] == pytest.approx(alone.metrics.fve, abs=1e-5)
        assert row["l0"] == pytest.approx(alone.metrics.l0, abs=1e-4)
        assert row["dead_fraction"] == pytest.approx(alone.metrics.dead_fraction)
        mine = result.history[result.history["model"] == i]
        np.testing.assert_allclose(mine["loss"], alone.history["loss"], rtol=1e-4)
        assert mine["step"].tolist() == alone.history["step"].tolist()
