"""benchmarks/sparse.py builds its comparison fairly (no timing assertions here)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchmarks import sparse
from benchmarks.common import SKIP
from sae_core.config import SAEConfig, TrainConfig
from sae_core.training.autograd_step import AutogradEngine
from sae_core.training.numpy_step import NumpyEngine
from sae_core.training.sparse_step import SparseEngine
from sae_core.training.trainer import Trainer


def test_the_baseline_trainer_starts_from_the_sparse_trainers_weights() -> None:
    cfg = SAEConfig(d_in=128, d_sae=1024, method="topk", k=8)
    tc = TrainConfig(batch_size=32, steps=3)
    x = np.random.default_rng(0).random((256, 128), dtype=np.float32)
    fast = Trainer(cfg, tc, x)
    assert isinstance(fast.engine, SparseEngine)
    for engine in (NumpyEngine, AutogradEngine):
        base = sparse.baseline_trainer(cfg, tc, x, engine)
        assert type(base.engine) is engine
        for name, param in fast.params.items():
            assert torch.equal(param, base.params[name])
        base.run()
    fast.run()
    torch.testing.assert_close(fast.params["W_dec"], base.params["W_dec"], atol=1e-5, rtol=1e-4)


def test_the_slot_kernels_write_the_gradient_rows_of_the_slots_latents() -> None:
    """benchmarks.sparse.SlotWork's row sums against dense products (Zᵀ·signal, Gᵀ·x_c)."""
    cfg = SAEConfig(d_in=sparse.D_IN, d_sae=1024, method="topk", k=sparse.K)
    x = np.random.default_rng(0).random((2 * sparse.BATCH, sparse.D_IN), dtype=np.float32)
    trainer = Trainer(cfg, TrainConfig(batch_size=sparse.BATCH, steps=3), x)
    work = sparse.SlotWork(trainer, trainer._batch())
    work()
    work()  # again: the rows it wrote are cleared first, not added to
    slots = work.slots
    z = torch.zeros(sparse.BATCH, 1024)
    z[slots.sample, slots.latent] = slots.value
    torch.testing.assert_close(work.g_dec, z.T @ work.signal, rtol=1e-4, atol=1e-4)
    g_pre = torch.zeros(sparse.BATCH, 1024)
    g_pre[slots.sample, slots.latent] = (work.signal[slots.sample] * work.W_dec[slots.latent]).sum(
        1
    )
    torch.testing.assert_close(work.g_enc, g_pre.T @ work.x_c, rtol=1e-4, atol=1e-4)


def test_the_gpu_rows_sparse_trainer_has_the_engines_layout_and_the_same_weights() -> None:
    """gpu_row's trainer: the sparse engine with W_enc stored transposed, even where the
    Trainer would pick autograd (a small dictionary here, a GPU there)."""
    cfg = SAEConfig(d_in=16, d_sae=64, method="topk", k=8)  # too small: the Trainer picks NumPy
    tc = TrainConfig(batch_size=8, steps=3)
    x = torch.rand(32, 16, generator=torch.Generator().manual_seed(0))
    plain = Trainer(cfg, tc, x)
    assert not isinstance(plain.engine, SparseEngine)
    forced = sparse.sparse_trainer(cfg, tc, x)
    assert isinstance(forced.engine, SparseEngine)
    assert forced.params["W_enc"].transpose(-1, -2).is_contiguous()
    for name, param in plain.params.items():
        assert torch.equal(param, forced.params[name])
    plain.run()
    forced.run()
    torch.testing.assert_close(forced.params["W_dec"], plain.params["W_dec"], atol=1e-5, rtol=1e-4)


@pytest.mark.skipif(torch.cuda.is_available(), reason="with CUDA the row measures")
def test_the_gpu_row_says_why_it_is_skipped_without_cuda() -> None:
    row = sparse.gpu_row()
    assert row.status == SKIP and row.measured == "skipped: no CUDA device"
