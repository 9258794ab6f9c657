"""The sparse TopK-family step gives the dense step's and autograd's loss and gradients.

Oracles: the dense hand-written NumPy step (topk) and the autograd engine (every method), on the
same weights and batch; then whole trainings, sparse against the plain path, and the engine the
Trainer picks.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import Tensor

from sae_core import methods
from sae_core.config import SAEConfig, TrainConfig
from sae_core.errors import ConfigError
from sae_core.model import init_weights
from sae_core.training import sparse_ops
from sae_core.training.autograd_step import AutogradEngine
from sae_core.training.engines import choose_engine, sparse_step_applies
from sae_core.training.flat_adam import FlatParams
from sae_core.training.numpy_step import NumpyEngine
from sae_core.training.sparse_step import ENGINE_LAYOUT, SparseEngine, sparse_step_covers
from sae_core.training.step import StepResult
from sae_core.training.trainer import Trainer

D_IN, BATCH = 12, 16
Engine = type[SparseEngine] | type[NumpyEngine] | type[AutogradEngine]


def stacked_weights(cfg: SAEConfig, n_models: int, seed: int = 0) -> dict[str, Tensor]:
    """Seeded initial weights of ``n_models`` models, [N, ...], with biases spread around 0 so
    that some pre-activations are negative (fewer than k positive in some rows)."""
    names = ["W_enc", "W_dec", "b_enc", "b_dec", *methods.get(cfg.method).extra_names]
    inits = [init_weights(cfg, torch.Generator().manual_seed(seed + i)) for i in range(n_models)]
    stacked = {name: torch.stack([w[name] for w in inits]) for name in names}
    g = torch.Generator().manual_seed(99)
    stacked["b_enc"] = torch.randn(stacked["b_enc"].shape, generator=g) * 0.2
    stacked["b_dec"] = torch.randn(stacked["b_dec"].shape, generator=g) * 0.1
    return stacked


def one_step(
    engine: Engine,
    cfg: SAEConfig,
    train: TrainConfig,
    weights: dict[str, Tensor],
    x: Tensor,
    dead: Tensor | None,
    layout: frozenset[str] = frozenset(),
) -> tuple[StepResult, dict[str, Tensor]]:
    """One step of ``engine`` on a copy of ``weights``: its result and the gradients it wrote."""
    flat = FlatParams({n: t.clone() for n, t in weights.items()}, lr=1e-3, transposed=layout)
    flat.grad.fill_(float("nan"))  # an engine must write (or zero) every gradient
    lam = torch.full((weights["W_dec"].shape[0],), 0.1)
    result = engine(cfg, train, flat).loss_and_grads(x, lam, dead)
    return result, {n: g.clone() for n, g in flat.grads.items()}


def assert_same_step(
    a: tuple[StepResult, dict[str, Tensor]], b: tuple[StepResult, dict[str, Tensor]]
) -> None:
    (ra, ga), (rb, gb) = a, b
    for field in ("loss", "recon", "penalty", "aux", "l0"):
        np.testing.assert_allclose(getattr(ra, field), getattr(rb, field), rtol=1e-5, atol=1e-6)
    assert torch.equal(ra.fired, rb.fired)
    assert ga.keys() == gb.keys()
    for name in ga:
        torch.testing.assert_close(ga[name], gb[name], rtol=1e-4, atol=1e-6, msg=name)


def batch_and_dead(
    cfg: SAEConfig, n_models: int, shared_x: bool, auxk: bool
) -> tuple[Tensor, Tensor | None]:
    g = torch.Generator().manual_seed(1)
    shape = (BATCH, D_IN) if shared_x else (n_models, BATCH, D_IN)
    x = torch.rand(shape, generator=g)
    dead = None
    if auxk:
        dead = torch.zeros(n_models, cfg.d_sae, dtype=torch.bool)
        dead[:, ::3] = True
    return x, dead


def as_on_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the sparse step's device-agnostic torch code on the CPU: what CUDA runs (no NumPy or
    SciPy kernels, ``index_copy_``/``embedding_bag`` writes, and ``torch.topk`` selection)."""
    monkeypatch.setattr(sparse_ops, "HOST_KERNELS", False)
    monkeypatch.setattr(
        sparse_ops, "sorted_topk_columns", lambda x, k: x.topk(k, dim=-1).indices.sort(-1).values
    )


def train_config(auxk: bool) -> TrainConfig:
    if auxk:
        return TrainConfig(dead_remedy="auxk", aux_k=5, aux_coef=0.5)
    return TrainConfig(dead_remedy="none")


@pytest.mark.parametrize("n_models", [1, 3])
@pytest.mark.parametrize("shared_x", [True, False])
@pytest.mark.parametrize("auxk", [False, True])
@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_topk_sparse_step_equals_the_dense_numpy_step_and_autograd(
    n_models: int, shared_x: bool, auxk: bool, weight_decay: float
) -> None:
    cfg = SAEConfig(d_in=D_IN, d_sae=40, method="topk", k=4, weight_decay=weight_decay)
    x, dead = batch_and_dead(cfg, n_models, shared_x, auxk)
    weights, train = stacked_weights(cfg, n_models), train_config(auxk)
    sparse = one_step(SparseEngine, cfg, train, weights, x, dead, ENGINE_LAYOUT)
    assert_same_step(sparse, one_step(SparseEngine, cfg, train, weights, x, dead))  # bag path
    assert_same_step(sparse, one_step(NumpyEngine, cfg, train, weights, x, dead))
    assert_same_step(sparse, one_step(AutogradEngine, cfg, train, weights, x, dead))
    if auxk:
        assert min(sparse[0].aux) > 0
    # only the active latents' rows of W_dec's gradient are nonzero (weight decay: all)
    active = sparse[0].fired | (dead if dead is not None else torch.zeros_like(sparse[0].fired))
    zero_rows = (sparse[1]["W_dec"].abs().sum(-1) == 0) & ~active
    assert bool(zero_rows.any()) == (weight_decay == 0.0)


@pytest.mark.parametrize("method", ["batchtopk", "matryoshka"])
@pytest.mark.parametrize("n_models", [1, 2])
@pytest.mark.parametrize("auxk", [False, True])
def test_batch_topk_sparse_steps_equal_autograd(method: str, n_models: int, auxk: bool) -> None:
    cfg = SAEConfig(d_in=D_IN, d_sae=40, method=method, k=3, weight_decay=0.005)
    x, dead = batch_and_dead(cfg, n_models, True, auxk)
    weights, train = stacked_weights(cfg, n_models), train_config(auxk)
    sparse = one_step(SparseEngine, cfg, train, weights, x, dead, ENGINE_LAYOUT)
    auto = one_step(AutogradEngine, cfg, train, weights, x, dead)
    assert_same_step(sparse, auto)
    assert sparse[0].latents is not None and auto[0].latents is not None
    torch.testing.assert_close(sparse[0].latents, auto[0].latents)
    assert torch.equal(sparse[1]["threshold"], torch.zeros_like(sparse[1]["threshold"]))


def test_matryoshka_with_its_own_prefixes_equals_autograd() -> None:
    cfg = SAEConfig(d_in=D_IN, d_sae=40, method="matryoshka", k=4, matryoshka_prefixes=(3, 10, 40))
    x, dead = batch_and_dead(cfg, 1, True, False)
    weights, train = stacked_weights(cfg, 1), train_config(False)
    sparse = one_step(SparseEngine, cfg, train, weights, x, dead)
    auto = one_step(AutogradEngine, cfg, train, weights, x, dead)
    assert_same_step(sparse, auto)
    # the prefix losses weigh the early latents more than the plain reconstruction does
    assert sparse[0].loss[0] > sparse[0].recon[0]


@pytest.mark.parametrize("layout", [frozenset(), ENGINE_LAYOUT])
@pytest.mark.parametrize("d_sae", [24, 400])  # most latents active (rows written whole) or few
@pytest.mark.parametrize("kernels", ["host", "no scipy", "gpu code"])
def test_later_steps_clear_the_rows_an_earlier_step_wrote(
    layout: frozenset[str], d_sae: int, kernels: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if kernels == "no scipy":  # the embedding_bag path, without SciPy's kernel
        monkeypatch.setattr(sparse_ops, "_sparsetools", None)
    elif kernels == "gpu code":
        as_on_a_gpu(monkeypatch)
    cfg = SAEConfig(d_in=D_IN, d_sae=d_sae, method="topk", k=3)
    weights, train = stacked_weights(cfg, 2), train_config(False)
    flat = FlatParams({n: t.clone() for n, t in weights.items()}, lr=1e-3, transposed=layout)
    engine = SparseEngine(cfg, train, flat)
    lam = torch.zeros(2)
    g = torch.Generator().manual_seed(5)
    for _ in range(3):  # each batch selects other latents
        x = torch.rand(BATCH, D_IN, generator=g)
        engine.loss_and_grads(x, lam, None)
        fresh = one_step(AutogradEngine, cfg, train, weights, x, None)[1]
        for name, grad in flat.grads.items():
            torch.testing.assert_close(grad, fresh[name], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("method", ["topk", "batchtopk", "matryoshka"])
@pytest.mark.parametrize("auxk", [False, True])
def test_the_code_a_gpu_runs_gives_the_same_step(
    method: str, auxk: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The device-agnostic path (index_copy_, embedding_bag, torch.topk; no NumPy or SciPy)
    against the CPU kernels and autograd, in both buffer layouts."""
    cfg = SAEConfig(d_in=D_IN, d_sae=60, method=method, k=3)
    x, dead = batch_and_dead(cfg, 2, True, auxk)
    weights, train = stacked_weights(cfg, 2), train_config(auxk)
    host = one_step(SparseEngine, cfg, train, weights, x, dead, ENGINE_LAYOUT)
    auto = one_step(AutogradEngine, cfg, train, weights, x, dead)
    as_on_a_gpu(monkeypatch)
    for layout in (ENGINE_LAYOUT, frozenset()):
        gpu_code = one_step(SparseEngine, cfg, train, weights, x, dead, layout)
        assert_same_step(gpu_code, host)
        assert_same_step(gpu_code, auto)


def test_a_transposed_buffer_holds_the_same_weights_and_adam_moves_them_alike() -> None:
    cfg = SAEConfig(d_in=D_IN, d_sae=20, method="topk", k=3)
    weights = stacked_weights(cfg, 2)
    plain = FlatParams({n: t.clone() for n, t in weights.items()}, lr=0.01)
    swapped = FlatParams({n: t.clone() for n, t in weights.items()}, lr=0.01, transposed={"W_enc"})
    assert not swapped.params["W_enc"].is_contiguous()
    assert swapped.params["W_enc"].transpose(-1, -2).is_contiguous()
    g = torch.Generator().manual_seed(3)
    for _ in range(3):
        for name in weights:
            grad = torch.randn(weights[name].shape, generator=g)
            plain.grads[name].copy_(grad)
            swapped.grads[name].copy_(grad)
        plain.optimizer.step()
        swapped.optimizer.step()
    for name in weights:
        assert torch.equal(plain.params[name], swapped.params[name])
    for a, b in zip(plain.adam_moments(), swapped.adam_moments(), strict=True):
        for name in weights:
            assert torch.equal(a[name], b[name])


def test_the_sparse_engine_refuses_what_it_does_not_cover() -> None:
    cpu = torch.device("cpu")
    covered = {
        m.name
        for m in methods.all_methods()
        if sparse_step_covers(SAEConfig(d_in=4, method=m.name, k=2), cpu)
    }
    assert covered == {"topk", "batchtopk", "matryoshka"}
    assert not sparse_step_covers(SAEConfig(d_in=4, method="topk", k=2, tied=True), cpu)
    cfg = SAEConfig(d_in=D_IN, d_sae=20, method="l1")
    with pytest.raises(ConfigError, match="sparse step does not cover"):
        SparseEngine(cfg, TrainConfig(), FlatParams(stacked_weights(cfg, 1), lr=1e-3))


def test_the_trainer_picks_the_sparse_step_where_it_pays_off() -> None:
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    big = SAEConfig(d_in=784, d_sae=4096, method="topk", k=32)
    assert choose_engine(big, cpu) == (SparseEngine, ENGINE_LAYOUT)
    assert choose_engine(big, cpu, fast=False)[0] is AutogradEngine
    assert choose_engine(big, cuda)[0] is AutogradEngine  # not measured on a GPU yet
    assert choose_engine(big.replace(k=1024), cpu)[0] is NumpyEngine  # a dense code
    assert choose_engine(SAEConfig(d_in=64, d_sae=128, method="topk", k=4), cpu)[0] is NumpyEngine
    for method in ("batchtopk", "matryoshka"):
        assert sparse_step_applies(SAEConfig(d_in=64, d_sae=128, method=method, k=4), cpu)
    assert choose_engine(SAEConfig(d_in=64, d_sae=128, method="jumprelu"), cpu)[0] is AutogradEngine


def digits_like(n: int, d_in: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    atoms = rng.random((40, d_in)).astype(np.float32)
    codes = (rng.random((n, 40)) < 0.1) * rng.random((n, 40))
    return (codes @ atoms).astype(np.float32)


def test_training_with_the_sparse_step_gives_the_dense_steps_weights() -> None:
    cfg = SAEConfig(d_in=128, d_sae=8192, method="topk", k=4)
    tc = TrainConfig(steps=20, batch_size=64, dead_remedy="auxk", dead_window=4, lr=3e-3)
    x = digits_like(512, cfg.d_in)
    sparse = Trainer([cfg, cfg], tc, x, seeds=[0, 1])
    assert isinstance(sparse.engine, SparseEngine) and sparse.fast
    dense = Trainer([cfg, cfg], tc, x, seeds=[0, 1], fast=False)
    dense.engine = NumpyEngine(cfg, tc, dense._weights)  # today's dense hand-written step
    sparse.run()
    dense.run()
    assert float(sparse.dead.float().mean()) > 0  # AuxK trained dead latents on the way
    for name in ("W_enc", "W_dec", "b_enc", "b_dec"):
        torch.testing.assert_close(sparse.params[name], dense.params[name], atol=2e-4, rtol=1e-3)
    np.testing.assert_allclose(sparse.history["loss"], dense.history["loss"], rtol=1e-4)
    model = sparse.model(1)
    torch.testing.assert_close(model.W_enc, dense.params["W_enc"][1], atol=2e-4, rtol=1e-3)


@pytest.mark.parametrize("method", ["batchtopk", "matryoshka"])
def test_training_batch_topk_methods_sparse_equals_autograd(method: str) -> None:
    cfg = SAEConfig(d_in=32, d_sae=96, method=method, k=3)
    tc = TrainConfig(steps=25, batch_size=32, dead_window=5)
    x = digits_like(400, cfg.d_in)
    sparse = Trainer(cfg, tc, x)
    assert isinstance(sparse.engine, SparseEngine)
    auto = Trainer(cfg, tc, x, fast=False)
    sparse.run()
    auto.run()
    for name in sparse.params:  # the inference threshold θ too (from the training latents)
        torch.testing.assert_close(sparse.params[name], auto.params[name], atol=2e-4, rtol=1e-3)
    np.testing.assert_allclose(sparse.history["loss"], auto.history["loss"], rtol=1e-4)
