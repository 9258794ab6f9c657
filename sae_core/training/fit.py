"""One-call training: ``train(config, dataset)`` and ``train_sweep`` (a stacked λ × seed grid
per width and k)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import pandas as pd

from sae_core import methods
from sae_core.analysis.metrics import EvalMetrics, evaluate
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data.dataset import Dataset
from sae_core.errors import ConfigError
from sae_core.model import SparseAutoencoder
from sae_core.training.trainer import StepCallback, Trainer

_T = TypeVar("_T")


@dataclass(frozen=True, kw_only=True)
class TrainResult:
    """A trained model, its history and its held-out metrics."""

    model: SparseAutoencoder
    sae_config: SAEConfig
    train_config: TrainConfig
    history: pd.DataFrame
    metrics: EvalMetrics
    train_seconds: float
    steps: int


def train(
    sae_config: SAEConfig,
    dataset: Dataset,
    train_config: TrainConfig | None = None,
    *,
    callback: StepCallback | None = None,
    probe: bool = True,
) -> TrainResult:
    """Train one SAE on ``dataset.x_train`` and evaluate it on ``dataset.x_test``."""
    tc = train_config or TrainConfig()
    trainer = Trainer(sae_config, tc, dataset.x_train)
    start = time.perf_counter()
    trainer.run(callback=callback)
    seconds = time.perf_counter() - start
    model = trainer.model(0)
    return TrainResult(
        model=model,
        sae_config=sae_config,
        train_config=tc,
        history=trainer.history.drop(columns="model"),
        metrics=evaluate(model, dataset, probe=probe),
        train_seconds=seconds,
        steps=trainer.step_count,
    )


@dataclass(frozen=True, kw_only=True)
class SweepResult:
    """Every model of a sweep with its metrics (one table row per model)."""

    models: list[SparseAutoencoder]
    configs: list[SAEConfig]
    seeds: list[int]
    table: pd.DataFrame  # lam, d_sae, seed, method (k: TopK family) + every EvalMetrics field
    history: pd.DataFrame  # Trainer.history with a model column
    train_seconds: float


def sweep_grid(
    base: SAEConfig,
    lams: Sequence[float],
    d_saes: Sequence[int] | None = None,
    ks: Sequence[int] | None = None,
) -> list[list[SAEConfig]]:
    """Groups of configs that can be stacked: one group per hidden size and k, λ varying inside.

    Repeated values count once (first one kept, order kept): a duplicate would train the very
    same model twice. Several λ for a method that ignores λ, or several k for one that ignores
    k, would train identical models: refused (``Method.uses_lam``, ``Method.uses_k``).
    """
    if not lams:
        raise ConfigError("a sweep needs at least one λ value")
    lam_list = _unique(map(float, lams))
    k_list = _unique([int(k) for k in ks] if ks else [base.k])
    method = methods.get(base.method)
    if len(lam_list) > 1 and not method.uses_lam:
        raise ConfigError(
            f"method {base.method!r} does not use λ: lams={lam_list} would train identical "
            "models; give one λ" + (", and sweep k instead" if method.uses_k else "")
        )
    if len(k_list) > 1 and not method.uses_k:
        raise ConfigError(
            f"method {base.method!r} does not use k: ks={k_list} would train identical models; "
            f"sweep k with a method that reads it ({', '.join(methods.with_knob('k'))})"
        )
    widths = _unique([int(h) for h in d_saes] if d_saes else [base.d_sae])
    # k cannot stack (a stack shares one config but λ), so each k is its own group
    return [
        [base.replace(d_sae=h, k=k, lam=lam) for lam in lam_list] for h in widths for k in k_list
    ]


def _unique(values: Iterable[_T]) -> list[_T]:
    """``values`` without repeats, in first-seen order."""
    return list(dict.fromkeys(values))


def train_sweep(
    base: SAEConfig,
    dataset: Dataset,
    train_config: TrainConfig | None = None,
    *,
    lams: Sequence[float],
    d_saes: Sequence[int] | None = None,
    ks: Sequence[int] | None = None,
    seeds: Sequence[int] | None = None,
    callback: StepCallback | None = None,
    probe: bool = False,
) -> SweepResult:
    """Train every (d_sae, k, λ, seed) combination; one stacked model per hidden size and k.

    Repeated λ, d_sae or seed values train once. ``probe=True`` adds the linear-probe accuracies
    when ``dataset`` has labels, as :func:`train` does; it is off by default because the two
    probes cost more than training a stacked group of small models (on digits, a sweep of 8 takes
    about 2.2x as long with them).
    """
    tc = train_config or TrainConfig()
    seed_list = _unique(int(s) for s in seeds) if seeds else [tc.seed]
    models: list[SparseAutoencoder] = []
    configs: list[SAEConfig] = []
    used_seeds: list[int] = []
    rows: list[dict[str, object]] = []
    histories: list[pd.DataFrame] = []
    seconds = 0.0
    uses_k = methods.get(base.method).uses_k
    for group in sweep_grid(base, lams, d_saes, ks):
        stack = [c for c in group for _ in seed_list]
        stack_seeds = [s for _ in group for s in seed_list]
        trainer = Trainer(stack, tc, dataset.x_train, seeds=stack_seeds)
        start = time.perf_counter()
        trainer.run(callback=callback)
        seconds += time.perf_counter() - start
        hist = trainer.history.copy()
        hist["model"] = hist["model"] + len(models)
        histories.append(hist)
        for i, (cfg, seed) in enumerate(zip(stack, stack_seeds, strict=True)):
            model = trainer.model(i)
            metrics = evaluate(model, dataset, probe=probe)
            rows.append(
                {
                    "lam": cfg.lam,
                    "d_sae": cfg.d_sae,
                    "seed": seed,
                    "method": cfg.method,
                    **({"k": cfg.k} if uses_k else {}),
                    **metrics.to_dict(),
                }
            )
            models.append(model)
            configs.append(cfg)
            used_seeds.append(seed)
    return SweepResult(
        models=models,
        configs=configs,
        seeds=used_seeds,
        table=pd.DataFrame(rows),
        history=pd.concat(histories, ignore_index=True),
        train_seconds=seconds,
    )
