"""JumpReLU and BatchTopK (sae_core/encoders.py and their registry entries): forward values
against NumPy, straight-through gradients against hand-computed and finite-difference oracles,
the thresholds in training, stacked == single runs, and feature recovery on synthetic data."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sae_core import encoders
from sae_core.analysis.recovery import compute_recovery
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.data.dataset import Dataset
from sae_core.errors import ConfigError
from sae_core.methods import JUMPRELU_INIT_THRESHOLD
from sae_core.model import SparseAutoencoder
from sae_core.training.fit import train
from sae_core.training.trainer import Trainer
from tests.helpers.models import random_model

torch.set_num_threads(1)
EPS = 0.05
# A hand-checkable 2×2 case: z [B=2, d_sae=2], θ [2]. (z − θ)/ε = [[0.4, 0.4], [−0.4, 8]], so
# the kernel K is 1 except at z[1, 1] (far above its threshold).
Z = torch.tensor([[0.30, 0.12], [0.26, 0.50]], dtype=torch.float64)
THETA = torch.tensor([0.28, 0.10], dtype=torch.float64)


@pytest.fixture(scope="module")
def synthetic() -> Dataset:
    return load_dataset("synthetic")  # 64 features in 32 dims, ~4 active per sample


# --- JumpReLU


def test_jumprelu_forward_equals_numpy() -> None:
    z = torch.randn(50, 7, generator=torch.Generator().manual_seed(0))
    theta = torch.rand(7, generator=torch.Generator().manual_seed(1)) * 0.5
    expected = np.where(z.numpy() > theta.numpy(), z.numpy(), 0.0)
    np.testing.assert_array_equal(encoders.jumprelu(z, theta, EPS).numpy(), expected)


def test_jumprelu_gradients_match_the_hand_computed_2x2_case() -> None:
    z, theta = Z.clone().requires_grad_(True), THETA.clone().requires_grad_(True)
    f = encoders.jumprelu(z, theta, EPS)
    torch.testing.assert_close(f.detach(), torch.tensor([[0.30, 0.12], [0.0, 0.50]]).double())
    f.sum().backward()
    # ∂f/∂z = H(z − θ); ∂Σf/∂θ_j = −(θ_j/ε) Σ_b K: θ_0 has 2 samples in its window, θ_1 one
    torch.testing.assert_close(z.grad, torch.tensor([[1.0, 1.0], [0.0, 1.0]]).double())
    torch.testing.assert_close(theta.grad, torch.tensor([-0.28 / EPS * 2, -0.10 / EPS]).double())


def test_l0_pseudo_gradient_matches_the_hand_computed_2x2_case() -> None:
    z, theta = Z.clone().requires_grad_(True), THETA.clone().requires_grad_(True)
    l0 = encoders.jumprelu_l0(z, theta, EPS)  # mean over the batch of Σ_j H
    assert float(l0.detach()) == pytest.approx(1.5)
    l0.backward()
    assert z.grad is not None and not z.grad.any()  # the L0 term reaches only θ
    torch.testing.assert_close(theta.grad, torch.tensor([-2 / EPS / 2, -1 / EPS / 2]).double())


def smoothed_l0(z: torch.Tensor, theta: torch.Tensor, eps: float) -> torch.Tensor:
    """Σ_j of H convolved with the rectangle kernel, batch mean: clip((z − θ)/ε + 1/2, 0, 1)."""
    return ((z - theta) / eps + 0.5).clamp(0, 1).sum(-1).mean(-1)


def test_l0_pseudo_gradient_equals_a_finite_difference_of_the_smoothed_step() -> None:
    gen = torch.Generator().manual_seed(2)
    z = torch.rand(400, 6, generator=gen, dtype=torch.float64)
    theta = torch.rand(6, generator=gen, dtype=torch.float64) * 0.8 + 0.1
    theta_leaf = theta.clone().requires_grad_(True)
    encoders.jumprelu_l0(z, theta_leaf, EPS).backward()
    h = 1e-7  # far below the kernel's width: the smoothed step is piecewise linear
    for j in range(6):
        up, down = theta.clone(), theta.clone()
        up[j] += h
        down[j] -= h
        fd = (smoothed_l0(z, up, EPS) - smoothed_l0(z, down, EPS)) / (2 * h)
        assert theta_leaf.grad is not None
        assert float(theta_leaf.grad[j]) == pytest.approx(float(fd), rel=1e-5, abs=1e-6)


def test_target_l0_penalty_is_the_quadratic_pull_toward_the_target() -> None:
    cfg = SAEConfig(d_in=2, d_sae=2, method="jumprelu", target_l0=1.0, jumprelu_bandwidth=EPS)
    # batch-mean L0 = 1.5: R = (1.5/1 − 1)² = 0.25
    assert float(encoders.jumprelu_penalty(Z, THETA, cfg)) == pytest.approx(0.25)
    plain = cfg.replace(target_l0=None)
    assert float(encoders.jumprelu_penalty(Z, THETA, plain)) == pytest.approx(1.5)


def test_jumprelu_threshold_moves_in_training_and_stays_positive(synthetic: Dataset) -> None:
    cfg = SAEConfig(d_in=32, d_sae=64, method="jumprelu", target_l0=4)
    trainer = Trainer(cfg, TrainConfig(steps=300, device="cpu"), synthetic.x_train)
    theta0 = trainer.params["threshold"].clone()
    assert torch.all(theta0 == JUMPRELU_INIT_THRESHOLD)
    trainer.run()
    theta = trainer.params["threshold"][0]
    assert float(theta.mean()) > 5 * JUMPRELU_INIT_THRESHOLD  # it learned; it did not freeze
    assert float(theta.min()) > 0
    assert trainer.model().threshold.requires_grad  # a trained parameter of the model


@pytest.mark.parametrize("method", ["jumprelu", "batchtopk"])
def test_stacked_threshold_models_match_models_trained_one_by_one(
    method: str, synthetic: Dataset
) -> None:
    tc = TrainConfig(steps=60, device="cpu")
    cfgs = [SAEConfig(d_in=32, d_sae=48, method=method, k=4, lam=lam) for lam in (0.01, 0.1)]
    stacked = Trainer(cfgs, tc, synthetic.x_train, seeds=[0, 1])
    stacked.run()
    for i, cfg in enumerate(cfgs):
        alone = Trainer(cfg, tc.replace(seed=i), synthetic.x_train)
        alone.run()
        for name in ("W_dec", "threshold"):
            torch.testing.assert_close(
                getattr(stacked.model(i), name), getattr(alone.model(), name), atol=2e-5, rtol=1e-4
            )


def test_resampling_puts_a_resampled_latents_threshold_back_to_its_start(
    synthetic: Dataset,
) -> None:
    cfg = SAEConfig(d_in=32, d_sae=32, method="jumprelu", lam=0.1)
    tc = TrainConfig(steps=20, device="cpu", dead_remedy="resample", dead_window=5)
    trainer = Trainer(cfg, tc, synthetic.x_train)
    trainer.run()
    trainer.params["threshold"].fill_(0.7)
    trainer.steps_since_fired[0, :3] = 10  # three dead latents
    assert trainer.resample_dead() == 3
    theta = trainer.params["threshold"][0]
    assert torch.all(theta[:3] == JUMPRELU_INIT_THRESHOLD) and torch.all(theta[3:] == 0.7)


# --- BatchTopK


def test_batch_topk_keeps_exactly_k_times_b_activations_of_the_batch() -> None:
    pre = torch.randn(3, 40, 16, generator=torch.Generator().manual_seed(0))  # [N, B, d_sae]
    latents = encoders.batch_topk(pre, k=4)
    assert (latents != 0).sum((-2, -1)).tolist() == [4 * 40] * 3
    per_sample = (latents != 0).sum(-1).float()
    assert per_sample.mean() == 4 and per_sample.max() > 4  # k on average, not per sample
    for n in range(3):  # the kept ones are the largest of the batch
        kept = latents[n][latents[n] != 0]
        assert float(kept.min()) >= float(pre[n][latents[n] == 0].max())


def test_batchtopk_uses_its_threshold_at_inference_and_topk_in_training() -> None:
    model = random_model("batchtopk", d_in=6, d_sae=5)
    x = torch.randn(30, 6, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        z = torch.relu(model.pre_acts(x))
        expected = torch.where(z > model.threshold, z, torch.zeros_like(z))
        torch.testing.assert_close(model.encode(x), expected, rtol=0, atol=0)
        trained = encoders.batchtopk_encoder(model.pre_acts(x), {}, model.cfg, training=True)
    assert int((trained != 0).sum()) == model.cfg.k * 30


def test_batchtopk_threshold_update_is_a_running_mean_of_the_smallest_kept_activation() -> None:
    cfg = SAEConfig(d_in=2, d_sae=2, method="batchtopk", k=1)
    params = {"threshold": torch.full((1, 2), -1.0)}  # unset
    encoders.update_batchtopk_threshold(params, torch.tensor([[[0.0, 0.3], [0.2, 0.0]]]), cfg)
    torch.testing.assert_close(params["threshold"], torch.full((1, 2), 0.2))  # first batch: set
    encoders.update_batchtopk_threshold(params, torch.tensor([[[0.5, 0.0], [0.0, 0.4]]]), cfg)
    beta = encoders.THRESHOLD_BETA
    torch.testing.assert_close(
        params["threshold"], torch.full((1, 2), beta * 0.2 + (1 - beta) * 0.4)
    )


def test_batchtopk_threshold_converges_and_is_not_trained_by_gradient(synthetic: Dataset) -> None:
    cfg = SAEConfig(d_in=32, d_sae=64, method="batchtopk", k=4)
    trainer = Trainer(cfg, TrainConfig(steps=2000, device="cpu"), synthetic.x_train)
    trainer.run(1600)  # θ falls while the model learns (0.33 at step 300), then settles (~0.15)
    before = float(trainer.params["threshold"][0, 0])
    trainer.run()
    after = float(trainer.params["threshold"][0, 0])
    assert after > 0 and abs(after - before) < 0.05 * after
    assert torch.all(trainer.params["threshold"] == after)  # one shared θ
    assert trainer.history["l0"].iloc[-1] == pytest.approx(4.0, abs=0.5)  # batch L0 = k
    assert "threshold" in dict(trainer.model().named_buffers())


# --- Learning on the synthetic superposition data (64 features, ~4 active, d_sae 128)


@pytest.mark.parametrize(
    ("method", "options", "remedy"),
    [("jumprelu", {"target_l0": 4}, "none"), ("batchtopk", {"k": 4}, "auxk")],
)
def test_threshold_saes_recover_the_true_features_at_the_true_l0(
    method: str, options: dict, remedy: str, synthetic: Dataset
) -> None:
    cfg = SAEConfig(d_in=32, d_sae=128, method=method, **options)
    result = train(cfg, synthetic, TrainConfig(device="cpu", dead_remedy=remedy), probe=False)
    assert result.metrics.l0 == pytest.approx(4.0, rel=0.2)  # held-out (inference) L0
    W_dec = result.model.W_dec.detach().numpy()
    assert compute_recovery(synthetic.features, W_dec).mmcs >= 0.95


# --- Config


def test_old_configs_without_the_new_fields_still_load() -> None:
    old = {"d_in": 4, "d_sae": 8, "method": "l1", "lam": 0.1, "k": 8, "rho": 0.05}
    cfg = SAEConfig.from_dict(old)
    assert cfg.target_l0 is None and cfg.jumprelu_bandwidth > 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"target_l0": 0}, "target_l0"), ({"target_l0": 9}, "target_l0"),
     ({"jumprelu_bandwidth": 0.0}, "jumprelu_bandwidth")],
)  # fmt: skip
def test_bad_target_l0_or_bandwidth_is_refused_naming_the_field(changes: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=f"{field}="):
        SAEConfig(d_in=4, d_sae=8, method="jumprelu", **changes)


def test_a_jumprelu_model_without_its_threshold_is_refused() -> None:
    model = random_model("jumprelu")
    weights = model.weights()
    del weights["threshold"]
    with pytest.raises(Exception, match="threshold"):
        SparseAutoencoder(model.cfg, weights)
