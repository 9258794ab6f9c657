"""sae_core.topk: the chunked top-k against torch.topk (the oracle) on rows of every kind."""

from __future__ import annotations

import pytest
import torch

from sae_core.topk import _threshold_columns, chunk_size, sorted_topk_columns, topk_rows


def assert_same_selection(x: torch.Tensor, k: int) -> None:
    values, indices = topk_rows(x, k)
    expected = x.topk(k, dim=-1).values
    assert values.shape == indices.shape == expected.shape
    # the k largest, as a multiset, and each value sits at its index
    torch.testing.assert_close(values.sort(-1, descending=True).values, expected, rtol=0, atol=0)
    torch.testing.assert_close(x.gather(-1, indices), values, rtol=0, atol=0)
    assert bool((indices.sort(-1).values.diff(dim=-1) > 0).all())  # no column twice


@pytest.mark.parametrize(
    ("width", "k"), [(4096, 32), (16384, 32), (1024, 8), (3000, 16), (4096, 1), (2048, 200)]
)
def test_chunked_top_k_equals_torch_topk(width: int, k: int) -> None:
    g = torch.Generator().manual_seed(width + k)
    # a per-column offset, as trained latents have: the winners cluster in a few chunks
    x = torch.randn(64, width, generator=g) + 2 * torch.randn(width, generator=g)
    assert chunk_size(width, k) > 1 or width <= 8 * k or width % 2
    assert_same_selection(x, k)


def test_ties_zeros_and_leading_dimensions_keep_the_multiset() -> None:
    g = torch.Generator().manual_seed(3)
    x = torch.randint(0, 4, (2, 5, 4096), generator=g).float()  # massive ties
    assert_same_selection(x, 32)
    relu = torch.relu(torch.randn(7, 4096, generator=g) - 3.0)  # mostly zeros
    assert_same_selection(relu, 64)
    one_hot = torch.zeros(3, 4096)
    one_hot[:, 4095] = 1.0  # the winner in the last chunk
    values, indices = topk_rows(one_hot, 32)
    assert bool((indices == 4095).any(-1).all()) and float(values.sum()) == 3.0


def test_chunking_is_used_at_sae_widths_and_skipped_on_narrow_rows() -> None:
    assert chunk_size(4096, 32) == 32
    assert chunk_size(16384, 32) == 64
    assert chunk_size(256, 32) == 1  # ≤ 8k: torch.topk directly
    assert chunk_size(3000, 16) == 8  # a power of two that divides the width


def test_values_carry_the_gradient_like_torch_topk() -> None:
    g = torch.Generator().manual_seed(5)
    x = torch.randn(8, 4096, generator=g, requires_grad=True)
    weights = torch.randn(8, 32, generator=g)
    values, indices = topk_rows(x, 32)
    (values * weights).sum().backward()
    expected = torch.zeros(8, 4096).scatter_(-1, indices, weights)
    torch.testing.assert_close(x.grad, expected)


@pytest.mark.parametrize(("width", "k"), [(4096, 32), (16384, 32), (3000, 16), (128, 32)])
def test_sorted_columns_by_threshold_equal_torch_topk_sorted(width: int, k: int) -> None:
    g = torch.Generator().manual_seed(width)
    x = torch.randn(32, width, generator=g) + 2 * torch.randn(width, generator=g)
    expected = x.topk(k, dim=-1).indices.sort(-1).values
    assert torch.equal(sorted_topk_columns(x, k), expected)


def test_sorted_columns_fall_back_exactly_on_ties_and_nan() -> None:
    g = torch.Generator().manual_seed(9)
    ties = torch.randint(0, 3, (6, 4096), generator=g).float()
    assert _threshold_columns(ties, 32) is None  # more than k at the k-th value
    columns = sorted_topk_columns(ties, 32)
    assert bool((columns.diff(dim=-1) > 0).all())
    torch.testing.assert_close(
        ties.gather(-1, columns).sort(-1).values, ties.topk(32, -1).values.sort(-1).values
    )
    with_nan = torch.randn(4, 4096, generator=g)
    with_nan[2, 17] = float("nan")
    assert _threshold_columns(with_nan, 32) is None
    assert 17 in sorted_topk_columns(with_nan, 32)[2].tolist()  # NaN counts as largest, as topk


def test_strided_inputs_other_dtypes_and_empty_batches_select_alike() -> None:
    g = torch.Generator().manual_seed(11)
    wide = torch.randn(4096, 40, generator=g).T  # [40, 4096], not contiguous
    assert not wide.is_contiguous()
    assert_same_selection(wide, 32)
    expected = wide.topk(32, dim=-1).indices.sort(-1).values
    assert torch.equal(sorted_topk_columns(wide, 32), expected)
    half = wide.to(torch.bfloat16)  # NumPy has no bfloat16: the torch path
    assert torch.equal(
        half.gather(-1, sorted_topk_columns(half, 32)).sort(-1).values,
        half.topk(32, dim=-1).values.sort(-1).values,
    )
    assert sorted_topk_columns(torch.zeros(0, 4096), 32).shape == (0, 32)
    assert topk_rows(torch.zeros(0, 4096), 32)[1].shape == (0, 32)
