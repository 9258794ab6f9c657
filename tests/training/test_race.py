"""The method race: one row per method × target, stacking where shapes allow, k from the target."""

from __future__ import annotations

import pytest
import torch

from sae_core import methods
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.errors import ConfigError
from sae_core.training.race import RACE_COLUMNS, race_groups, race_winners, run_race

torch.set_num_threads(1)
SYNTH = {"n_features": 32, "d_in": 16, "mean_active": 3, "n_samples": 4096}


@pytest.fixture(scope="module")
def race():
    data = load_dataset("synthetic", **SYNTH)
    base = SAEConfig(d_in=16, d_sae=64)
    names = ["l1", "topk", "batchtopk"]
    return run_race(base, data, TrainConfig(epochs=10), method_names=names, targets=[3, 6])


def test_the_table_has_one_row_per_method_and_target_with_every_column(race) -> None:
    table = race.table
    assert tuple(table.columns) == RACE_COLUMNS and len(table) == 6 == len(race.models)
    assert set(table["method"]) == {"l1", "topk", "batchtopk"}
    assert sorted(table.groupby("method")["target_l0"].apply(list).iloc[0]) == [3.0, 6.0]
    assert table["f1"].notna().all() and set(race.history["model"]) == set(range(6))


def test_the_k_family_lands_near_its_targets_and_l1_within_25_percent(race) -> None:
    t = race.table
    topk = t[t["method"] == "topk"]
    assert (topk["l0"] <= topk["target_l0"] + 1e-9).all() and (topk["k"] == topk["target_l0"]).all()
    l1 = t[t["method"] == "l1"]
    assert ((l1["l0"] - l1["target_l0"]).abs() <= 0.25 * l1["target_l0"]).all(), l1
    # BatchTopK: the batch L0 is k exactly in training (held-out L0 follows its threshold θ)
    batch = t.index[t["method"] == "batchtopk"]
    last = race.history.groupby("model")["l0"].last()
    assert last[batch].tolist() == pytest.approx(t.loc[batch, "target_l0"].tolist())


def test_lambda_methods_stack_all_targets_and_the_k_family_trains_apart() -> None:
    base = SAEConfig(d_in=16, d_sae=64)
    groups = race_groups(base, ["l1", "topk", "jumprelu"], [4, 8, 16])
    assert [len(g) for g in groups] == [3, 1, 1, 1, 1, 1, 1]
    assert [c.k for g in groups[1:4] for c in g] == [4, 8, 16]


def test_a_method_a_target_cannot_steer_is_refused() -> None:
    with pytest.raises(ConfigError, match="target L0 does not set"):
        race_groups(SAEConfig(d_in=4), ["none"], [2])


def test_every_sparsity_method_takes_a_target_and_says_how() -> None:
    for m in methods.all_methods():
        assert m.takes_target_l0 == (m.uses_lam or m.uses_k)
        if m.takes_target_l0:
            assert m.target_l0_via in methods.TARGET_L0_VIA
    assert methods.L1.target_l0_via == "lam" and methods.TOPK.target_l0_via == "k"
    assert methods.JUMPRELU.target_l0_via == "own"


def test_a_target_sets_k_for_the_topk_family() -> None:
    assert SAEConfig(d_in=4, d_sae=16, method="topk", k=2, target_l0=5.4).k == 5


def test_winners_name_the_lowest_fvu_per_target(race) -> None:
    winners = race_winners(race.table)
    assert list(winners.index) == [3.0, 6.0] and set(winners) <= {"l1", "topk", "batchtopk"}
