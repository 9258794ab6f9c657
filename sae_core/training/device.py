"""Device and thread selection."""

from __future__ import annotations

import functools

import torch
from threadpoolctl import ThreadpoolController

from sae_core.errors import ConfigError


def resolve_device(name: str) -> torch.device:
    """``"auto"`` picks CUDA, then Apple MPS, then the CPU; an explicit choice must exist."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device='cuda' but no CUDA GPU is visible: choose 'auto' or 'cpu'")
    if name == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ConfigError("device='mps' but Apple MPS is not available: choose 'auto' or 'cpu'")
    return torch.device(name)


def apply_threads(threads: int | None, *, numpy_matmuls: bool = False) -> None:
    """Set the thread counts of torch and of NumPy's BLAS (process-wide) when asked.

    One thread is the default: on small SAEs a second thread buys nothing and, with any other
    process busy, two threads run many times slower (docs/benchmarks.md). With
    ``numpy_matmuls`` (the Trainer's CPU fast path multiplies in NumPy) the threads go to BLAS
    and torch keeps one whatever ``threads`` says: two thread pools spinning on the same cores
    slowed a step 2–40× in our measurements. ``None`` leaves the libraries' defaults.
    """
    if numpy_matmuls and torch.get_num_threads() != 1:
        torch.set_num_threads(1)
    if threads is None:
        return
    if not numpy_matmuls and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    _blas_threads(threads)


@functools.lru_cache(maxsize=1)
def _blas_controller() -> ThreadpoolController:
    return ThreadpoolController()


def _blas_threads(threads: int) -> None:
    controller = _blas_controller()
    blas = controller.select(user_api="blas")
    if any(lib["num_threads"] != threads for lib in blas.info()):
        blas.limit(limits=threads)
