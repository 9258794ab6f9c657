"""Hidden-size sweeps padded into one stack: each model equals its single run (the oracle is the
plain single-model Trainer), the padding stays exactly zero, and the grouping rule."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.errors import ConfigError
from sae_core.model import init_weights
from sae_core.training.size_sweep import (
    PaddedTrainer,
    engine_for,
    overhead_latents,
    pad_weights,
    pads_exactly,
    width_groups,
)
from sae_core.training.sparse_step import SparseEngine
from sae_core.training.trainer import Trainer

WEIGHT_TOL = 1e-5  # matmuls over the padded width may round differently (BLAS blocking)


@pytest.fixture(scope="module")
def x_train() -> np.ndarray:
    return load_dataset("digits", max_samples=400).x_train


def _alone(cfg: SAEConfig, tc: TrainConfig, x: np.ndarray, seed: int, fast: bool) -> Trainer:
    trainer = Trainer(cfg, tc, x, seeds=[seed], fast=fast)
    trainer.run()
    return trainer


@pytest.mark.parametrize(
    ("method", "k", "fast", "train"),
    [
        ("l1", 8, True, {}),
        # k 2 of 24–40 on batches of 16: latents go dead, so AuxK trains on them
        ("topk", 2, True, {"batch_size": 16, "dead_remedy": "auxk", "aux_k": 8, "dead_window": 2}),
        ("l2", 8, True, {}),
        ("l1", 8, False, {}),  # the autograd engine pads exactly too
    ],
)
def test_each_padded_model_equals_its_single_run(x_train, method, k, fast, train) -> None:
    tc = TrainConfig(epochs=3, batch_size=64).replace(**train)
    settings = [(24, 0.3, 0), (40, 0.05, 1), (32, 0.1, 0)]  # widths, λ and seeds all differ
    cfgs = [
        SAEConfig(d_in=x_train.shape[1], d_sae=h, lam=lam, method=method, k=k)
        for h, lam, _ in settings
    ]
    seeds = [s for _, _, s in settings]
    padded = PaddedTrainer(cfgs, tc, x_train, seeds=seeds, fast=fast)
    padded.run()
    assert padded.params["W_dec"].shape[1] == 40
    if tc.dead_remedy == "auxk":
        assert padded.history["dead_fraction"].max() > 0.1
    for i, cfg in enumerate(cfgs):
        alone = _alone(cfg, tc, x_train, seeds[i], fast)
        got, want = padded.model(i), alone.model(0)
        assert got.cfg == want.cfg
        for name, weight in want.weights().items():
            assert got.weights()[name].shape == weight.shape
            torch.testing.assert_close(got.weights()[name], weight, atol=WEIGHT_TOL, rtol=0)
        mine = padded.history[padded.history["model"] == i].drop(columns="model")
        theirs = alone.history.drop(columns="model")
        assert mine["step"].tolist() == theirs["step"].tolist()
        # the dead fraction counts own latents only: the padding never counts as dead
        assert mine["dead_fraction"].tolist() == pytest.approx(theirs["dead_fraction"].tolist())
        for col in ("loss", "mse", "l0", "lam"):
            np.testing.assert_allclose(mine[col], theirs[col], rtol=1e-4, atol=1e-6)


def test_padding_latents_stay_exactly_zero(x_train) -> None:
    cfgs = [SAEConfig(d_in=x_train.shape[1], d_sae=h) for h in (16, 48)]
    trainer = PaddedTrainer(cfgs, TrainConfig(epochs=2), x_train)
    trainer.run()
    assert float(trainer.params["W_enc"][0][:, 16:].abs().max()) == 0.0
    assert float(trainer.params["W_dec"][0][16:].abs().max()) == 0.0
    assert float(trainer.params["b_enc"][0][16:].abs().max()) == 0.0
    assert float(trainer.params["W_dec"][0][:16].abs().max()) > 0.0
    assert not bool(trainer.dead[0, 16:].any())


def test_initial_weights_are_the_single_runs(x_train) -> None:
    """Each model starts from its own-width draws of its seed, then zeros."""
    cfgs = [SAEConfig(d_in=x_train.shape[1], d_sae=h) for h in (8, 12)]
    trainer = PaddedTrainer(cfgs, TrainConfig(epochs=1), x_train, seeds=[5, 6])
    mean = torch.from_numpy(x_train).mean(0)
    for i, (cfg, seed) in enumerate(zip(cfgs, (5, 6), strict=True)):
        want = init_weights(cfg, torch.Generator().manual_seed(seed), mean)
        got = trainer.model(i).weights()
        for name in ("W_enc", "W_dec", "b_enc", "b_dec"):
            torch.testing.assert_close(got[name], want[name], atol=0, rtol=0)


def test_pad_weights_pads_only_the_latent_axis() -> None:
    cfg = SAEConfig(d_in=3, d_sae=2)
    w = init_weights(cfg, torch.Generator().manual_seed(0))
    padded = pad_weights(w, 5)
    assert padded["W_enc"].shape == (3, 5) and padded["W_dec"].shape == (5, 3)
    assert padded["b_enc"].shape == (5,) and padded["b_dec"].shape == (3,)
    torch.testing.assert_close(padded["W_enc"][:, :2], w["W_enc"])
    assert float(padded["W_dec"][2:].abs().sum()) == 0.0
    with pytest.raises(ConfigError, match="cannot pad"):
        pad_weights(w, 1)


def _cost(groups: list[list[int]], overhead: float, per_width: int = 1) -> float:
    return sum(overhead + per_width * len(g) * max(g) for g in groups)


def test_width_groups_find_the_cheapest_stacks() -> None:
    doubling = [16, 32, 64, 128, 256, 512]
    assert width_groups(doubling, overhead=240) == [[512], [256, 128], [64, 32, 16]]
    assert width_groups(doubling, overhead=0) == [[w] for w in reversed(doubling)]
    assert width_groups(doubling, overhead=10_000) == [sorted(doubling, reverse=True)]
    # 8 models per width pay 8 × the padding
    assert width_groups([64, 96, 128], overhead=240, models_per_width=8) == [[128], [96], [64]]
    assert width_groups([120, 128, 128], overhead=240, models_per_width=8) == [[128, 120]]
    # no other split of the sorted widths into runs costs less (brute force over the cuts)
    widths = [8, 9, 30, 31, 100, 300]
    order = sorted(widths, reverse=True)
    for overhead in (0.0, 5.0, 50.0, 500.0):
        got = _cost(width_groups(widths, overhead, 2), overhead, 2)
        for mask in range(2 ** (len(order) - 1)):
            cuts = [0] + [i + 1 for i in range(len(order) - 1) if mask >> i & 1] + [len(order)]
            split = [order[a:b] for a, b in itertools.pairwise(cuts)]
            assert got <= _cost(split, overhead, 2)
    with pytest.raises(ConfigError, match="overhead"):
        width_groups([8], overhead=-1)
    # digits (64 inputs) is overhead-bound, MNIST (784) far less so
    assert overhead_latents(64, 128) > 200 > 20 > overhead_latents(784, 128)


def test_methods_that_do_not_pad_exactly_are_refused(x_train) -> None:
    tc = TrainConfig(epochs=1)
    d_in = x_train.shape[1]
    assert pads_exactly(SAEConfig(d_in=d_in, method="topk", k=4), tc)
    assert not pads_exactly(SAEConfig(d_in=d_in, method="jumprelu"), tc)
    assert not pads_exactly(SAEConfig(d_in=d_in), tc.replace(dead_remedy="resample"))
    with pytest.raises(ConfigError, match="cannot train widths padded"):
        PaddedTrainer(
            [SAEConfig(d_in=d_in, d_sae=h, method="jumprelu") for h in (8, 16)], tc, x_train
        )
    auxk = tc.replace(dead_remedy="auxk", aux_k=16)
    with pytest.raises(ConfigError, match="aux_k=16 exceeds the narrowest width 8"):
        PaddedTrainer(
            [SAEConfig(d_in=d_in, d_sae=h, method="topk", k=4) for h in (8, 16)], auxk, x_train
        )


def test_one_seed_still_gives_each_width_its_own_batch_order(x_train) -> None:
    """A width's init advances its seed's generator by its own amount, so its batches differ
    from a wider model's of the same seed, exactly as in their single runs."""
    tc = TrainConfig(epochs=2, batch_size=64)
    cfgs = [SAEConfig(d_in=x_train.shape[1], d_sae=h, lam=0.2) for h in (16, 12)]
    padded = PaddedTrainer(cfgs, tc, x_train)  # seeds default to tc.seed for both
    padded.run()
    for i, cfg in enumerate(cfgs):
        want = _alone(cfg, tc, x_train, tc.seed, True).model(0).weights()
        for name, weight in padded.model(i).weights().items():
            torch.testing.assert_close(weight, want[name], atol=WEIGHT_TOL, rtol=0)


def test_the_sparse_topk_engine_pads_exactly_too(x_train) -> None:
    """Widths large enough for the sparse TopK step (d_in · d_sae ≥ 64·1024, k ≤ d_sae/8)."""
    tc = TrainConfig(epochs=1, batch_size=32)
    cfgs = [SAEConfig(d_in=x_train.shape[1], d_sae=h, method="topk", k=8) for h in (1024, 1152)]
    assert engine_for(cfgs[0], tc) is SparseEngine and engine_for(cfgs[1], tc) is SparseEngine
    padded = PaddedTrainer(cfgs, tc, x_train, seeds=[0, 1])
    assert isinstance(padded.engine, SparseEngine)
    padded.run()
    assert float(padded.params["W_dec"][0][1024:].abs().max()) == 0.0
    for i, cfg in enumerate(cfgs):
        want = _alone(cfg, tc, x_train, i, True).model(0).weights()
        for name, weight in padded.model(i).weights().items():
            torch.testing.assert_close(weight, want[name], atol=WEIGHT_TOL, rtol=0)


def test_widths_of_different_step_engines_are_not_padded_together(x_train) -> None:
    tc = TrainConfig(epochs=1, batch_size=16)
    cfgs = [SAEConfig(d_in=64, d_sae=h, method="topk", k=8) for h in (960, 1024)]
    assert engine_for(cfgs[0], tc) is not engine_for(cfgs[1], tc)
    with pytest.raises(ConfigError, match="different step engines"):
        PaddedTrainer(cfgs, tc, x_train)
