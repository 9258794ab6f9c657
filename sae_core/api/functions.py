"""The functional API a notebook calls: ``train``, ``sweep``, ``evaluate``, ``load_run``.

Thin over :mod:`sae_core.training.fit`, :mod:`sae_core.analysis.metrics` and
:mod:`sae_core.runs`: data may be a loaded :class:`~sae_core.data.dataset.Dataset` or a spec
string (``"digits"``, ``"x.csv"``), the model's input width comes from the data, and settings are
the field names of :class:`~sae_core.config.SAEConfig` and :class:`~sae_core.config.TrainConfig`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import pandas as pd

from sae_core.analysis.metrics import EvalMetrics
from sae_core.analysis.metrics import evaluate as _evaluate
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.data.dataset import Dataset
from sae_core.errors import ConfigError
from sae_core.model import SparseAutoencoder
from sae_core.runs import LoadedRun
from sae_core.runs import load_run as _load_run
from sae_core.training.fit import TrainResult, train_sweep
from sae_core.training.fit import train as _train
from sae_core.training.trainer import StepCallback

_SAE_FIELDS = frozenset(f.name for f in fields(SAEConfig)) - {"d_in"}
_TRAIN_FIELDS = frozenset(f.name for f in fields(TrainConfig))


def _dataset(data: Dataset | str) -> Dataset:
    if isinstance(data, Dataset):
        return data
    if isinstance(data, str):
        return load_dataset(data)
    raise ConfigError(
        f"data must be a Dataset or a data spec such as 'digits', got {type(data).__name__}: "
        "load arrays with sae_core.load_dataset, or use the SparseAutoencoder estimator"
    )


def _configs(
    dataset: Dataset,
    sae_config: SAEConfig | None,
    train_config: TrainConfig | None,
    settings: dict[str, Any],
) -> tuple[SAEConfig, TrainConfig]:
    """The two configs: given ones (or defaults for this data's width) with ``settings`` on top."""
    unknown = sorted(set(settings) - _SAE_FIELDS - _TRAIN_FIELDS)
    if unknown:
        raise ConfigError(
            f"unknown setting(s) {', '.join(unknown)}: choose fields of SAEConfig "
            f"({', '.join(sorted(_SAE_FIELDS))}) or TrainConfig ({', '.join(sorted(_TRAIN_FIELDS))})"
        )
    sae_settings = {k: v for k, v in settings.items() if k in _SAE_FIELDS}
    train_settings = {k: v for k, v in settings.items() if k in _TRAIN_FIELDS}
    sae = (sae_config or SAEConfig(d_in=dataset.d_in)).replace(**sae_settings)
    return sae, (train_config or TrainConfig()).replace(**train_settings)


def train(
    data: Dataset | str,
    sae_config: SAEConfig | None = None,
    train_config: TrainConfig | None = None,
    *,
    callback: StepCallback | None = None,
    probe: bool = True,
    **settings: Any,
) -> TrainResult:
    """Train one SAE on ``data``'s training split and evaluate it on its test split.

    Args:
        data: a Dataset from :func:`sae_core.load_dataset`, or a spec string (``"digits"``).
        sae_config, train_config: full configs; default ones fit ``data``'s width.
        callback: ``callback(trainer)`` after every step; return False to stop early.
        probe: also fit the linear probes when the data has labels.
        **settings: any SAEConfig or TrainConfig field, e.g. ``method="topk", k=8, epochs=5``.

    Returns:
        TrainResult: ``.model`` (the ``nn.Module``), ``.history`` (a DataFrame, one row per step),
        ``.metrics`` (EvalMetrics: fve, l0, dead_fraction, ...; ``.to_dict()``), ``.train_seconds``.

    Example: ``sae_core.train("digits", method="topk", k=8, epochs=5).metrics.fve``
    """
    dataset = _dataset(data)
    sae, tc = _configs(dataset, sae_config, train_config, settings)
    return _train(sae, dataset, tc, callback=callback, probe=probe)


def sweep(
    data: Dataset | str,
    *,
    lams: Sequence[float],
    d_saes: Sequence[int] | None = None,
    seeds: Sequence[int] | None = None,
    sae_config: SAEConfig | None = None,
    train_config: TrainConfig | None = None,
    probe: bool = False,
    **settings: Any,
) -> pd.DataFrame:
    """Train every (d_sae, λ, seed) combination and return one table row per model.

    Models of one width train together as one stacked model (as fast as one, nearly). Columns:
    lam, d_sae, seed, method and every metric (fve, l0, dead_fraction, ...), on the test split.
    ``settings`` as in :func:`train`. For the models themselves use
    :func:`sae_core.training.fit.train_sweep`.

    Example: ``sae_core.sweep("digits", lams=[0.01, 0.1, 1], epochs=5)[["lam", "fve", "l0"]]``
    """
    dataset = _dataset(data)
    sae, tc = _configs(dataset, sae_config, train_config, settings)
    result = train_sweep(sae, dataset, tc, lams=lams, d_saes=d_saes, seeds=seeds, probe=probe)
    return result.table


def evaluate(
    model: SparseAutoencoder | TrainResult | LoadedRun,
    data: Dataset | str,
    *,
    split: str = "test",
    probe: bool = True,
    max_samples: int | None = None,
) -> EvalMetrics:
    """Every metric of ``model`` on ``data``'s ``split`` ("test" or "train").

    ``model`` may be the ``nn.Module`` or what :func:`train` or :func:`load_run` returned;
    ``data`` a Dataset or a spec string (loaded with its default preprocessing, so use the data
    the model was trained on). Returns EvalMetrics (``.fve``, ``.l0``, ... ``.to_dict()``).
    """
    module = model if isinstance(model, SparseAutoencoder) else model.model
    return _evaluate(module, _dataset(data), split=split, probe=probe, max_samples=max_samples)


def load_run(run: str | Path, root: str | Path | None = None) -> LoadedRun:
    """Load a saved run: a folder path (``Path`` or a string naming an existing folder, such as
    ``"runs/mnist256"``) or a run name looked up in the runs root (``SAE_EXPLORER_RUNS``).

    Returns LoadedRun: ``.model``, ``.sae_config``, ``.train_config``, ``.metrics`` (a dict),
    ``.history``, ``.data_name``.
    """
    if isinstance(run, str) and root is None and Path(run).expanduser().is_dir():
        run = Path(run).expanduser()
    return _load_run(run, root)
