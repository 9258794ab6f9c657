"""``sweep``: a grid of λ, widths and seeds trained as stacked models (widths padded into one
stack where exact), printed as a table, as JSON (``--json``) or written to a CSV (``--csv``,
checked before training). With ``--target-l0 N,N`` (and ``--methods a,b``) it is the method
race (:mod:`sae_core.training.race`) instead."""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sae_core import methods
from sae_core.cli.options import (
    check_configs,
    check_data_args,
    configs,
    data_options,
    data_record,
    l0_fields,
    load_data,
)
from sae_core.cli.progress import progress_for
from sae_core.errors import ConfigError

if TYPE_CHECKING:  # pandas is imported by the commands that need it: --help stays fast
    import pandas as pd

_SWEEP_COLUMNS = (
    "lam",
    "d_sae",
    "k",
    "seed",
    "fve",
    "l0",
    "dead_fraction",
    "gamma",
    "mmcs",
    "probe_accuracy",
)


def _check_csv(csv: str | None) -> Path | None:
    """The --csv target, refused before training unless a file can be written there, so a bad
    path never throws a trained grid away. An existing file is left as it is until the write."""
    from sae_core.data.mnist.idx import is_folder, path_exists

    if not csv:
        return None
    path = Path(csv).expanduser().resolve()
    if is_folder(path):  # (DataError, not OSError, for a path the system cannot look at)
        raise ConfigError(
            f"--csv {csv} is a folder: give a file path, e.g. --csv {Path(csv) / 'sweep.csv'}"
        )
    if not is_folder(path.parent):
        raise ConfigError(
            f"--csv {csv}: its folder does not exist: create the folder or choose another path"
        )
    existed = path_exists(path)
    try:
        # append mode writes nothing; a probe file made here is removed again at once
        with path.open("a"):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(
            f"--csv {csv} cannot be written ({reason}): choose a file in a folder you can write to"
        ) from None
    if not existed:
        path.unlink(missing_ok=True)
    return path


def _sweep_steps(history: pd.DataFrame, n_models: int) -> list[int]:
    """Optimiser steps of each sweep model, in table order: its last logged step (0 if none).

    history: the sweep's Trainer history, one row per logged step and model (column ``model``
    numbers the models in table order); the trainer always logs the final step.
    """
    last = history.groupby("model")["step"].max()
    return [int(last.get(i, 0)) for i in range(n_models)]


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The table's rows as plain Python values, floats unrounded (as train --json prints them;
    pandas' ``to_json`` keeps only 10 digits) and NaN as None."""

    def plain(value: Any) -> Any:
        value = value.item() if hasattr(value, "item") else value
        return None if isinstance(value, float) and not math.isfinite(value) else value

    return [{k: plain(v) for k, v in row.items()} for row in table.to_dict(orient="records")]


def _check_grid(args: argparse.Namespace) -> None:
    """The sweep's lists against the method (before any import of torch): several λ for a
    method that ignores λ, or several k for one that ignores k, would train identical models."""
    method = methods.get(args.method)
    if len(args.lam) > 1 and not method.uses_lam:
        also = "; sweep --k instead" if method.uses_k else ""
        raise ConfigError(
            f"--method {args.method} does not use λ: --lam {','.join(map(str, args.lam))} would "
            f"train identical models; give one --lam{also}"
        )
    if len(args.k) > 1 and not method.uses_k:
        raise ConfigError(
            f"--method {args.method} does not use k: --k {','.join(map(str, args.k))} would "
            f"train identical models; --k lists are for {', '.join(methods.with_knob('k'))}"
        )


def cmd_sweep(args: argparse.Namespace) -> int:
    record = data_record(check_data_args(args.data, data_options(args)), data_options(args))
    csv = _check_csv(args.csv)
    if args.target_l0 is not None or args.methods is not None:
        return cmd_race(args, csv)
    _check_grid(args)
    check_configs(args, args.lam, args.hidden, args.k)
    from sae_core.analysis.metrics import json_metrics
    from sae_core.training.fit import sweep_stacks, train_sweep

    dataset = load_data(args, args.data)
    base, tc = configs(args, dataset.d_in, args.lam[0], args.hidden[0], k=args.k[0])
    start = time.perf_counter()
    # one progress group per trainer: widths padded into one stack train together
    n_seeds = len(set(args.seeds)) if args.seeds else 1
    n_stacks = len(sweep_stacks(base, tc, args.lam, args.hidden, args.k, n_seeds))
    progress = progress_for(args.json, n_stacks, label="sweep")
    try:
        # Probes as train does, so sweep rows and train runs compare (skipped without labels).
        result = train_sweep(
            base,
            dataset,
            tc,
            lams=args.lam,
            d_saes=args.hidden,
            ks=args.k,
            seeds=args.seeds,
            callback=progress,
            probe=True,
        )
    finally:
        if progress is not None:
            progress.close()
    table = result.table.copy()
    # after method: the run objects read lam, d_sae, seed, method, steps, then the metrics
    at = table.columns.get_loc("method") + 1 if "method" in table else 0
    table.insert(int(at), "steps", _sweep_steps(result.history, len(table)))
    # Print first, write the CSV last: should the write still fail, the results are on screen.
    if args.json:
        print(
            json.dumps(
                {
                    "config": {
                        "sae": base.to_dict(),
                        "train": tc.to_dict(),
                        "data": dataset.name,
                        **record,
                        "lams": args.lam,
                        "hidden": args.hidden,
                        "ks": args.k,
                        "seeds": args.seeds,
                    },
                    "runs": [
                        json_metrics(row) | l0_fields(row["method"], result.history, row["l0"], i)
                        for i, row in enumerate(_records(table))
                    ],
                    "train_seconds": result.train_seconds,
                    "seconds": time.perf_counter() - start,
                }
            )
        )
    else:
        cols = [c for c in _SWEEP_COLUMNS if c in table.columns and table[c].notna().any()]
        print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        print(f"{len(table)} models trained in {result.train_seconds:.2f} s")
    if csv is not None:
        _write_csv(table, csv, args.csv)
    return 0


def cmd_race(args: argparse.Namespace, csv: Path | None) -> int:
    """``sweep --methods a,b --target-l0 4,8``: every method at every target on the same data."""
    from sae_core.training.race import race_groups, run_race

    if args.target_l0 is None:
        raise ConfigError("--methods races methods at target L0s: give --target-l0 N,N,…")
    if len(args.k) > 1:
        raise ConfigError("--k lists are for sweeps: a race (--target-l0) sets k from the target")
    names = args.methods or [args.method]
    dataset = load_data(args, args.data)
    # the race sets each model's target; the base config holds the shape and the schedule
    plain = argparse.Namespace(**{**vars(args), "target_l0": None, "k": args.k[0]})
    base, tc = configs(plain, dataset.d_in, args.lam[0], args.hidden[0])
    start = time.perf_counter()
    n_groups = len(race_groups(base, names, args.target_l0))
    progress = progress_for(args.json, n_groups, label="race")
    try:
        result = run_race(
            base, dataset, tc, method_names=names, targets=args.target_l0, callback=progress
        )
    finally:
        if progress is not None:
            progress.close()
    table = result.table
    if args.json:
        config = {"sae": base.to_dict(), "train": tc.to_dict(), "data": dataset.name}
        config |= {"methods": names, "target_l0s": args.target_l0}
        runs = _records(table)
        seconds = time.perf_counter() - start
        out = {"config": config, "runs": runs, "train_seconds": result.train_seconds}
        print(json.dumps(out | {"seconds": seconds}))
    else:
        cols = [c for c in table.columns if table[c].notna().any()]
        print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        print(f"{len(table)} models raced in {result.train_seconds:.2f} s")
    if csv is not None:
        _write_csv(table, csv, args.csv)
    return 0


def _write_csv(table: pd.DataFrame, path: Path, given: str) -> None:
    """Write the sweep table to ``path`` (``given``: the --csv text, for the message)."""
    try:
        table.to_csv(path, index=False)
    except OSError as exc:
        raise ConfigError(
            f"--csv {given} could not be written ({exc.strerror or exc}); the results are printed "
            "above: free space or choose another path and run again"
        ) from None
