"""The method race: every chosen method trained at the same target L0s on the same data.

Each method meets a target as the registry says (:attr:`sae_core.methods.Method.target_l0_via`):
the TopK family through k, JumpReLU through its own quadratic target, λ methods through the λ
controller. Models are stacked where shapes allow: a λ method's targets only steer λ, so all of
its targets train as one stacked Trainer; k-family and JumpReLU models differ in shape or loss
and train apart. Used by ``sweep --methods … --target-l0 …``, the Compare page's "Race the
methods" and the "Which SAE wins at the same sparsity?" scenario.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sae_core import methods
from sae_core.analysis.metrics import EvalMetrics, evaluate
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data.dataset import Dataset
from sae_core.errors import ConfigError

if TYPE_CHECKING:  # torch and pandas load with the first race, not with the Start page
    import pandas as pd

    from sae_core.model import SparseAutoencoder
    from sae_core.training.trainer import StepCallback

# The methods a race runs unless told otherwise: one of each way to reach a target L0 (the λ
# controller, k per sample, k per batch, the method's own pull). One place for the page and the
# scenario.
DEFAULT_RACE_METHODS: tuple[str, ...] = (
    methods.L1.name,
    methods.TOPK.name,
    methods.BATCHTOPK.name,
    methods.JUMPRELU.name,
)

RACE_COLUMNS: tuple[str, ...] = (
    "method",
    "target_l0",
    "l0",
    "fvu",
    "fve",
    "f1",
    "seconds",
    "lam",
    "k",
)
"""The race table's columns: ``seconds`` is training time (a stacked group's shared equally);
``lam`` the λ a controlled model ended at (its start λ otherwise); ``k`` where k is used."""


@dataclass(frozen=True, kw_only=True)
class RaceResult:
    """The race table (RACE_COLUMNS, one row per method × target) and its models, in row order.

    ``history``: the Trainer histories, column ``model`` numbering the table's rows (a λ
    controller's path is its ``lam`` column)."""

    table: pd.DataFrame
    models: list[SparseAutoencoder]  # model.cfg.lam: the λ a controller ended at
    configs: list[SAEConfig]  # as trained (start λ and target): train one again from these
    metrics: list[EvalMetrics]  # every held-out metric of each model, in row order
    history: pd.DataFrame
    train_seconds: float


def race_groups(
    base: SAEConfig, method_names: Sequence[str], targets: Sequence[float]
) -> list[list[SAEConfig]]:
    """Stackable groups of configs: one per λ method (all its targets), one per other model.

    ``base`` gives the shape and the other settings; each method's registry defaults for its
    knobs apply. Raises ConfigError for a method a target cannot steer, or no method / target.
    """
    if not method_names or not targets:
        raise ConfigError("a race needs at least one method and one target L0")
    groups: list[list[SAEConfig]] = []
    for name in dict.fromkeys(method_names):
        method = methods.get(name)
        if not method.takes_target_l0:
            raise ConfigError(
                f"method={name!r}: a target L0 does not set its sparsity; race one of "
                f"{', '.join(methods.with_target_l0())}"
            )
        knobs = {k: v for k, v in method.defaults.items() if k in methods.KNOBS}
        cfgs = [
            base.replace(method=name, **knobs, target_l0=float(t)) for t in dict.fromkeys(targets)
        ]
        groups.extend([cfgs] if method.lam_controlled else [[c] for c in cfgs])
    return groups


def run_race(
    base: SAEConfig,
    dataset: Dataset,
    train_config: TrainConfig | None = None,
    *,
    method_names: Sequence[str],
    targets: Sequence[float],
    callback: StepCallback | None = None,
) -> RaceResult:
    """Train every method at every target on ``dataset`` and measure each on its test split.

    A dead-latent remedy in ``train_config`` becomes each method's own (AuxK for the TopK
    family, resampling for penalties), so one schedule serves every method. A λ controller
    needs a few hundred steps (λ moves at most a decade in ~80): give the race enough epochs.
    """
    import pandas as pd

    from sae_core.training.trainer import Trainer

    tc = train_config or TrainConfig()
    rows: list[dict[str, object]] = []
    models: list[SparseAutoencoder] = []
    histories: list[pd.DataFrame] = []
    measured: list[EvalMetrics] = []
    configs: list[SAEConfig] = []
    total = 0.0
    for group in race_groups(base, method_names, targets):
        remedy = methods.get(group[0].method).dead_remedy
        own = tc if tc.dead_remedy == "none" else tc.replace(dead_remedy=remedy)
        trainer = Trainer(group, own, dataset.x_train)
        start = time.perf_counter()
        trainer.run(callback=callback)
        seconds = time.perf_counter() - start
        total += seconds
        histories.append(trainer.history.assign(model=trainer.history["model"] + len(models)))
        for i, cfg in enumerate(group):
            model = trainer.model(i)
            m = evaluate(model, dataset, probe=False)
            method = methods.get(cfg.method)
            rows.append(
                {
                    "method": cfg.method,
                    "target_l0": cfg.target_l0,
                    "l0": m.l0,
                    "fvu": m.fvu,
                    "fve": m.fve,
                    "f1": m.f1,
                    "seconds": seconds / len(group),
                    "lam": model.cfg.lam if method.uses_lam else None,
                    "k": cfg.k if method.uses_k else None,
                }
            )
            models.append(model)
            configs.append(cfg)
            measured.append(m)
    table = pd.DataFrame(rows, columns=list(RACE_COLUMNS))
    history = pd.concat(histories, ignore_index=True)
    return RaceResult(
        table=table,
        models=models,
        configs=configs,
        metrics=measured,
        history=history,
        train_seconds=total,
    )


def race_winners(table: pd.DataFrame) -> pd.Series:
    """The method with the lowest FVU at each target L0 (index: target_l0)."""
    best = table.loc[table.groupby("target_l0")["fvu"].idxmin()]
    return best.set_index("target_l0")["method"]
