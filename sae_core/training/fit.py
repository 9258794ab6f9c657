"""One-call training: ``train(config, dataset)`` and ``train_sweep`` (a stacked λ × seed grid
per k, its widths padded into shared stacks where that is exact: training/size_sweep)."""

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
from sae_core.training.batch_source import BatchSource
from sae_core.training.size_sweep import (
    PaddedTrainer,
    engine_for,
    overhead_latents,
    pads_exactly,
    width_groups,
)
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
    source: BatchSource | None = None,
) -> TrainResult:
    """Train one SAE on ``dataset.x_train`` and evaluate it on ``dataset.x_test``.

    ``source``: train on its batches instead (a file streamed from disk), ``dataset`` holding
    its in-memory samples for the evaluation.
    """
    tc = train_config or TrainConfig()
    trainer = Trainer(sae_config, tc, dataset.x_train if source is None else source)
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


def sweep_stacks(
    base: SAEConfig,
    train_config: TrainConfig,
    lams: Sequence[float],
    d_saes: Sequence[int] | None = None,
    ks: Sequence[int] | None = None,
    n_seeds: int = 1,
) -> list[list[SAEConfig]]:
    """The stacks :func:`train_sweep` trains, in training order: :func:`sweep_grid`'s groups,
    with the widths of one k merged into padded stacks (:mod:`sae_core.training.size_sweep`)
    where padding trains each model exactly as alone and costs less than the trainers it
    saves (:func:`~sae_core.training.size_sweep.width_groups`); other groups train apart.
    ``n_seeds``: distinct seeds per grid point (each stack holds its configs once per seed)."""
    groups = sweep_grid(base, lams, d_saes, ks)
    if len(groups) == 1 or not pads_exactly(base, train_config):
        return groups
    by_k: dict[int, dict[int, list[SAEConfig]]] = {}
    for group in groups:
        by_k.setdefault(group[0].k, {})[group[0].d_sae] = group
    # AuxK's k is min(aux_k, d_sae): a width below aux_k would get another k when padded
    auxk = train_config.dead_remedy == "auxk"
    overhead = overhead_latents(base.d_in, train_config.batch_size)
    stacks: list[list[SAEConfig]] = []
    per_width = len(groups[0]) * n_seeds
    for by_width in by_k.values():
        paddable = [w for w in by_width if not auxk or w >= train_config.aux_k]
        # widths pad together only where their single runs take one step engine
        by_engine: dict[type, list[int]] = {}
        for w in paddable:
            by_engine.setdefault(engine_for(by_width[w][0], train_config), []).append(w)
        for same_engine in by_engine.values():
            for widths in width_groups(same_engine, overhead, per_width):
                stacks.append([cfg for w in widths for cfg in by_width[w]])
        stacks += [by_width[w] for w in by_width if w not in paddable]
    return stacks


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
    """Train every (d_sae, k, λ, seed) combination in the stacks of :func:`sweep_stacks` (one
    trainer per stack: λ × seed, and several widths padded to the widest where exact).

    Models, table rows and history model numbers follow :func:`sweep_grid`'s order (width, k,
    λ, seed), whatever the stacks. Repeated λ, d_sae or seed values train once. ``probe=True``
    adds the linear-probe accuracies when ``dataset`` has labels, as :func:`train` does; it is
    off by default because the two probes cost more than training a stacked group of small
    models (on digits, a sweep of 8 takes about 2.2x as long with them).
    """
    tc = train_config or TrainConfig()
    seed_list = _unique(int(s) for s in seeds) if seeds else [tc.seed]
    grid = [
        (cfg, s) for group in sweep_grid(base, lams, d_saes, ks) for cfg in group for s in seed_list
    ]
    position = {(cfg.d_sae, cfg.k, cfg.lam, s): i for i, (cfg, s) in enumerate(grid)}
    trained: dict[int, tuple[SparseAutoencoder, dict[str, object]]] = {}
    histories: list[pd.DataFrame] = []
    seconds = 0.0
    uses_k = methods.get(base.method).uses_k
    for group in sweep_stacks(base, tc, lams, d_saes, ks, len(seed_list)):
        stack = [c for c in group for _ in seed_list]
        stack_seeds = [s for _ in group for s in seed_list]
        padded = len({c.d_sae for c in stack}) > 1
        make = PaddedTrainer if padded else Trainer
        trainer = make(stack, tc, dataset.x_train, seeds=stack_seeds)
        start = time.perf_counter()
        trainer.run(callback=callback)
        seconds += time.perf_counter() - start
        at = [position[(c.d_sae, c.k, c.lam, s)] for c, s in zip(stack, stack_seeds, strict=True)]
        hist = trainer.history.copy()
        hist["model"] = hist["model"].map(dict(enumerate(at)))
        histories.append(hist)
        for i, (cfg, seed) in enumerate(zip(stack, stack_seeds, strict=True)):
            model = trainer.model(i)
            metrics = evaluate(model, dataset, probe=probe)
            row = {
                "lam": cfg.lam,
                "d_sae": cfg.d_sae,
                "seed": seed,
                "method": cfg.method,
                **({"k": cfg.k} if uses_k else {}),
                **metrics.to_dict(),
            }
            trained[at[i]] = (model, row)
    history = pd.concat(histories, ignore_index=True)
    return SweepResult(
        models=[trained[i][0] for i in range(len(grid))],
        configs=[cfg for cfg, _ in grid],
        seeds=[s for _, s in grid],
        table=pd.DataFrame([trained[i][1] for i in range(len(grid))]),
        history=history.sort_values(["model", "step"], kind="stable", ignore_index=True),
        train_seconds=seconds,
    )
