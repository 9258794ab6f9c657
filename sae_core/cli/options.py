"""What the commands share: the data options, the configs built from the arguments, and how
metrics are printed."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from sae_core import methods
from sae_core.config import SAEConfig, TrainConfig
from sae_core.errors import ConfigError


def data_options(args: argparse.Namespace) -> dict[str, Any]:
    """Every ``load_dataset`` keyword the command line gave (split, preprocessing, --opt)."""
    return {
        "test_fraction": args.test_fraction,
        "seed": args.data_seed,
        "max_samples": args.max_samples,
        "preprocess": args.preprocess,
        **_source_options(args.opt),
    }


def load_data(args: argparse.Namespace, spec: str) -> Any:
    from sae_core.data import load_dataset

    return load_dataset(spec, **data_options(args))


def _source_options(pairs: Sequence[str]) -> dict[str, Any]:
    """``["patch_size=12", "whitening=zca"]`` -> ``{"patch_size": 12, "whitening": "zca"}``."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, eq, text = pair.partition("=")
        if not eq or not key.strip():
            raise ConfigError(f"--opt {pair!r} is invalid: write KEY=VALUE, e.g. patch_size=12")
        try:
            value: Any = json.loads(text)
        except json.JSONDecodeError:
            value = text
        options[key.strip()] = value
    return options


def _reads(method: str, knob: str) -> bool:
    return knob in methods.get(method).knobs


def configs(
    args: argparse.Namespace, d_in: int, lam: float, hidden: int
) -> tuple[SAEConfig, TrainConfig]:
    sae = SAEConfig(
        d_in=d_in,
        d_sae=hidden,
        method=args.method,
        lam=lam,
        k=args.k,
        rho=args.rho,
        # kept only where the method reads it, so a run's config says what shaped it
        target_l0=args.target_l0 if methods.get(args.method).takes_target_l0 else None,
        jumprelu_bandwidth=args.jumprelu_bandwidth,
        weight_decay=args.weight_decay,
        tied=args.tied,
        unit_norm_decoder=args.unit_norm,
        decoder_norm_penalty=args.penalty_decoder_norm,
        matryoshka_prefixes=args.prefixes if _reads(args.method, "matryoshka_prefixes") else None,
    )
    train = TrainConfig(
        epochs=args.epochs,
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        device=args.device,
        threads=args.threads,
        lam_warmup_steps=args.warmup,
        dead_remedy=args.dead_remedy,
    )
    return sae, train


def print_metrics(title: str, metrics: dict[str, Any]) -> None:
    print(title)
    for key, value in metrics.items():
        if value is not None and key not in ("split",):
            print(
                f"  {key:22s} {value:.4g}" if isinstance(value, float) else f"  {key:22s} {value}"
            )


def l0_fields(
    method: str, history: Any, l0_held_out: float, model: int | None = None
) -> dict[str, float | None]:
    """``l0_train`` (the last training L0 in ``history``, None without one) and ``l0_inference``
    (the held-out L0) where the method's inference encoder differs from its training one
    (``Method.inference_differs``: BatchTopK); both None otherwise, where one L0 says it all.
    ``model``: a sweep's model number (its history's ``model`` column)."""
    if not methods.get(method).inference_differs:
        return {"l0_train": None, "l0_inference": None}
    if model is not None and history is not None and "model" in history:
        history = history[history["model"] == model]
    train = None
    if history is not None and "l0" in history and len(history):
        train = float(history["l0"].iloc[-1])
    return {"l0_train": train, "l0_inference": float(l0_held_out)}
