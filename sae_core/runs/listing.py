"""The runs table: one row per valid run under the root, and the folders that fail, with why.

Listing reads each run's JSON and only the header of its weights file, so it stays fast with many
large runs; a full load (``runs.load_run``) also checks the values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from safetensors import SafetensorError, safe_open

from sae_core import methods
from sae_core.config import SAEConfig
from sae_core.errors import RunError
from sae_core.runs.format import (
    CONFIG_FILE,
    HISTORY_FILE,
    METRICS_FILE,
    WEIGHTS_FILE,
    check_weight_layout,
    parse_config,
    parse_metrics,
)
from sae_core.runs.store import (
    file_source,
    read_run_file,
    remove_stale_temps,
    run_path,
    runs_root,
)

RUN_COLUMNS: tuple[str, ...] = (
    "name",
    "path",
    "created",
    "data",
    "method",
    "d_in",
    "d_sae",
    "lam",
    "k",
    "rho",
    "target_l0",
    "epochs",
    "lr",
    "seed",
)
METRIC_COLUMNS: tuple[str, ...] = (
    "mse",
    "fve",
    "fvu",
    "l0",
    "dead_fraction",
    "dense_fraction",
    "gamma",
    "mmcs",
    "mcc",
    "probe_accuracy",
    "train_seconds",
)
BROKEN_COLUMNS: tuple[str, ...] = ("name", "path", "error")


def list_runs(root: str | Path | None = None) -> pd.DataFrame:
    """One row per valid run, oldest first: RUN_COLUMNS, METRIC_COLUMNS, then other metrics."""
    rows, _ = _scan(root)
    extra_metrics = sorted(
        {key for row in rows for key in row} - set(RUN_COLUMNS) - set(METRIC_COLUMNS)
    )
    columns = [*RUN_COLUMNS, *METRIC_COLUMNS, *extra_metrics]
    table = pd.DataFrame(rows, columns=columns)
    if table.empty:
        return table
    table["created"] = pd.to_datetime(table["created"], utc=True)
    return table.sort_values(["created", "name"], kind="stable").reset_index(drop=True)


def list_broken_runs(root: str | Path | None = None) -> pd.DataFrame:
    """Folders in the root that are not loadable runs, with the reason (columns name, path, error)."""
    _, broken = _scan(root)
    return pd.DataFrame(broken, columns=list(BROKEN_COLUMNS))


def _scan(root: str | Path | None) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    base = runs_root(root)
    if not base.is_dir():
        return [], []
    remove_stale_temps(base)
    rows: list[dict[str, Any]] = []
    broken: list[dict[str, str]] = []
    for entry in sorted(base.iterdir()):
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        try:
            run_path(entry.name, base)
            rows.append(_summary_row(entry))
        except RunError as exc:
            broken.append({"name": entry.name, "path": str(entry), "error": str(exc)})
    return rows, broken


def _summary_row(folder: Path) -> dict[str, Any]:
    """The listing row of one run, reading the weights' header but not the tensors."""
    run_cfg = parse_config(read_run_file(folder, CONFIG_FILE), file_source(folder, CONFIG_FILE))
    metrics = parse_metrics(read_run_file(folder, METRICS_FILE), file_source(folder, METRICS_FILE))
    _check_weights_header(folder, run_cfg.sae)
    if not (folder / HISTORY_FILE).is_file():
        raise RunError(f"run {folder.name!r} has no {HISTORY_FILE}: it is incomplete; delete it")
    sae, train = run_cfg.sae, run_cfg.train
    method = methods.get(sae.method)
    row: dict[str, Any] = {
        **metrics,
        "name": folder.name,
        "path": str(folder),
        "created": run_cfg.created,
        "data": run_cfg.data_name,
        "method": sae.method,
        "d_in": sae.d_in,
        "d_sae": sae.d_sae,
        # Settings a method ignores are left blank so the table does not suggest they mattered.
        "lam": sae.lam if method.uses_lam else None,
        "k": sae.k if method.uses_k else None,
        "rho": sae.rho if method.uses_rho else None,
        "target_l0": sae.target_l0 if method.takes_target_l0 else None,
        "epochs": train.epochs,
        "lr": train.lr,
        "seed": train.seed,
    }
    if run_cfg.train_seconds is not None:
        row["train_seconds"] = run_cfg.train_seconds
    return row


def _check_weights_header(folder: Path, cfg: SAEConfig) -> None:
    path, source = folder / WEIGHTS_FILE, file_source(folder, WEIGHTS_FILE)
    if not path.is_file():
        raise RunError(f"run {folder.name!r} has no {WEIGHTS_FILE}: it is incomplete; delete it")
    try:
        with safe_open(str(path), framework="pt") as handle:
            slices = {key: handle.get_slice(key) for key in handle.keys()}  # noqa: SIM118
            shapes = {key: tuple(s.get_shape()) for key, s in slices.items()}
            dtypes = {key: s.get_dtype() for key, s in slices.items()}
    except (SafetensorError, OSError) as exc:
        raise RunError(
            f"{source} is not a readable safetensors file ({exc}): it is truncated or "
            "corrupt; delete the run or restore the file"
        ) from None
    check_weight_layout(shapes, dtypes, cfg, source)
