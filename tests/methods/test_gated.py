"""The Gated SAE (sae_core/encoders.py and its registry entry): the encoder against a direct NumPy
forward, the loss's gradients (autograd) against finite differences of a NumPy loss, the
engine's objective, the SAELens ``gated`` export read back, and feature recovery."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file

from sae_core import methods
from sae_core.analysis.recovery import compute_recovery
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.encoders import gated_recon_loss
from sae_core.methods import PenaltyContext
from sae_core.model import SparseAutoencoder, activate, compute_pre_acts, decode_latents
from sae_core.runs.saelens import export_saelens, load_saelens
from sae_core.training.fit import train
from sae_core.training.trainer import Trainer

torch.set_num_threads(1)
D_IN, D_SAE, B, LAM = 4, 5, 7, 0.3
NAMES = ("W_enc", "W_dec", "b_enc", "b_dec", "r_mag", "b_mag")


def random_weights(seed: int = 0) -> dict[str, np.ndarray]:
    """A tiny gated model in float64, b_enc and b_mag such that some gates are shut."""
    rng = np.random.default_rng(seed)
    return {
        "W_enc": rng.normal(size=(D_IN, D_SAE)),
        "W_dec": rng.normal(size=(D_SAE, D_IN)),
        "b_enc": rng.normal(size=D_SAE) * 0.5,
        "b_dec": rng.normal(size=D_IN) * 0.3,
        "r_mag": rng.normal(size=D_SAE) * 0.3,
        "b_mag": rng.normal(size=D_SAE) * 0.3,
    }


def numpy_encode(w: dict[str, np.ndarray], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(π, f) straight from the paper's formulas, W_gate = W_enc, b_gate = b_enc."""
    centred = x - w["b_dec"]
    pi = centred @ w["W_enc"] + w["b_enc"]
    mu = centred @ (np.exp(w["r_mag"]) * w["W_enc"]) + w["b_mag"]
    return pi, (pi > 0) * np.maximum(mu, 0.0)


def numpy_loss(w: dict[str, np.ndarray], x: np.ndarray, frozen: dict[str, np.ndarray]) -> float:
    """‖x − x̂‖² + λ Σ ReLU(π)‖W_dec‖ + ‖x − ReLU(π) W_dec⁰ − b_dec⁰‖², batch means; the last
    term's decoder is the constant ``frozen`` copy (what "detached" means for a derivative)."""
    pi, f = numpy_encode(w, x)
    x_hat = f @ w["W_dec"] + w["b_dec"]
    recon = ((x - x_hat) ** 2).sum(-1).mean()
    norms = np.linalg.norm(w["W_dec"], axis=-1)
    penalty = (np.maximum(pi, 0) * norms).sum(-1).mean()
    via_gate = np.maximum(pi, 0) @ frozen["W_dec"] + frozen["b_dec"]
    aux = ((x - via_gate) ** 2).sum(-1).mean()
    return float(recon + LAM * penalty + aux)


def torch_loss(w: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The registry's loss, assembled as the autograd engine does."""
    cfg = SAEConfig(d_in=D_IN, d_sae=D_SAE, method="gated", lam=LAM)
    method = methods.get("gated")
    pre = compute_pre_acts(x, w["W_enc"], w["b_enc"], w["b_dec"])
    extras = {"r_mag": w["r_mag"], "b_mag": w["b_mag"]}
    latents = activate(pre, cfg, {**extras, "b_enc": w["b_enc"]}, training=True)
    x_hat = decode_latents(latents, w["W_dec"], w["b_dec"])
    context = PenaltyContext(
        x=x,
        pre_acts=pre,
        latents=latents,
        x_hat=x_hat,
        W_enc=w["W_enc"],
        W_dec=w["W_dec"],
        params=extras,
        cfg=cfg,
        b_dec=w["b_dec"],
    )
    plain = (x_hat - x).square().sum(-1).mean(-1)
    return method.compute_recon(context, plain) + LAM * method.compute_penalty(context)


def test_gated_encoder_equals_the_papers_formula_in_numpy() -> None:
    w = random_weights()
    x = np.random.default_rng(1).normal(size=(50, D_IN))
    cfg = SAEConfig(d_in=D_IN, d_sae=D_SAE, method="gated")
    model = SparseAutoencoder(cfg, {k: torch.tensor(v, dtype=torch.float32) for k, v in w.items()})
    pi, expected = numpy_encode(w, x)
    assert (pi > 0).any() and (pi <= 0).any()  # both branches of the gate are exercised
    got = model.encode(torch.tensor(x, dtype=torch.float32)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_gated_gradients_equal_finite_differences_of_the_numpy_loss() -> None:
    w = random_weights(2)
    x = np.random.default_rng(3).normal(size=(B, D_IN))
    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in w.items()}
    torch_loss(leaves, torch.tensor(x)).backward()
    frozen = {"W_dec": w["W_dec"].copy(), "b_dec": w["b_dec"].copy()}
    assert torch_loss(leaves, torch.tensor(x)).item() == pytest.approx(numpy_loss(w, x, frozen))
    h = 1e-6
    for name in NAMES:
        grad = leaves[name].grad
        assert grad is not None
        for index in np.ndindex(w[name].shape):
            up = {k: v.copy() for k, v in w.items()}
            down = {k: v.copy() for k, v in w.items()}
            up[name][index] += h
            down[name][index] -= h
            fd = (numpy_loss(up, x, frozen) - numpy_loss(down, x, frozen)) / (2 * h)
            assert float(grad[index]) == pytest.approx(fd, rel=1e-4, abs=1e-6), (name, index)


def test_the_frozen_gate_term_sends_no_gradient_to_the_decoder() -> None:
    w = {k: torch.tensor(v, requires_grad=True) for k, v in random_weights(4).items()}
    x = torch.randn(B, D_IN, dtype=torch.float64)
    pre = x @ w["W_enc"] + w["b_enc"]  # π without b_dec, so b_dec enters only the frozen term
    x_hat = torch.zeros_like(x)  # the plain term contributes nothing to the decoder here
    gated_recon_loss(x, x_hat, pre, w["W_dec"], w["b_dec"]).backward()
    assert w["W_dec"].grad is None and w["b_dec"].grad is None
    assert w["W_enc"].grad is not None and w["W_enc"].grad.abs().sum() > 0  # the gate learns


def test_the_training_engine_computes_the_same_objective_as_numpy() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(64, D_IN)).astype(np.float32)
    cfg = SAEConfig(d_in=D_IN, d_sae=D_SAE, method="gated", lam=LAM)
    trainer = Trainer(cfg, TrainConfig(steps=2, batch_size=B, device="cpu"), x)
    weights = trainer.model(0).weights()
    batch = torch.tensor(x[:B])
    objective = trainer.engine.objective(batch, trainer.lams, None)  # type: ignore[attr-defined]
    w = {k: v.double().numpy() for k, v in weights.items()}
    frozen = {"W_dec": w["W_dec"], "b_dec": w["b_dec"]}
    assert float(objective.loss[0].detach()) == pytest.approx(
        numpy_loss(w, x[:B], frozen), rel=1e-5
    )


def test_gated_keeps_its_decoder_rows_at_unit_norm_while_training() -> None:
    data = load_dataset("synthetic", n_features=12, d_in=D_IN * 2, mean_active=2, n_samples=256)
    cfg = SAEConfig(d_in=data.d_in, d_sae=D_SAE, method="gated")
    model = train(cfg, data, TrainConfig(steps=20, batch_size=32, device="cpu"), probe=False).model
    norms = model.W_dec.detach().norm(dim=-1)
    torch.testing.assert_close(norms, torch.ones(D_SAE))


def test_gated_exports_to_saelens_gated_and_loads_back(tmp_path: Path) -> None:
    w = random_weights(6)
    cfg = SAEConfig(d_in=D_IN, d_sae=D_SAE, method="gated")
    model = SparseAutoencoder(cfg, {k: torch.tensor(v, dtype=torch.float32) for k, v in w.items()})
    folder = export_saelens(model, tmp_path / "gated")
    saved = json.loads((folder / "cfg.json").read_text())
    assert saved["architecture"] == "gated"
    tensors = load_file(str(folder / "sae_weights.safetensors"))
    assert set(tensors) == {"W_enc", "W_dec", "b_gate", "r_mag", "b_mag", "b_dec"}
    np.testing.assert_array_equal(tensors["b_gate"], w["b_enc"].astype(np.float32))
    x = np.random.default_rng(7).normal(size=(40, D_IN)).astype(np.float32)
    # SAELens's GatedSAE.encode, written out from the exported tensors alone
    centred = x - tensors["b_dec"]
    gate = centred @ tensors["W_enc"] + tensors["b_gate"]
    magnitude = centred @ (tensors["W_enc"] * np.exp(tensors["r_mag"])) + tensors["b_mag"]
    theirs = (gate > 0) * np.maximum(magnitude, 0)
    loaded = load_saelens(folder)
    ours = model.encode(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(loaded.encode(torch.tensor(x)).detach().numpy(), ours, atol=1e-5)
    np.testing.assert_allclose(theirs, ours, atol=1e-5)


def test_gated_recovers_the_true_features_of_synthetic_data() -> None:
    data = load_dataset("synthetic")  # 64 features in 32 dims, ~4 active per sample
    cfg = SAEConfig(d_in=data.d_in, d_sae=128, method="gated", lam=1.0)
    result = train(cfg, data, TrainConfig(device="cpu"), probe=False)
    W_dec = result.model.W_dec.detach().numpy()
    assert compute_recovery(data.features, W_dec).mmcs >= 0.9  # measured 0.965 at L0 ≈ 3


@pytest.mark.parametrize("method", ["gated", "matryoshka"])
def test_stacked_models_match_models_trained_one_by_one(method: str) -> None:
    data = load_dataset("synthetic")
    tc = TrainConfig(steps=60, device="cpu")
    cfgs = [SAEConfig(d_in=32, d_sae=48, method=method, k=4, lam=lam) for lam in (0.1, 1.0)]
    stacked = Trainer(cfgs, tc, data.x_train, seeds=[0, 1])
    stacked.run()
    for i, cfg in enumerate(cfgs):
        alone = Trainer(cfg, tc.replace(seed=i), data.x_train)
        alone.run()
        for name in ("W_dec", "W_enc", *methods.get(method).extra_names):
            torch.testing.assert_close(
                getattr(stacked.model(i), name), getattr(alone.model(), name), atol=2e-5, rtol=1e-4
            )


def test_resampling_a_dead_gated_latent_resets_its_magnitude_path() -> None:
    data = load_dataset("synthetic")
    cfg = SAEConfig(d_in=32, d_sae=48, method="gated", lam=3.0)
    tc = TrainConfig(steps=30, device="cpu", dead_remedy="resample", dead_window=5)
    trainer = Trainer(cfg, tc, data.x_train)
    trainer.run()
    trainer.steps_since_fired[0, :3] = tc.dead_window  # three latents declared dead
    trainer.params["r_mag"][0, :3] = 0.7
    assert trainer.resample_dead() >= 3
    assert torch.equal(trainer.params["r_mag"][0, :3], torch.zeros(3))
    assert torch.equal(trainer.params["b_mag"][0, :3], torch.zeros(3))
