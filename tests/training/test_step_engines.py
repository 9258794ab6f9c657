"""Every step engine gives the oracle's loss and gradients, and the Trainer uses them alike.

The oracle is the objective written out plainly per model and differentiated by autograd; the
engines (:mod:`sae_core.training.step`) are checked against it for every fast method, one model
and stacked, with AuxK, weight decay and (for autograd) tied weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import torch
from torch import Tensor

from sae_core import methods
from sae_core.config import SAEConfig, TrainConfig
from sae_core.errors import ConfigError
from sae_core.training.autograd_step import AutogradEngine
from sae_core.training.flat_adam import (
    PARAM_ORDER,
    FlatAdam,
    FlatParams,
    flatten_params,
    make_flat_adam,
    views_like,
)
from sae_core.training.numpy_ops import top_k_mask
from sae_core.training.numpy_step import NumpyEngine, numpy_step_applies
from sae_core.training.step import StepEngine, StepResult
from sae_core.training.trainer import Trainer

D_IN, D_SAE, BATCH = 12, 20, 16
ENGINES: dict[str, type[AutogradEngine] | type[NumpyEngine]] = {
    "autograd": AutogradEngine,
    "numpy": NumpyEngine,
}
FAST_METHODS = [m.name for m in methods.all_methods() if m.fast_step]


@dataclass(frozen=True)
class AuxK:
    dead: Tensor  # [N, d_sae] bool
    k: int
    coef: float


def random_params(n_models: int, seed: int = 0, tied: bool = False) -> dict[str, Tensor]:
    g = torch.Generator().manual_seed(seed)
    shapes = {
        "W_enc": (n_models, D_IN, D_SAE),
        "W_dec": (n_models, D_SAE, D_IN),
        "b_enc": (n_models, D_SAE),
        "b_dec": (n_models, D_IN),
    }
    if tied:
        del shapes["W_enc"]
    # Biases around 0 so that some latents fire and some do not.
    return {name: torch.randn(shape, generator=g) * 0.3 for name, shape in shapes.items()}


def oracle_loss(
    x: Tensor, p: dict[str, Tensor], cfg: SAEConfig, lam: Tensor, auxk: AuxK | None
) -> Tensor:
    """The objective written out plainly per model, summed over models."""
    total = x.new_zeros(())
    for i in range(lam.shape[0]):
        xi = x if x.ndim == 2 else x[i]
        W_enc = p["W_dec"][i].T if cfg.tied else p["W_enc"][i]
        pre = (xi - p["b_dec"][i]) @ W_enc + p["b_enc"][i]
        f = torch.relu(pre)
        if cfg.method == "topk":
            top = f.topk(cfg.k, dim=-1)
            f = torch.zeros_like(f).scatter(-1, top.indices, top.values)
        x_hat = f @ p["W_dec"][i] + p["b_dec"][i]
        loss = (x_hat - xi).square().sum(-1).mean()
        penalty = {"l1": f.abs().sum(-1).mean(), "l2": f.square().sum(-1).mean()}
        loss = loss + lam[i] * penalty.get(cfg.method, 0.0)
        decayed = [p["W_dec"][i]] if cfg.tied else [W_enc, p["W_dec"][i]]
        loss = loss + cfg.weight_decay * sum(W.square().sum() for W in decayed)
        if auxk is not None and bool(auxk.dead[i].any()):
            masked = torch.where(auxk.dead[i], torch.relu(pre), torch.zeros_like(pre))
            top = masked.topk(min(auxk.k, D_SAE), dim=-1)
            f_aux = torch.zeros_like(pre).scatter(-1, top.indices, top.values)
            residual = (xi - x_hat).detach()
            loss = loss + auxk.coef * (f_aux @ p["W_dec"][i] - residual).square().sum(-1).mean()
        total = total + loss
    return total


def engine_step(
    engine: str,
    x: Tensor,
    params: dict[str, Tensor],
    cfg: SAEConfig,
    lam: Tensor,
    auxk: AuxK | None,
) -> tuple[StepResult, dict[str, Tensor]]:
    """One step of ``engine`` on a copy of ``params``: its result and the gradients it wrote."""
    train = (
        TrainConfig(dead_remedy="none")
        if auxk is None
        else TrainConfig(dead_remedy="auxk", aux_k=auxk.k, aux_coef=auxk.coef)
    )
    weights = FlatParams({name: t.clone() for name, t in params.items()}, lr=1e-3)
    weights.grad.fill_(float("nan"))  # an engine must overwrite (or zero) every gradient
    built: StepEngine = ENGINES[engine](cfg, train, weights)
    result = built.loss_and_grads(x, lam, None if auxk is None else auxk.dead)
    return result, weights.grads


def compare_with_oracle(
    engine: str, cfg: SAEConfig, n_models: int, shared_x: bool, auxk: AuxK | None = None
) -> None:
    """The engine's loss and gradients equal the oracle's on random weights and inputs."""
    params = random_params(n_models, tied=cfg.tied)
    g = torch.Generator().manual_seed(1)
    x = torch.randn((BATCH, D_IN) if shared_x else (n_models, BATCH, D_IN), generator=g)
    lam = torch.linspace(0.05, 0.5, n_models)
    leaves = {name: t.clone().requires_grad_(True) for name, t in params.items()}
    expected = oracle_loss(x, leaves, cfg, lam, auxk)
    expected.backward()
    result, grads = engine_step(engine, x, params, cfg, lam, auxk)
    assert len(result.loss) == n_models and result.fired.shape == (n_models, D_SAE)
    torch.testing.assert_close(
        torch.tensor(result.loss).sum(), expected.detach(), rtol=1e-5, atol=1e-5
    )
    for name in params:
        torch.testing.assert_close(grads[name], leaves[name].grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("method", FAST_METHODS)
def test_engine_gradients_equal_the_oracle_for_one_model(engine: str, method: str) -> None:
    compare_with_oracle(engine, SAEConfig(d_in=D_IN, d_sae=D_SAE, method=method, k=4), 1, True)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("method", FAST_METHODS)
@pytest.mark.parametrize("shared_x", [True, False])
def test_engine_gradients_equal_the_oracle_for_three_stacked_models(
    engine: str, method: str, shared_x: bool
) -> None:
    cfg = SAEConfig(d_in=D_IN, d_sae=D_SAE, method=method, k=4)
    compare_with_oracle(engine, cfg, 3, shared_x)


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_gradients_include_weight_decay(engine: str) -> None:
    cfg = SAEConfig(d_in=D_IN, d_sae=D_SAE, method="l1", weight_decay=0.01)
    compare_with_oracle(engine, cfg, 2, True)


@pytest.mark.parametrize("n_models", [1, 2])
def test_autograd_engine_trains_tied_weights_with_the_shared_matrix_decayed_once(
    n_models: int,
) -> None:
    cfg = SAEConfig(d_in=D_IN, d_sae=D_SAE, method="l1", tied=True, weight_decay=0.01)
    compare_with_oracle("autograd", cfg, n_models, True)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("n_models", [1, 2])
def test_engine_gradients_include_the_auxk_term_for_dead_latents(
    engine: str, n_models: int
) -> None:
    dead = torch.zeros(n_models, D_SAE, dtype=torch.bool)
    dead[:, ::3] = True
    auxk = AuxK(dead=dead, k=3, coef=0.5)
    cfg = SAEConfig(d_in=D_IN, d_sae=D_SAE, method="topk", k=4)
    compare_with_oracle(engine, cfg, n_models, True, auxk)


@pytest.mark.parametrize("engine", ENGINES)
def test_auxk_with_no_dead_latents_adds_nothing(engine: str) -> None:
    cfg = SAEConfig(d_in=D_IN, d_sae=D_SAE, method="topk", k=4)
    none_dead = AuxK(dead=torch.zeros(1, D_SAE, dtype=torch.bool), k=3, coef=0.5)
    compare_with_oracle(engine, cfg, 1, True, none_dead)


@pytest.mark.parametrize("engine", ENGINES)
def test_step_result_terms_add_up_to_the_loss_with_aux_before_its_weight(engine: str) -> None:
    cfg = SAEConfig(d_in=D_IN, d_sae=D_SAE, method="topk", k=4, weight_decay=0.0)
    dead = torch.zeros(2, D_SAE, dtype=torch.bool)
    dead[:, 1::2] = True
    auxk = AuxK(dead=dead, k=3, coef=0.25)
    lam = torch.tensor([0.1, 0.2])
    x = torch.randn(BATCH, D_IN, generator=torch.Generator().manual_seed(2))
    result, _ = engine_step(engine, x, random_params(2), cfg, lam, auxk)
    assert all(a > 0 for a in result.aux)
    expected = [
        r + float(lam_i) * p + auxk.coef * a
        for r, p, a, lam_i in zip(result.recon, result.penalty, result.aux, lam, strict=True)
    ]
    np.testing.assert_allclose(result.loss, expected, rtol=1e-6)


def test_both_engines_report_the_same_terms_and_fired_latents() -> None:
    cfg = SAEConfig(d_in=D_IN, d_sae=D_SAE, method="l2")
    x = torch.randn(3, BATCH, D_IN, generator=torch.Generator().manual_seed(3))
    lam = torch.tensor([0.1, 0.2, 0.3])
    auto, _ = engine_step("autograd", x, random_params(3), cfg, lam, None)
    fast, _ = engine_step("numpy", x, random_params(3), cfg, lam, None)
    for field in ("loss", "recon", "penalty", "aux", "l0"):
        np.testing.assert_allclose(getattr(fast, field), getattr(auto, field), rtol=1e-5)
    assert torch.equal(fast.fired, auto.fired)


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


@pytest.mark.parametrize("seed", range(6))
def test_top_k_mask_keeps_what_a_sort_keeps_on_relu_rows_with_ties(seed: int) -> None:
    # Oracle: a stable argsort. ReLU rows full of zeros and repeated positive values (the
    # quantised grid makes ties common); the masked product must equal the sort's exactly.
    rng = np.random.default_rng(seed)
    values = np.maximum(rng.integers(-4, 4, size=(3, 50, 16)), 0).astype(np.float32) / 2
    for k in (1, 3, 5, 15):
        mask = top_k_mask(values, k)
        order = np.argsort(-values, axis=-1, kind="stable")[..., :k]
        expected = np.zeros_like(mask)
        np.put_along_axis(expected, order, True, axis=-1)
        np.testing.assert_array_equal(values * mask, values * expected)
        assert (np.count_nonzero(values * mask, axis=-1) <= k).all()


def test_the_numpy_step_applies_where_the_registry_says_on_the_cpu_untied() -> None:
    cpu = torch.device("cpu")
    for method in methods.all_methods():
        cfg = SAEConfig(d_in=4, method=method.name, k=2)
        assert numpy_step_applies(cfg, cpu) == method.fast_step
    assert {"none", "l1", "l2", "topk"} <= set(FAST_METHODS)
    assert not {"kl", "contractive"} & set(FAST_METHODS)
    assert not numpy_step_applies(SAEConfig(d_in=4, tied=True), cpu)
    assert not numpy_step_applies(SAEConfig(d_in=4), torch.device("cuda"))  # autograd on GPUs


def test_the_numpy_engine_refuses_a_method_it_does_not_cover() -> None:
    cfg = SAEConfig(d_in=D_IN, d_sae=D_SAE, method="kl")
    with pytest.raises(ConfigError, match="autograd"):
        NumpyEngine(cfg, TrainConfig(), FlatParams(random_params(1), lr=1e-3))


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
def test_trainer_with_the_numpy_engine_matches_the_autograd_trainer(
    sae: SAEConfig, train: TrainConfig
) -> None:
    from sklearn.datasets import load_digits

    x = (load_digits().data[:600] / 16).astype(np.float32)
    fast = Trainer([sae, sae.replace(lam=sae.lam / 2)], train, x, seeds=[0, 1])
    assert fast.fast and isinstance(fast.engine, NumpyEngine)  # CPU: NumPy
    fast.run()
    slow = Trainer([sae, sae.replace(lam=sae.lam / 2)], train, x, seeds=[0, 1], fast=False)
    assert not slow.fast and isinstance(slow.engine, AutogradEngine)
    slow.run()
    for name in PARAM_ORDER:
        torch.testing.assert_close(fast.params[name], slow.params[name], atol=2e-4, rtol=1e-3)
    np.testing.assert_allclose(fast.history["loss"], slow.history["loss"], rtol=1e-3)
