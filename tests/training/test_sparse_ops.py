"""The sparse step's kernels against plain dense products."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sae_core.training import sparse_ops


def test_accumulate_rows_adds_each_bags_weighted_rows_in_place() -> None:
    g = torch.Generator().manual_seed(0)
    table = torch.randn(6, 5, generator=g)
    bags = torch.tensor([0, 0, 2, 3, 3, 3])  # bag 1 empty
    indices = torch.tensor([1, 4, 0, 5, 5, 2])
    weights = torch.randn(6, generator=g)
    target = torch.ones(4, 5)
    expected = target.clone()
    for bag, row, weight in zip(bags.tolist(), indices.tolist(), weights.tolist(), strict=True):
        expected[bag] += weight * table[row]
    indptr = np.array([0, 2, 2, 3, 6], np.int64)
    assert sparse_ops.can_accumulate(target)
    sparse_ops.accumulate_rows(target, indptr, indices, weights, table)
    torch.testing.assert_close(target, expected)
    assert not sparse_ops.can_accumulate(target.T)  # rows must be contiguous


@pytest.mark.parametrize("transposed", [True, False])
def test_matvec_sparse_equals_the_dense_product(transposed: bool) -> None:
    g = torch.Generator().manual_seed(1)
    W = torch.randn(30, 7, generator=g).T if transposed else torch.randn(7, 30, generator=g)
    v = torch.zeros(30)
    v[[2, 9, 29]] = torch.tensor([0.5, -1.0, 2.0])
    torch.testing.assert_close(sparse_ops.matvec_sparse(W, v), W @ v)


def test_clear_rows_zeroes_the_given_rows_or_everything() -> None:
    target = torch.ones(8, 3)
    sparse_ops.clear_rows(target, torch.tensor([1, 6]))
    assert target.sum(-1).tolist() == [3, 0, 3, 3, 3, 3, 0, 3]
    sparse_ops.clear_rows(target, None)
    assert not target.any()


def test_batch_selection_keeps_the_k_times_batch_largest_of_the_batch() -> None:
    pre = torch.randn(4, 10, generator=torch.Generator().manual_seed(2))
    slots = sparse_ops.select(pre, "batchtopk", 3)
    assert slots.latent.shape == (12,)
    kept = pre[slots.sample, slots.latent]
    assert float(kept.min()) >= float(pre.flatten().topk(12).values.min())
    torch.testing.assert_close(slots.value, kept.clamp_min(0))
    keys = slots.sample * 10 + slots.latent
    assert torch.equal(keys, keys.sort().values)  # sorted by (sample, latent)


def test_grouping_by_latent_is_a_stable_sort_with_row_pointers() -> None:
    latent = torch.randint(0, 50, (400,), generator=torch.Generator().manual_seed(4))
    order, indptr = sparse_ops.group_by_latent(latent, 60)
    assert torch.equal(order, torch.argsort(latent, stable=True))
    counts = torch.bincount(latent, minlength=60).numpy()
    assert indptr.tolist() == [0, *np.cumsum(counts).tolist()]
