"""Issue 15 target 1: the sparse step for the TopK family against today's dense NumPy step.

At d_in 784, batch 256, k 32 (MNIST-size data, one thread): the Trainer's step with the sparse
engine (sae_core/training/sparse_step.py, picked automatically) against the same Trainer step
with the dense hand-written NumPy engine (sae_core/training/numpy_step.py), measured in turn in
one run (CPU time, median of per-round ratios). Targets: ≥ 3× at d_sae 4096, ≥ 4× at 16 384.
Each row also gives Adam's share of the sparse step (the fused update of every parameter, which
the sparse step cannot skip and still match plain Adam exactly) and the encoder's one dense
matmul, the two costs the sparse step keeps, and the per-slot kernels timed alone
(:class:`SlotWork`): together they say how far the step could go on this CPU. BatchTopK and
Matryoshka (autograd before) are compared with the autograd step. The GPU row needs a CUDA
device.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch

from benchmarks.common import (
    INFO,
    Row,
    Sample,
    cpu,
    cpu_ratio,
    median,
    per_call,
    skipped,
    status_of,
    warm_up,
)
from benchmarks.data import mnist_size
from sae_core.config import SAEConfig, TrainConfig
from sae_core.topk import sorted_topk_columns
from sae_core.training import sparse_ops as ops
from sae_core.training.autograd_step import AutogradEngine
from sae_core.training.numpy_step import NumpyEngine
from sae_core.training.sparse_step import ENGINE_LAYOUT, SparseEngine
from sae_core.training.trainer import Trainer

D_IN, BATCH, K = 784, 256, 32
TARGETS: dict[int, float] = {4096: 3.0, 16384: 4.0}
BaselineEngine = NumpyEngine | AutogradEngine


def baseline_trainer(
    cfg: SAEConfig, tc: TrainConfig, x: np.ndarray | torch.Tensor, engine: type[BaselineEngine]
) -> Trainer:
    """A Trainer of the same seeded weights stepping with ``engine`` (usual buffer layout)."""
    trainer = Trainer(cfg, tc, x, fast=False)
    if engine is not AutogradEngine:
        trainer.engine = engine(cfg, tc, trainer._weights)
    return trainer


def dense_matmul(d_sae: int) -> Callable[[], None]:
    """The sparse step's one dense matmul, [B, d_in] × [d_in, d_sae], with its operand layout
    (W_enc stored transposed: sae_core.training.sparse_step.ENGINE_LAYOUT)."""
    rng = np.random.default_rng(0)
    x = rng.random((BATCH, D_IN), dtype=np.float32)
    W = np.asfortranarray(rng.random((D_IN, d_sae), dtype=np.float32))

    def matmul() -> None:
        np.matmul(x, W)

    return matmul


def _pre_activations(trainer: Trainer, x_c: torch.Tensor) -> torch.Tensor:
    """[B, d_sae] of model 0 for x_c = x − b_dec [B, d_in]."""
    params = trainer.params
    return x_c @ params["W_enc"][0] + params["b_enc"][0]


def selection(trainer: Trainer, batch: torch.Tensor) -> Callable[[], object]:
    """The sparse step's top-k selection on this batch's pre-activations [B, d_sae]."""
    pre = _pre_activations(trainer, batch - trainer.params["b_dec"][0])
    return lambda: sorted_topk_columns(pre, K)


class SlotWork:
    """The per-slot kernels every sparse step runs besides the matmul, Adam and the selection,
    on a batch's real slots (B·K of them), writing into scratch buffers: decoding the slots
    (``embedding_bag``), the dot products at the slots (SDDMM), grouping them by latent, and
    the two gradient row sums (``g_dec``, ``g_enc`` [d_sae, d_in]) with the zeroing of the rows
    they write. Calling it runs them once."""

    def __init__(self, trainer: Trainer, batch: torch.Tensor) -> None:
        self.x_c = batch - trainer.params["b_dec"][0]
        pre = _pre_activations(trainer, self.x_c)
        self.W_dec, self.d_sae = trainer.params["W_dec"][0], pre.shape[1]
        self.slots = ops.select(pre, "topk", K)
        self.offsets = ops.bag_offsets(self.slots.sample, BATCH)
        self.signal = torch.rand(BATCH, D_IN, generator=torch.Generator().manual_seed(0))
        self.g_dec, self.g_enc = torch.zeros(self.d_sae, D_IN), torch.zeros(self.d_sae, D_IN)

    def __call__(self) -> None:
        slots = self.slots
        ops.bag_sums(slots.latent, self.W_dec, self.offsets, slots.value)
        g_pre = ops.sampled_dots(slots.sample, slots.latent, BATCH, self.signal, self.W_dec)
        order, indptr = ops.group_by_latent(slots.latent, self.d_sae)
        active = torch.nonzero(torch.from_numpy(np.diff(indptr))).squeeze(1)
        for target, weights, source in (
            (self.g_dec, slots.value, self.signal),
            (self.g_enc, g_pre, self.x_c),
        ):
            ops.clear_rows(target, active)
            ops.accumulate_rows(target, indptr, slots.sample[order], weights[order], source)


def measure(
    x: np.ndarray, cfg: SAEConfig, baseline: type[BaselineEngine], repeats: int
) -> tuple[dict[str, list[Sample]], Trainer]:
    """Per-step samples of the sparse and baseline Trainers, their engines alone, Adam and
    the matmul."""
    tc = TrainConfig(batch_size=BATCH, steps=10**7)
    sparse = Trainer(cfg, tc, x)
    if not isinstance(sparse.engine, SparseEngine):
        raise RuntimeError(f"the Trainer did not pick the sparse step for {cfg}")
    dense = baseline_trainer(cfg, tc, x, baseline)
    sparse.run(2)
    dense.run(2)
    flops = 2 * BATCH * D_IN * cfg.d_sae
    calls = max(1, int(0.3 / (flops / 40e9)))  # ≈ 0.3 s of sparse steps per sample
    batch, lam = sparse._batch(), sparse._lam_now()
    fns: dict[str, Callable[[], object]] = {
        "sparse": sparse.step,
        "dense": dense.step,
        "sparse_engine": lambda: sparse.engine.loss_and_grads(batch, lam, None),
        "dense_engine": lambda: dense.engine.loss_and_grads(batch, lam, None),
        "adam": sparse._weights.optimizer.step,
        "matmul": dense_matmul(cfg.d_sae),
        "select": selection(sparse, batch),
    }
    samples: dict[str, list[Sample]] = {name: [] for name in [*fns, "slots"]}
    for _ in range(repeats):
        # the slots of the model as trained so far: how many latents fire, and so how many
        # rows the gradient sums write, changes over the first hundred steps
        fns["slots"] = SlotWork(sparse, sparse._batch())
        for name, fn in fns.items():
            dense_call = name.startswith("dense")  # ~3× slower: fewer calls per sample
            samples[name].append(per_call(fn, max(1, calls // 3) if dense_call else calls))
    return samples, sparse


def topk_row(x: np.ndarray, d_sae: int, repeats: int, source: str) -> Row:
    cfg = SAEConfig(d_in=D_IN, d_sae=d_sae, method="topk", k=K)
    samples, _ = measure(x, cfg, NumpyEngine, repeats)
    t = {name: cpu(values) for name, values in samples.items()}
    speedup = cpu_ratio(samples["dense"], samples["sparse"])
    target = TARGETS[d_sae]
    adam_share = cpu_ratio(samples["adam"], samples["sparse"])
    matmul_share = cpu_ratio(samples["matmul"], samples["sparse"])
    ceiling = t["dense"] / (t["matmul"] + t["adam"])
    floor_with_selection = t["dense"] / (t["matmul"] + t["adam"] + t["select"])
    floor_with_slots = t["dense"] / (t["matmul"] + t["adam"] + t["select"] + t["slots"])
    engines = cpu_ratio(samples["dense_engine"], samples["sparse_engine"])
    return Row(
        name=f"15.1 sparse TopK step d_sae {d_sae}",
        measured=f"{speedup:.2f}× the dense step ({t['sparse'] * 1e3:.1f} ms/step)",
        target=f"≥ {target:g}× the dense NumPy step",
        margin=speedup / target,
        status=status_of(speedup >= target),
        details=(
            f"{source}; d_in {D_IN}, batch {BATCH}, k {K}, one thread, Trainer.step with Adam: "
            f"sparse {t['sparse'] * 1e3:.1f} ms, dense NumPy {t['dense'] * 1e3:.1f} ms; in the "
            f"sparse step Adam (exact, over all parameters) takes {adam_share:.0%} "
            f"({t['adam'] * 1e3:.1f} ms) and the encoder's dense matmul {matmul_share:.0%} "
            f"({t['matmul'] * 1e3:.1f} ms): with only those two the step could be "
            f"{ceiling:.2f}× faster than the dense one; with the top-k selection it needs "
            f"besides ({t['select'] * 1e3:.1f} ms, sae_core/topk.py) {floor_with_selection:.2f}×, "
            f"before any gradient or decoding; with the per-slot kernels too (decoding the "
            f"slots, the dot products at them, the two gradient row sums: "
            f"{t['slots'] * 1e3:.1f} ms, timed alone on the slots of the model as trained "
            f"so far) {floor_with_slots:.2f}×: a step made of these kernels cannot go much past "
            f"that (each is timed apart, so the sum is good to a few per cent)",
            f"the engines alone (loss and gradients, no Adam): sparse "
            f"{t['sparse_engine'] * 1e3:.1f} ms, dense {t['dense_engine'] * 1e3:.1f} ms, "
            f"{engines:.2f}×",
        ),
    )


def batch_row(x: np.ndarray, method: str, repeats: int) -> Row:
    cfg = SAEConfig(d_in=D_IN, d_sae=4096, method=method, k=K)
    samples, _ = measure(x, cfg, AutogradEngine, repeats)
    t = {name: cpu(values) for name, values in samples.items()}
    speedup = cpu_ratio(samples["dense"], samples["sparse"])
    return Row(
        name=f"15.1 sparse {method} step d_sae 4096",
        measured=f"{speedup:.2f}× the autograd step ({t['sparse'] * 1e3:.1f} ms/step)",
        target="faster than autograd (no target)",
        margin=None,
        status=INFO,
        details=(
            f"d_in {D_IN}, batch {BATCH}, k {K} (k·B over the batch), one thread: sparse "
            f"{t['sparse'] * 1e3:.1f} ms, autograd {t['dense'] * 1e3:.1f} ms per Trainer step",
        ),
    )


def sparse_trainer(cfg: SAEConfig, tc: TrainConfig, x: torch.Tensor) -> Trainer:
    """A Trainer stepping with the sparse engine and its buffer layout (W_enc stored
    transposed) on any device: off the CPU the Trainer would pick autograd."""
    trainer = Trainer(cfg, tc, x)
    if not isinstance(trainer.engine, SparseEngine):
        trainer._engine_class, trainer._layout = SparseEngine, ENGINE_LAYOUT
        trainer._init_state()  # the same seeded weights, in the engine's layout
    return trainer


def _cuda_seconds(fn: Callable[[], object], calls: int) -> float:
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - start) / calls


def gpu_row() -> Row:
    """On CUDA the Trainer keeps autograd (the sparse engine's GPU speed is this row's to show):
    the sparse engine against it at d_sae 16 384, wall time per step."""
    name, target = "15.1 sparse TopK step on a GPU (d_sae 16384)", "faster than autograd"
    if not torch.cuda.is_available():
        return skipped(name, target, "skipped: no CUDA device")
    cfg = SAEConfig(d_in=D_IN, d_sae=16384, method="topk", k=K)
    tc = TrainConfig(batch_size=BATCH, steps=10**7, device="cuda")
    x = torch.rand(8 * BATCH, D_IN, device="cuda", generator=torch.Generator("cuda").manual_seed(0))
    auto = Trainer(cfg, tc, x)
    sparse = sparse_trainer(cfg, tc, x)
    auto.run(3)
    sparse.run(3)
    t_auto = median([_cuda_seconds(auto.step, 50) for _ in range(3)])
    t_sparse = median([_cuda_seconds(sparse.step, 50) for _ in range(3)])
    speedup = t_auto / t_sparse
    return Row(
        name=name,
        measured=f"{speedup:.2f}× autograd ({t_sparse * 1e3:.2f} ms/step)",
        target=target,
        margin=speedup,
        status=status_of(speedup > 1),
        details=(f"{torch.cuda.get_device_name(0)}: autograd {t_auto * 1e3:.2f} ms/step",),
    )


def run(quick: bool = False) -> list[Row]:
    warm_up()
    torch.set_num_threads(1)
    x, _, source = mnist_size(8192)
    repeats = 2 if quick else 5
    rows = [topk_row(x, 4096, repeats, source)]
    if not quick:
        rows.append(topk_row(x, 16384, 3, source))
        rows += [batch_row(x, method, 3) for method in ("batchtopk", "matryoshka")]
    rows.append(gpu_row())
    return rows
