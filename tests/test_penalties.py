"""Penalties against independent computations (hand loops and autograd Jacobians)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.func import jacrev, vmap

from sae_core import methods
from sae_core.penalties import (
    contractive_penalty,
    kl_penalty,
    l1_penalty,
    l2_penalty,
)


def test_l1_and_l2_on_a_hand_checked_two_by_two_case() -> None:
    f = torch.tensor([[1.0, 0.0], [2.0, 3.0]])
    assert l1_penalty(f).item() == pytest.approx((1 + 0 + 2 + 3) / 2)
    assert l2_penalty(f).item() == pytest.approx((1 + 0 + 4 + 9) / 2)


def test_kl_penalty_matches_a_loop_over_latents() -> None:
    f = torch.rand(16, 5) * 0.98 + 0.01
    rho = 0.05
    expected = 0.0
    for j in range(5):
        r = f[:, j].mean().item()
        expected += rho * math.log(rho / r) + (1 - rho) * math.log((1 - rho) / (1 - r))
    assert kl_penalty(f, rho).item() == pytest.approx(expected, rel=1e-5)


def test_kl_penalty_is_zero_when_every_latent_fires_at_rho() -> None:
    f = torch.full((8, 4), 0.1)
    assert kl_penalty(f, 0.1).item() == pytest.approx(0.0, abs=1e-6)


def test_contractive_closed_form_equals_the_autograd_jacobian_norm() -> None:
    torch.manual_seed(0)
    d_in, d_sae = 7, 5
    W_enc = torch.randn(d_in, d_sae, dtype=torch.float64)
    b_enc = torch.randn(d_sae, dtype=torch.float64)
    x = torch.randn(9, d_in, dtype=torch.float64)

    def encode(xi: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(xi @ W_enc + b_enc)

    jac = vmap(jacrev(encode))(x)  # [B, d_sae, d_in]
    oracle = jac.square().sum((-1, -2)).mean()
    closed = contractive_penalty(encode(x), W_enc)
    torch.testing.assert_close(closed, oracle)


@pytest.mark.parametrize("name", methods.names())
def test_every_method_penalty_works_on_stacked_models_like_on_each_model_alone(name: str) -> None:
    fn = methods.get(name).penalty
    f = torch.rand(3, 10, 6)
    W = torch.randn(3, 4, 6)
    stacked = fn(f, W, 0.05)
    assert stacked.shape == (3,)
    for i in range(3):
        torch.testing.assert_close(stacked[i], fn(f[i], W[i], 0.05))


@pytest.mark.parametrize("name", [m.name for m in methods.all_methods() if m.numpy_penalty])
def test_numpy_penalty_and_its_gradient_equal_the_torch_penalty_and_autograd(name: str) -> None:
    method = methods.get(name)
    assert method.numpy_penalty is not None
    latents = torch.relu(torch.randn(3, 8, 5, generator=torch.Generator().manual_seed(0)))
    leaf = latents.clone().requires_grad_(True)
    expected = method.penalty(leaf, torch.zeros(4, 5), 0.05)  # [3]
    (expected.sum() + 0 * leaf.sum()).backward()  # a zero penalty has no graph of its own
    value, grad = method.numpy_penalty(latents.numpy())
    np.testing.assert_allclose(value, expected.detach().numpy(), rtol=1e-6)
    grad_full = np.broadcast_to(np.asarray(grad, np.float32), latents.shape)
    live = latents.numpy() > 0  # the step only uses ∂R/∂f where ReLU passes it (|f|' at 0 differs)
    np.testing.assert_allclose(grad_full[live], leaf.grad.numpy()[live], rtol=1e-6, atol=1e-7)
