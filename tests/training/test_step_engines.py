"""The hand-written step gives autograd's loss and gradients, and the Trainer uses it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import Tensor

from sae_core.config import SAEConfig, TrainConfig
from sae_core.training.flat_adam import FlatAdam, make_flat_adam
from sae_core.training.numpy_step import NumpyAuxK, forward_backward_numpy, top_k_mask
from sae_core.training.torch_step import (
    PARAM_ORDER,
    AuxK,
    fast_step_applies,
    flatten_params,
    forward_backward,
    views_like,
)
from sae_core.training.trainer import Trainer

D_IN, D_SAE, BATCH = 12, 20, 16


def random_params(n_models: int, seed: int = 0) -> dict[str, Tensor]:
    g = torch.Generator().manual_seed(seed)
    shapes = {
        "W_enc": (n_models, D_IN, D_SAE),
        "W_dec": (n_models, D_SAE, D_IN),
        "b_enc": (n_models, D_SAE),
        "b_dec": (n_models, D_IN),
    }
    # Biases around 0 so that some latents fire and some do not.
    return {name: torch.randn(shape, generator=g) * 0.3 for name, shape in shapes.items()}


def autograd_loss(
    x: Tensor, p: dict[str, Tensor], cfg: SAEConfig, lam: Tensor, auxk: AuxK | None
) -> Tensor:
    """The objective written out plainly per model, summed over models (the oracle)."""
    total = x.new_zeros(())
    for i in range(lam.shape[0]):
        xi = x if x.ndim == 2 else x[i]
        pre = (xi - p["b_dec"][i]) @ p["W_enc"][i] + p["b_enc"][i]
        f = torch.relu(pre)
        if cfg.method == "topk":
            top = f.topk(cfg.k, dim=-1)
            f = torch.zeros_like(f).scatter(-1, top.indices, top.values)
        x_hat = f @ p["W_dec"][i] + p["b_dec"][i]
        loss = (x_hat - xi).square().sum(-1).mean()
        penalty = {"l1": f.abs().sum(-1).mean(), "l2": f.square().sum(-1).mean()}
        loss = loss + lam[i] * penalty.get(cfg.method, 0.0)
        loss = loss + cfg.weight_decay * (
            p["W_enc"][i].square().sum() + p["W_dec"][i].square().sum()
        )
        if auxk is not None and bool(auxk.dead[i].any()):
            masked = torch.where(auxk.dead[i], torch.relu(pre), torch.zeros_like(pre))
            top = masked.topk(min(auxk.k, D_SAE), dim=-1)
            f_aux = torch.zeros_like(pre).scatter(-1, top.indices, top.values)
            residual = (xi - x_hat).detach()
            loss = loss + auxk.coef * (f_aux @ p["W_dec"][i] - residual).square().sum(-1).mean()
        total = total + loss
    return total


def fast_loss(
    engine: str,
    x: Tensor,
    params: dict[str, Tensor],
    grads: dict[str, Tensor],
    cfg: SAEConfig,
    lam: Tensor,
    auxk: AuxK | None,
) -> Tensor:
    """Run one engine's hand-written step (gradients into ``grads``); returns the loss [N]."""
    if engine == "torch":
        return forward_backward(x, params, grads, cfg, lam, auxk=auxk).loss
    aux = None if auxk is None else NumpyAuxK(dead=auxk.dead.numpy(), k=auxk.k, coef=auxk.coef)
    res = forward_backward_numpy(
        x.numpy(),
        {n: t.numpy() for n, t in params.items()},
        {n: t.numpy() for n, t in grads.items()},
        cfg,
        lam.numpy(),
        auxk=aux,
    )
    assert res.loss.dtype == np.float32
    return torch.from_numpy(res.loss)


def compare_with_autograd(
    cfg: SAEConfig, n_models: int, shared_x: bool, auxk: AuxK | None = None
) -> None:
    """Both engines' loss and gradients equal autograd's on random weights and inputs."""
    params = random_params(n_models)
    g = torch.Generator().manual_seed(1)
    shape = (BATCH, D_IN) if shared_x else (n_models, BATCH, D_IN)
    x = torch.randn(shape, generator=g)
    lam = torch.linspace(0.05, 0.5, n_models)
    leaves = {name: t.clone().requires_grad_(True) for name, t in params.items()}
    expected = autograd_loss(x, leaves, cfg, lam, auxk)
    expected.backward()
    for engine in ("torch", "numpy"):
        grads = {name: torch.full_like(t, float("nan")) for name, t in params.items()}
        loss = fast_loss(engine, x, params, grads, cfg, lam, auxk)
        torch.testing.assert_close(loss.sum(), expected.detach(), rtol=1e-5, atol=1e-5)
        for name in PARAM_ORDER:
            torch.testing.assert_close(grads[name], leaves[name].grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("method", ["none", "l1", "l2", "topk"])
def test_fast_gradients_equal_autograd_for_one_model(method: str) -> None:
    compare_with_autograd(SAEConfig(d_in=D_IN, d_sae=D_SAE, method=method, k=4), 1, True)


@pytest.mark.parametrize("method", ["none", "l1", "l2", "topk"])
@pytest.mark.parametrize("shared_x", [True, False])
def test_fast_gradients_equal_autograd_for_three_stacked_models(
    method: str, shared_x: bool
) -> None:
    compare_with_autograd(SAEConfig(d_in=D_IN, d_sae=D_SAE, method=method, k=4), 3, shared_x)


def test_fast_gradients_include_weight_decay() -> None:
    cfg = SAEConfig(d_in=D_IN, d_sae=D_SAE, method="l1", weight_decay=0.01)
    compare_with_autograd(cfg, 2, True)


@pytest.mark.parametrize("n_models", [1, 2])
def test_fast_gradients_include_the_auxk_term_for_dead_latents(n_models: int) -> None:
    dead = torch.zeros(n_models, D_SAE, dtype=torch.bool)
    dead[:, ::3] = True
    auxk = AuxK(dead=dead, k=3, coef=0.5)
    compare_with_autograd(
        SAEConfig(d_in=D_IN, d_sae=D_SAE, method="topk", k=4), n_models, True, auxk
    )


def test_auxk_with_no_dead_latents_adds_nothing() -> None:
    cfg = SAEConfig(d_in=D_IN, d_sae=D_SAE, method="topk", k=4)
    none_dead = AuxK(dead=torch.zeros(1, D_SAE, dtype=torch.bool), k=3, coef=0.5)
    compare_with_autograd(cfg, 1, True, none_dead)


def test_flat_adam_matches_torch_fused_adam_bit_for_bit() -> None:
    g = torch.Generator().manual_seed(0)
    mine = torch.randn(50, generator=g)
    theirs = mine.clone()
    flat_adam = FlatAdam(mine, lr=0.01)
    torch_adam = torch.optim.Adam([theirs], lr=0.01, fused=True)
    for _ in range(5):
        grad = torch.randn(50, generator=g)
        mine.grad, theirs.grad = grad.clone(), grad.clone()
        flat_adam.step()
        torch_adam.step()
        assert torch.equal(mine, theirs)
    assert torch.equal(flat_adam.state[mine]["exp_avg_sq"], torch_adam.state[theirs]["exp_avg_sq"])
    flat_adam.state.clear()  # a restart: the next step is a first step again
    mine.grad = torch.ones(50)
    before = mine.clone()
    flat_adam.step()
    torch.testing.assert_close(before - mine, torch.full((50,), 0.01))  # Adam's first step = lr


def test_make_flat_adam_falls_back_to_torch_optim_without_the_fused_kernel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    flat = torch.zeros(4)
    assert isinstance(make_flat_adam(flat, 0.1), FlatAdam)
    monkeypatch.delattr(torch, "_fused_adam_")
    assert isinstance(make_flat_adam(flat, 0.1), torch.optim.Adam)


def test_flat_views_share_memory_with_the_buffer() -> None:
    params = random_params(2)
    flat, views = flatten_params(params)
    assert flat.numel() == sum(t.numel() for t in params.values())
    for name in PARAM_ORDER:
        assert torch.equal(views[name], params[name])
    views["b_dec"][1, 0] = 7.0
    assert float(flat[-D_IN]) == 7.0
    again = views_like(flat, params)
    assert float(again["b_dec"][1, 0]) == 7.0


def test_top_k_mask_marks_the_k_largest_entries_of_each_row() -> None:
    values = np.random.default_rng(0).random((5, 3, 9)).astype(np.float32)
    mask = top_k_mask(values, 4)
    assert (mask.sum(-1) == 4).all()
    kth_largest = np.sort(values, axis=-1)[..., -4:-3]
    np.testing.assert_array_equal(mask, values >= kth_largest)
    assert top_k_mask(values, 9).all()


def test_fast_step_applies_to_untied_relu_methods_only() -> None:
    tc = TrainConfig()
    for method in ("none", "l1", "l2", "topk"):
        assert fast_step_applies(SAEConfig(d_in=4, method=method, k=2), tc)
    for method in ("kl", "contractive"):
        assert not fast_step_applies(SAEConfig(d_in=4, method=method), tc)
    assert not fast_step_applies(SAEConfig(d_in=4, tied=True), tc)


@pytest.mark.parametrize("engine", ["numpy", "torch"])
@pytest.mark.parametrize(
    ("sae", "train"),
    [
        (SAEConfig(d_in=64, d_sae=32, method="l1", lam=0.1), TrainConfig(steps=25)),
        (
            SAEConfig(d_in=64, d_sae=32, method="topk", k=4, unit_norm_decoder=True),
            TrainConfig(steps=25, dead_remedy="auxk", dead_window=3),
        ),
        (
            SAEConfig(d_in=64, d_sae=32, method="l1", lam=1.0),
            TrainConfig(steps=25, dead_remedy="resample", dead_window=3, resample_every=10),
        ),
    ],
)
def test_trainer_with_the_fast_step_matches_the_autograd_trainer(
    engine: str, sae: SAEConfig, train: TrainConfig
) -> None:
    from sklearn.datasets import load_digits

    x = (load_digits().data[:600] / 16).astype(np.float32)
    fast = Trainer([sae, sae.replace(lam=sae.lam / 2)], train, x, seeds=[0, 1])
    assert fast.fast and fast._fast is not None and fast._fast.use_numpy  # CPU: NumPy
    if engine == "torch":  # the GPU code path, run on the CPU
        fast._fast.use_numpy = fast._host_views = False
    fast.run()
    slow = Trainer([sae, sae.replace(lam=sae.lam / 2)], train, x, seeds=[0, 1], fast=False)
    assert not slow.fast
    slow.run()
    for name in PARAM_ORDER:
        torch.testing.assert_close(
            fast.params[name], slow.params[name].detach(), atol=2e-4, rtol=1e-3
        )
    np.testing.assert_allclose(fast.history["loss"], slow.history["loss"], rtol=1e-3)
