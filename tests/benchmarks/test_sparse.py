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


@pytest.mark.skipif(torch.cuda.is_available(), reason="with CUDA the row measures")
def test_the_gpu_row_says_why_it_is_skipped_without_cuda() -> None:
    row = sparse.gpu_row()
    assert row.status == SKIP and row.measured == "skipped: no CUDA device"
