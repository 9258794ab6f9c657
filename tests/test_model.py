"""Invariants of the model, checked for every method (dictionary_learning-style)."""

from __future__ import annotations

import pytest
import torch

from sae_core.config import METHODS, SAEConfig
from sae_core.errors import RunError
from sae_core.model import SparseAutoencoder, check_weight_shapes, init_weights


def make_model(
    method: str, *, d_in: int = 6, d_sae: int = 10, k: int = 3, **kw
) -> SparseAutoencoder:
    cfg = SAEConfig(d_in=d_in, d_sae=d_sae, method=method, k=k, **kw)
    weights = init_weights(cfg, torch.Generator().manual_seed(1), torch.randn(d_in))
    weights["b_enc"] = torch.randn(d_sae) * 0.1
    return SparseAutoencoder(cfg, weights)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("tied", [False, True])
def test_shapes_and_forward_equals_decode_of_encode(method: str, tied: bool) -> None:
    model = make_model(method, tied=tied)
    x = torch.randn(5, 6)
    latents = model.encode(x)
    assert latents.shape == (5, 10)
    assert model.decode(latents).shape == (5, 6)
    torch.testing.assert_close(model(x), model.decode(model.encode(x)))
    assert model.W_enc.shape == (6, 10) and model.W_dec.shape == (10, 6)


def test_encode_matches_the_formula_written_by_hand() -> None:
    model = make_model("l1")
    x = torch.randn(4, 6)
    manual = torch.relu((x - model.b_dec) @ model.W_enc + model.b_enc)
    torch.testing.assert_close(model.encode(x), manual)
    torch.testing.assert_close(model(x), manual @ model.W_dec + model.b_dec)


@pytest.mark.parametrize("method", ["kl", "contractive"])
def test_sigmoid_methods_give_latents_strictly_between_zero_and_one(method: str) -> None:
    latents = make_model(method).encode(torch.randn(50, 6))
    assert bool(((latents > 0) & (latents < 1)).all())


def test_relu_methods_give_non_negative_latents_with_true_zeros() -> None:
    latents = make_model("l1").encode(torch.randn(200, 6) * 3)
    assert bool((latents >= 0).all()) and bool((latents == 0).any())


@pytest.mark.parametrize("k", [1, 3, 7])
def test_topk_keeps_at_most_k_and_exactly_k_when_k_positives_exist(k: int) -> None:
    model = make_model("topk", k=k)
    x = torch.randn(300, 6) * 2
    pre = torch.relu(model.pre_acts(x))
    latents = model.encode(x)
    n_active = (latents > 0).sum(-1)
    n_positive = (pre > 0).sum(-1)
    assert bool((n_active <= k).all())
    assert bool((n_active == torch.clamp(n_positive, max=k)).all())
    # the kept values are the k largest, unchanged
    top = pre.topk(k, dim=-1).values
    torch.testing.assert_close(latents.sort(-1, descending=True).values[:, :k], top)


def test_unit_norm_decoder_rows_after_normalising() -> None:
    model = make_model("l1")
    with torch.no_grad():
        model.W_dec.mul_(3.7)
    model.normalize_decoder()
    torch.testing.assert_close(model.W_dec.norm(dim=-1), torch.ones(10))


def test_tied_model_shares_one_matrix() -> None:
    model = make_model("l1", tied=True)
    assert model.W_enc.data_ptr() == model.W_dec.data_ptr()
    assert sum(p.numel() for p in model.parameters()) == 10 * 6 + 10 + 6


def test_encoder_starts_as_decoder_transpose_and_b_dec_as_data_mean() -> None:
    cfg = SAEConfig(d_in=4, d_sae=8)
    mean = torch.tensor([1.0, 2.0, 3.0, 4.0])
    w = init_weights(cfg, torch.Generator().manual_seed(0), mean)
    torch.testing.assert_close(w["W_enc"], w["W_dec"].t())
    torch.testing.assert_close(w["b_dec"], mean)


def test_weights_with_wrong_shapes_are_refused_with_the_tensor_named() -> None:
    cfg = SAEConfig(d_in=4, d_sae=8)
    w = init_weights(cfg, torch.Generator().manual_seed(0))
    w["W_dec"] = torch.zeros(8, 5)
    with pytest.raises(RunError, match=r"W_dec.*shape"):
        check_weight_shapes(cfg, w)


def test_numpy_helpers_agree_with_torch_in_chunks() -> None:
    model = make_model("topk")
    x = torch.randn(37, 6)
    latents, x_hat = model.reconstruct_numpy(x.numpy(), chunk=8)
    torch.testing.assert_close(torch.from_numpy(latents), model.encode(x).detach())
    torch.testing.assert_close(torch.from_numpy(x_hat), model(x).detach())
    torch.testing.assert_close(
        torch.from_numpy(model.encode_numpy(x.numpy(), chunk=5)), model.encode(x).detach()
    )


def test_numpy_scalars_are_accepted_as_plain_numbers() -> None:
    import json

    import numpy as np

    cfg = SAEConfig(d_in=np.int64(8), d_sae=np.int32(16), lam=np.float32(0.5), tied=np.bool_(True))
    assert type(cfg.d_in) is int and type(cfg.lam) is float and cfg.tied is True
    json.dumps(cfg.to_dict())
