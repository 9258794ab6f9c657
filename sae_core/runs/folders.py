"""Saving, loading and deleting run folders (re-exported, lazily, by :mod:`sae_core.runs`).

A save writes every file into a hidden ``.tmp-*`` folder inside the root, fsyncs it, then renames it
to its final name in one step, so a crash at any moment leaves either the whole run or nothing that
the listing shows. Loading never unpickles (safetensors + JSON, see ``run_format``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sae_core import methods
from sae_core.config import SAEConfig, TrainConfig
from sae_core.errors import RunError
from sae_core.model import SparseAutoencoder
from sae_core.runs.format import (
    CONFIG_FILE,
    HISTORY_FILE,
    METRICS_FILE,
    WEIGHTS_FILE,
    RunConfig,
    config_to_json,
    history_to_csv,
    metrics_to_json,
    now_utc,
    parse_config,
    parse_history,
    parse_metrics,
    weights_from_bytes,
    weights_to_bytes,
    zip_bytes,
)
from sae_core.runs.listing import list_broken_runs as list_broken_runs  # re-exported
from sae_core.runs.listing import list_runs as list_runs  # by sae_core.runs
from sae_core.runs.store import (
    ENV_VAR,
    TEMP_PREFIX,
    file_source,
    fsync_dir,
    read_run_file,
    refuse_existing,
    remove_stale_temps,
    run_path,
    runs_root,
    safe_run_name,
    write_folder,
)


@dataclass(frozen=True, kw_only=True, eq=False)
class LoadedRun:
    """A run read back from disk."""

    path: Path
    name: str
    model: SparseAutoencoder
    sae_config: SAEConfig
    train_config: TrainConfig
    metrics: dict[str, float | int | str | None]  # numbers, and "split" (none in older runs)
    history: pd.DataFrame
    data_name: str
    created: datetime
    train_seconds: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def default_run_name(
    sae_cfg: SAEConfig, root: str | Path | None = None, *, now: datetime | None = None
) -> str:
    """A readable unique name such as ``20261125-110501-l1-lam0.003-h128``."""
    method = methods.get(sae_cfg.method)
    parts = [(now or datetime.now()).strftime("%Y%m%d-%H%M%S"), sae_cfg.method]
    if method.uses_k:
        parts.append(f"k{sae_cfg.k}")
    elif method.uses_lam:
        parts.append(f"lam{sae_cfg.lam:g}")
    if method.target_l0_via in ("own", "lam") and sae_cfg.target_l0 is not None:
        parts.append(f"l0target{sae_cfg.target_l0:g}")
    if method.uses_rho:
        parts.append(f"rho{sae_cfg.rho:g}")
    parts.append(f"h{sae_cfg.d_sae}")
    base = "-".join(parts).replace("+", "")
    folder = runs_root(root)
    name, suffix = base, 2
    while os.path.lexists(folder / name):
        name, suffix = f"{base}-{suffix}", suffix + 1
    return safe_run_name(name)


def run_files(
    model: SparseAutoencoder,
    train_cfg: TrainConfig,
    *,
    metrics: Mapping[str, float | int | str | None] | None = None,
    history: pd.DataFrame | None = None,
    data_name: str = "",
    train_seconds: float | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, bytes]:
    """The four files of a run as ``{file name: bytes}``, config last."""
    run_cfg = RunConfig(
        sae=model.cfg,
        train=train_cfg,
        data_name=str(data_name),
        created=now_utc(),
        extra=dict(extra or {}),
        train_seconds=None if train_seconds is None else float(train_seconds),
    )
    return {
        WEIGHTS_FILE: weights_to_bytes(model),
        METRICS_FILE: metrics_to_json(metrics or {}),
        HISTORY_FILE: history_to_csv(pd.DataFrame() if history is None else history),
        CONFIG_FILE: config_to_json(run_cfg),
    }


def model_bytes(model: SparseAutoencoder, train_cfg: TrainConfig, **run_info: Any) -> bytes:
    """A zip of a whole run folder's files (for a download button); ``run_info`` as in run_files."""
    return zip_bytes(run_files(model, train_cfg, **run_info))


def save_run(
    model: SparseAutoencoder,
    train_cfg: TrainConfig,
    *,
    metrics: Mapping[str, float | int | str | None],
    history: pd.DataFrame,
    data_name: str,
    name: str | None = None,
    root: str | Path | None = None,
    train_seconds: float | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write a run folder atomically and return its path; never overwrites an existing run."""
    base = runs_root(root)
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunError(
            f"cannot create the runs folder {base} ({exc.strerror or exc}): "
            f"choose a writable folder, e.g. with {ENV_VAR}"
        ) from None
    remove_stale_temps(base)
    # Serialise first: a bad metric or config fails before anything touches the disk.
    files = run_files(
        model,
        train_cfg,
        metrics=metrics,
        history=history,
        data_name=data_name,
        train_seconds=train_seconds,
        extra=extra,
    )
    final_name = safe_run_name(name) if name is not None else default_run_name(model.cfg, base)
    final = run_path(final_name, base)
    refuse_existing(final)
    tmp = base / f"{TEMP_PREFIX}{final_name}-{uuid.uuid4().hex[:8]}"
    try:
        write_folder(tmp, files)
        refuse_existing(final)
        os.rename(tmp, final)  # atomic: the run appears whole or not at all
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        refuse_existing(final)  # lost a race with another save of the same name
        raise RunError(
            f"could not save run {final_name!r} in {base} ({exc.strerror or exc}): "
            "check free disk space and write permission"
        ) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    # The run is complete either way; a failing directory fsync only weakens durability.
    with contextlib.suppress(OSError):
        fsync_dir(base)
    return final


def load_run(run: str | Path, root: str | Path | None = None) -> LoadedRun:
    """Load a run by name (a ``str``, looked up in the root) or by folder (a ``Path``)."""
    folder = run if isinstance(run, Path) else run_path(run, root)
    if not folder.is_dir():
        raise RunError(f"no run at {folder}: check the name with list_runs() or the folder path")
    run_cfg = parse_config(read_run_file(folder, CONFIG_FILE), file_source(folder, CONFIG_FILE))
    weights = weights_from_bytes(
        read_run_file(folder, WEIGHTS_FILE), run_cfg.sae, file_source(folder, WEIGHTS_FILE)
    )
    return LoadedRun(
        path=folder,
        name=folder.name,
        model=SparseAutoencoder(run_cfg.sae, weights),
        sae_config=run_cfg.sae,
        train_config=run_cfg.train,
        metrics=parse_metrics(
            read_run_file(folder, METRICS_FILE), file_source(folder, METRICS_FILE)
        ),
        history=parse_history(
            read_run_file(folder, HISTORY_FILE), file_source(folder, HISTORY_FILE)
        ),
        data_name=run_cfg.data_name,
        created=run_cfg.created,
        train_seconds=run_cfg.train_seconds,
        extra=run_cfg.extra,
    )


def delete_run(name: str, root: str | Path | None = None) -> None:
    """Delete run ``name``: renamed away first, so a crash never leaves half a run listed."""
    path = run_path(name, root)
    if path.is_symlink() or not path.is_dir():
        raise RunError(f"no run named {name!r} in {path.parent}: check the name with list_runs()")
    trash = path.parent / f"{TEMP_PREFIX}deleting-{name}-{uuid.uuid4().hex[:8]}"
    try:
        os.rename(path, trash)
    except OSError as exc:
        raise RunError(
            f"could not delete run {name!r} ({exc.strerror or exc}): "
            "check write permission on the runs folder"
        ) from None
    shutil.rmtree(trash, ignore_errors=True)


def check_run_compatible(run: LoadedRun | SparseAutoencoder | SAEConfig, d_in: int) -> None:
    """RunError unless the model's input width equals the data's column count ``d_in``."""
    cfg = (
        run.sae_config
        if isinstance(run, LoadedRun)
        else run.cfg
        if isinstance(run, SparseAutoencoder)
        else run
    )
    if cfg.d_in != d_in:
        raise RunError(
            f"model expects d_in={cfg.d_in} but the data has {d_in} columns: "
            "load it with data of the same width"
        )
