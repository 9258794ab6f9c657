"""``eval --encoder sae|mp|omp [--k K]``: a run's metrics with its decoder kept and the held-out
data encoded by the SAE, matching pursuit or OMP (:mod:`sae_core.analysis.pursuit`)."""

from __future__ import annotations

import argparse
from typing import Any

from sae_core.errors import ConfigError


def check_encoder_args(args: argparse.Namespace) -> None:
    """Refuse ``--k`` without a pursuit encoder, or below 1 (before torch is imported)."""
    encoder, k = getattr(args, "encoder", "sae"), getattr(args, "k", None)
    if k is None:
        return
    if encoder == "sae":
        raise ConfigError(
            f"eval: --k {k} needs --encoder mp or omp: the SAE's own encoder sets its L0 itself"
        )
    if k < 1:
        raise ConfigError(f"eval: --k {k} is invalid: give at least 1 atom per sample")


def evaluate_with(model: Any, dataset: Any, args: argparse.Namespace) -> tuple[Any, dict]:
    """(EvalMetrics, {"name": encoder, "k": atoms per sample or None for the SAE})."""
    from sae_core.analysis.pursuit import evaluate_encoder

    encoder = getattr(args, "encoder", "sae")
    metrics, k = evaluate_encoder(model, dataset, encoder, getattr(args, "k", None))
    return metrics, {"name": encoder, "k": k}
