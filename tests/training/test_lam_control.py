"""The λ controller: one hand-computed step, its bounds, and L1 landing on a target L0."""

from __future__ import annotations

import math

import pytest
import torch

from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.training.fit import train
from sae_core.training.lam_control import LamController, LamControlSettings
from sae_core.training.trainer import Trainer

torch.set_num_threads(1)


def test_one_update_matches_the_hand_computed_multiplicative_step() -> None:
    settings = LamControlSettings(rate=0.1, smoothing=0.5)
    control = LamController([8.0, 8.0], settings)
    lams = torch.tensor([0.2, 0.2], dtype=torch.float64)
    # first step: the running L0 is the batch L0 itself
    lams = control.update(lams, [10.0, 6.0])
    assert lams.tolist() == pytest.approx(
        [0.2 * math.exp(0.1 * (10 - 8) / 8), 0.2 * math.exp(0.1 * (6 - 8) / 8)]
    )
    # second step: running L0 = 0.5·10 + 0.5·12 = 11 for model 0
    before = float(lams[0])
    lams = control.update(lams, [12.0, 8.0])
    assert float(lams[0]) == pytest.approx(before * math.exp(0.1 * (11 - 8) / 8))


def test_a_large_miss_moves_lambda_by_at_most_e_to_the_rate_and_stays_in_bounds() -> None:
    settings = LamControlSettings(rate=0.05, lam_max=1.0)
    control = LamController([2.0], settings)
    lams = control.update(torch.tensor([0.5]), [128.0])  # a miss of 63, clipped to 1
    assert float(lams[0]) == pytest.approx(0.5 * math.exp(0.05))
    for _ in range(100):
        lams = control.update(lams, [128.0])
    assert float(lams[0]) == pytest.approx(1.0)


def test_a_model_without_a_target_keeps_its_lambda() -> None:
    control = LamController([None, 4.0])
    lams = control.update(torch.tensor([0.3, 0.3]), [50.0, 50.0])
    assert float(lams[0]) == pytest.approx(0.3) and float(lams[1]) > 0.3


def test_l1_with_target_l0_8_lands_held_out_l0_within_20_percent_on_digits() -> None:
    data = load_dataset("digits")
    cfg = SAEConfig(d_in=data.d_in, method="l1", lam=0.1, target_l0=8)
    result = train(cfg, data, TrainConfig(epochs=20), probe=False)
    assert abs(result.metrics.l0 - 8) <= 0.2 * 8, result.metrics.l0
    # λ's path is the history's lam column, and the model records the λ reached
    assert result.history["lam"].nunique() > 10
    assert result.model.cfg.lam == pytest.approx(result.history["lam"].iloc[-1], rel=0.05)


def test_l1_models_with_different_targets_stack_and_each_meets_its_own() -> None:
    data = load_dataset("digits")
    cfgs = [SAEConfig(d_in=data.d_in, method="l1", target_l0=t) for t in (4, 16)]
    trainer = Trainer(cfgs, TrainConfig(epochs=20), data.x_train)
    trainer.run()
    last = trainer.history.groupby("model")["l0"].apply(lambda s: s.tail(30).mean())
    assert abs(last[0] - 4) <= 0.25 * 4 and abs(last[1] - 16) <= 0.25 * 16
    assert trainer.model(0).cfg.lam > trainer.model(1).cfg.lam  # sparser took a larger λ


def test_the_lambda_warm_up_holds_the_controller_back() -> None:
    data = load_dataset("digits")
    cfg = SAEConfig(d_in=data.d_in, method="l1", lam=0.1, target_l0=8)
    trainer = Trainer(cfg, TrainConfig(epochs=1, lam_warmup_steps=10), data.x_train)
    trainer.run(10)
    assert float(trainer.lams[0]) == pytest.approx(0.1)
