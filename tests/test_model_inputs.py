"""The model takes what SAELens's does: tensors of any float dtype and device, one sample or many;
and a 1-D NumPy sample is one sample, never d_in samples of one value each."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sae_core.config import METHODS
from tests.test_model import make_model

DEVICES = ["cpu", *(["cuda"] if torch.cuda.is_available() else [])]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.bfloat16])
def test_encode_decode_forward_take_any_float_dtype_and_answer_in_it(
    method: str, dtype: torch.dtype
) -> None:
    model = make_model(method)
    x32 = torch.randn(5, 6)
    x = x32.to(dtype)
    latents = model.encode(x)
    assert latents.dtype == dtype and latents.shape == (5, 10)
    assert model.decode(latents).dtype == dtype
    assert model(x).dtype == dtype
    # computed in the weights' float32, then rounded once to x's dtype
    expected = model.encode(x.to(torch.float32)).to(dtype)
    torch.testing.assert_close(latents, expected, rtol=0, atol=0)


def test_float64_input_gives_the_float32_answer_in_float64() -> None:
    model = make_model("l1")
    x = torch.randn(7, 6, dtype=torch.float64)
    torch.testing.assert_close(model(x), model(x.float()).double())


def test_gradients_flow_back_to_a_float64_input() -> None:
    model = make_model("l1")
    x = torch.randn(3, 6, dtype=torch.float64, requires_grad=True)
    model(x).sum().backward()
    assert x.grad is not None and x.grad.dtype == torch.float64


@pytest.mark.parametrize("device", DEVICES)
def test_the_output_comes_back_on_the_inputs_device(device: str) -> None:
    model = make_model("topk").to(DEVICES[-1])
    x = torch.randn(4, 6, device=device)
    assert model.encode(x).device == x.device
    assert model(x).device == x.device


def test_one_sample_tensor_encodes_to_one_code_vector() -> None:
    model = make_model("topk")
    x = torch.randn(6)
    assert model.encode(x).shape == (10,)
    assert model(x).shape == (6,)
    torch.testing.assert_close(model.encode(x), model.encode(x[None])[0])


def test_a_wrong_width_is_refused_with_the_expected_shape() -> None:
    with pytest.raises(ValueError, match=r"\[batch, 6\]"):
        make_model("l1").encode(torch.randn(3, 5))


def test_encode_numpy_treats_a_1d_array_as_one_sample() -> None:
    model = make_model("l1")
    x = np.random.default_rng(0).normal(size=6).astype(np.float32)
    codes = model.encode_numpy(x)
    assert codes.shape == (10,)  # not (6, 10) rows of one repeated value
    np.testing.assert_allclose(codes, model.encode_numpy(x[None])[0])


@pytest.mark.parametrize("shape", [(5,), (2, 3, 6), (4, 5)])
def test_encode_numpy_refuses_other_shapes_naming_the_expected_one(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"\[n, 6\]"):
        make_model("l1").encode_numpy(np.zeros(shape, dtype=np.float32))
