"""What the commands share: the data options, the configs built from the arguments, and how
metrics are printed.

The data checks here import neither torch nor the data loaders' heavy parts: a typo in
``--data`` or ``--opt`` is refused before training code is imported (``check_data_args``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sae_core import methods
from sae_core.cli.argparsing import did_you_mean
from sae_core.cli.parser import DATA_OVERRIDES
from sae_core.config import SAEConfig, TrainConfig, check_compatible
from sae_core.errors import ConfigError, DataError

# load_dataset's own keywords; every other data option belongs to the source
COMMON_DATA_OPTIONS: tuple[str, ...] = ("test_fraction", "seed", "max_samples", "preprocess")


def data_options(args: argparse.Namespace) -> dict[str, Any]:
    """Every ``load_dataset`` keyword the command line gave (split, preprocessing, --opt);
    options left unset (None: eval's "the run's own", the source's preprocessing) are left out."""
    common = {
        "test_fraction": args.test_fraction,
        "seed": args.data_seed,
        "max_samples": args.max_samples,
        "preprocess": args.preprocess,
    }
    return {k: v for k, v in common.items() if v is not None} | _source_options(args.opt)


def given_data_overrides(args: argparse.Namespace) -> list[str]:
    """The data options given on the command line of eval/export (whose defaults are None)."""
    return [flag for dest, flag in DATA_OVERRIDES if getattr(args, dest, None) not in (None, [])]


def check_data_args(spec: str, options: dict[str, Any]) -> Any:
    """Refuse a bad ``--data`` or data option without loading anything (and without torch).

    Returns the parsed :class:`~sae_core.data.DataSpec` with its path made absolute, so the
    spec a run records loads the same data from any folder.
    """
    from sae_core.data import DataSpec, parse_data_spec
    from sae_core.data.preprocessing import check_split_options, parse_preprocess
    from sae_core.data.registry import SOURCES

    try:
        parsed = parse_data_spec(spec)
    except DataError as exc:  # a misspelled source name reads as a missing file: name the source
        named = [s.name for s in SOURCES.values() if s.path != "required"]
        hint = did_you_mean(spec.partition(":")[0].strip().lower(), named)
        raise DataError(f"{exc}{hint}") from None
    source = SOURCES[parsed.source]
    for name in options:
        if name not in COMMON_DATA_OPTIONS and name not in source.options:
            accepted = ", ".join(source.options) or "none"
            raise ConfigError(
                f"--opt {name} does not apply to data source {source.name!r}"
                f"{did_you_mean(name, source.options)}: it accepts {accepted}"
            )
    check_split_options(
        options.get("test_fraction", 0.2), options.get("seed", 0), options.get("max_samples")
    )
    parse_preprocess(options.get("preprocess") or source.default_preprocess)
    if parsed.path is None or not source.path_is_file:
        return parsed
    return DataSpec(source=parsed.source, path=str(Path(parsed.path).expanduser().resolve()))


def data_record(spec: Any, options: dict[str, Any]) -> dict[str, Any]:
    """How to load the very same data again: ``load_dataset(data_spec, **data_options)``.

    ``spec``: the checked DataSpec (absolute path); ``options``: as given, completed with the
    split and the preprocessing actually used (the source's default when none was given).
    """
    from sae_core.data.registry import SOURCES

    full = {"test_fraction": 0.2, "seed": 0, "max_samples": None} | options
    full["preprocess"] = options.get("preprocess") or SOURCES[spec.source].default_preprocess
    return {"data_spec": str(spec), "data_source": spec.source, "data_options": full}


def load_data(args: argparse.Namespace, spec: str) -> Any:
    from sae_core.data import load_dataset

    dataset = load_dataset(spec, **data_options(args))
    for notice in dataset.notices:  # e.g. a CSV column named "label" taken as the labels
        print(f"note: {notice}", file=sys.stderr)
    return dataset


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
    args: argparse.Namespace, d_in: int, lam: float, hidden: int, k: int | None = None
) -> tuple[SAEConfig, TrainConfig]:
    """The configs the arguments describe; ``k`` replaces ``args.k`` (a sweep's k list)."""
    sae = SAEConfig(
        d_in=d_in,
        d_sae=hidden,
        method=args.method,
        lam=lam,
        k=args.k if k is None else k,
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


def check_configs(
    args: argparse.Namespace, lams: Sequence[float], hiddens: Sequence[int], ks: Sequence[int]
) -> None:
    """Refuse bad model or training settings before any data is loaded (or torch imported):
    every check but the input width, which only the data knows (d_in=1 stands in for it)."""
    for lam in lams:
        for hidden in hiddens:
            for k in ks:
                check_compatible(*configs(args, 1, lam, hidden, k=k))


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
