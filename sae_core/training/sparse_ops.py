"""Kernels of the sparse TopK-family step (:mod:`sae_core.training.sparse_step`): selected
entries ("slots") of a latent matrix, weighted row sums over bags of slots, dot products at
the slots, row writes into a gradient buffer. Torch, so they run on any device; on the CPU the
row copies and the one dense matmul go through NumPy, faster there.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from sae_core.topk import sorted_topk_columns

try:  # SciPy's CSR × dense kernel, which adds into an output it is given (no copy after)
    from scipy.sparse import _sparsetools
except ImportError:  # pragma: no cover - a SciPy that moved it: the embedding_bag path
    _sparsetools = None


HOST_KERNELS = True
"""Run CPU tensors through NumPy's and SciPy's kernels (faster there). False runs the
device-agnostic torch code on every device: the code a GPU runs, which the tests check on the
CPU this way (tests/training/test_sparse_step.py)."""


def _on_host(t: Tensor) -> bool:
    return HOST_KERNELS and t.device.type == "cpu"


@dataclass(frozen=True)
class Slots:
    """Selected entries of one model's latent matrix [B, d_sae], sorted by (sample, latent).

    ``sample``, ``latent`` [S] long; ``value`` [S] float, ReLU(pre) (0 where a slot was picked
    without a positive pre-activation: it neither decodes nor passes a gradient).
    """

    sample: Tensor
    latent: Tensor
    value: Tensor


def sorted_rows(pre: Tensor, k: int) -> Slots:
    """The k largest entries of each row of ``pre`` [B, d], as slots sorted within rows."""
    latent = sorted_topk_columns(pre, k)
    values = pre.gather(-1, latent)
    batch = pre.shape[0]
    sample = torch.arange(batch, device=pre.device).repeat_interleave(k)
    return Slots(sample, latent.reshape(-1), values.reshape(-1).clamp_min(0))


def select(pre: Tensor, kind: str, k: int) -> Slots:
    """The training selection: TopK per sample, or the k·B largest of the batch."""
    if kind == "topk":
        return sorted_rows(pre, min(k, pre.shape[-1]))
    batch, d_sae = pre.shape
    keep = min(k * batch, batch * d_sae)
    flat = sorted_topk_columns(pre.reshape(1, -1), keep)[0]  # 6× torch.topk at [256, 4096]
    return Slots(flat // d_sae, flat % d_sae, pre.reshape(-1)[flat].clamp_min(0))


def bag_offsets(keys: Tensor, n_bags: int) -> Tensor:
    """Start of each bag in ``keys`` (sorted, values < n_bags): [n_bags] long."""
    counts = torch.bincount(keys, minlength=n_bags)
    return torch.cumsum(counts, 0) - counts


def bag_sums(indices: Tensor, table: Tensor, offsets: Tensor, weights: Tensor) -> Tensor:
    """Σ weights[s] · table[indices[s]] over each bag: [n_bags, d] (empty bags: 0)."""
    return F.embedding_bag(
        indices, table, offsets, mode="sum", per_sample_weights=weights.to(table.dtype)
    )


def sampled_dots(keys: Tensor, cols: Tensor, n_rows: int, left: Tensor, right: Tensor) -> Tensor:
    """``left[keys[s]] · right[cols[s]]`` for every slot s (sorted by key, then col): [S].

    The product ``left rightᵀ`` evaluated only at the slots (torch's SDDMM), without gathering
    the slots' rows of ``right`` into a [S, d] copy.
    """
    crow = torch.zeros(n_rows + 1, dtype=torch.long, device=keys.device)
    crow[1:] = torch.cumsum(torch.bincount(keys, minlength=n_rows), 0)
    with warnings.catch_warnings():  # "Sparse CSR tensor support is in beta state"
        warnings.simplefilter("ignore", UserWarning)
        pattern = torch.sparse_csr_tensor(
            crow,
            cols,
            torch.zeros(cols.shape[0], dtype=left.dtype, device=left.device),
            size=(n_rows, right.shape[0]),
            check_invariants=False,
        )
        return torch.sparse.sampled_addmm(pattern, left, right.T, beta=0.0).values()


def clear_rows(target: Tensor, before: Tensor | None) -> None:
    """Zero the rows of ``target`` [d_sae, d] (contiguous rows) that may be nonzero: ``before``
    (None: any). One memset beats zeroing rows one by one past half of them."""
    if before is None or 2 * before.shape[0] > target.shape[0]:
        target.zero_()
    elif _on_host(target):  # NumPy's row writes are ~20 % faster than torch's here
        target.numpy()[before.numpy()] = 0.0
    else:
        target.index_fill_(0, before, 0.0)


def write_rows(target: Tensor, before: Tensor | None, rows: Tensor, values: Tensor) -> None:
    """``target`` [d_sae, d] (contiguous rows) becomes 0 except ``target[rows] = values``;
    ``before``: the rows that may be nonzero now (None: any)."""
    clear_rows(target, before)
    if _on_host(target):
        target.numpy()[rows.numpy()] = values.numpy()
    else:
        target.index_copy_(0, rows, values)


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """a @ b; through NumPy's BLAS on the CPU (faster than torch's at these shapes)."""
    if _on_host(a):
        return torch.from_numpy(np.matmul(a.numpy(), b.numpy()))
    return a @ b


def group_by_latent(latent: Tensor, d_sae: int) -> tuple[Tensor, np.ndarray]:
    """The slots grouped by latent: (a stable order of them [S] long, CSR row pointers
    indptr [d_sae + 1] int64: latent j's slots are ``order[indptr[j]:indptr[j + 1]]``).

    On the CPU SciPy's CSR→CSC transpose is a counting sort, O(S + d_sae): ~10× faster than
    ``argsort`` plus ``bincount`` at S = 8192 slots.
    """
    n_slots = latent.shape[0]
    if _sparsetools is None or not _on_host(latent):
        order = torch.argsort(latent, stable=True)
        indptr = np.zeros(d_sae + 1, np.int64)
        np.cumsum(torch.bincount(latent, minlength=d_sae).cpu().numpy(), out=indptr[1:])
        return order, indptr
    indptr = np.empty(d_sae + 1, np.int64)
    slot_order = np.empty(n_slots, np.int64)
    _sparsetools.csr_tocsc(
        1,  # one "row" holding every slot: the transpose sorts them by latent, stably
        d_sae,
        np.array([0, n_slots], np.int64),
        latent.numpy(),
        np.arange(n_slots, dtype=np.int64),
        indptr,
        np.empty(n_slots, np.int64),  # the row of each (all 0)
        slot_order,
    )
    return torch.from_numpy(slot_order), indptr


def can_accumulate(target: Tensor) -> bool:
    """True when :func:`accumulate_rows` can add into ``target`` [d_sae, d] in place: a
    contiguous float32 CPU tensor, and SciPy's kernel found."""
    return (
        _sparsetools is not None
        and _on_host(target)
        and target.dtype == torch.float32
        and target.is_contiguous()
    )


def accumulate_rows(
    target: Tensor, indptr: np.ndarray, indices: Tensor, weights: Tensor, table: Tensor
) -> None:
    """``target[j] += Σ_s weights[s] · table[indices[s]]`` over bag j's slots
    ``indptr[j]:indptr[j + 1]`` (slots sorted by bag; indptr [d_sae + 1] int64), in place.

    One pass that writes only the rows with slots (an ``embedding_bag`` returns a new matrix to
    be copied in: ~1.4× slower at d_sae 4096). Needs :func:`can_accumulate`.
    """
    assert _sparsetools is not None
    n_rows, n_vecs = target.shape
    _sparsetools.csr_matvecs(
        n_rows,
        table.shape[0],
        n_vecs,
        indptr,
        indices.numpy(),
        weights.numpy(),
        table.contiguous().numpy().ravel(),
        target.numpy().ravel(),
    )


def matvec_sparse(W: Tensor, v: Tensor) -> Tensor:
    """``W v`` for W [d_in, d_sae] and a mostly-zero v [d_sae]: -> [d_in]. From the columns
    where v ≠ 0 only when W is stored transposed (its columns are contiguous rows), else the
    dense product."""
    if not can_accumulate(W.T):
        return matmul(W, v)
    columns = torch.nonzero(v).squeeze(1)
    out = torch.zeros(1, W.shape[0])
    indptr = np.array([0, columns.shape[0]], np.int64)
    accumulate_rows(out, indptr, columns, v[columns], W.T)
    return out[0]
