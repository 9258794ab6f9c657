"""Command line: ``python -m sae_core train|sweep|eval|export|data`` (also ``sae-explorer``).

Bad arguments or data exit with status 2 and one line on stderr, never a traceback.

``--json`` prints one JSON object:

- train and eval: ``{config: {sae, train, data}, metrics: {...}, train_seconds, steps, run_dir}``;
- sweep: ``{config: {sae, train, data, lams, hidden, seeds}, runs: [...], train_seconds,
  seconds}``, one run object per trained model with ``lam``, ``d_sae``, ``seed``, ``method``,
  ``steps`` and every metric key of train's ``metrics`` (``SWEEP_JSON_HELP``). ``train_seconds``
  is the time spent training, ``seconds`` the whole command's. Sweep saves no runs: no
  ``run_dir``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sae_core.cli.parser import build_parser
from sae_core.config import SAEConfig, TrainConfig
from sae_core.errors import ConfigError, SAEExplorerError

if TYPE_CHECKING:  # pandas is imported by the commands that need it: --help stays fast
    import pandas as pd

EXIT_USAGE = 2


def _data_options(args: argparse.Namespace) -> dict[str, Any]:
    """Every ``load_dataset`` keyword the command line gave (split, preprocessing, --opt)."""
    return {
        "test_fraction": args.test_fraction,
        "seed": args.data_seed,
        "max_samples": args.max_samples,
        "preprocess": args.preprocess,
        **_source_options(args.opt),
    }


def _load_data(args: argparse.Namespace, spec: str) -> Any:
    from sae_core.data import load_dataset

    return load_dataset(spec, **_data_options(args))


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


def _configs(
    args: argparse.Namespace, d_in: int, lam: float, hidden: int
) -> tuple[SAEConfig, TrainConfig]:
    sae = SAEConfig(
        d_in=d_in,
        d_sae=hidden,
        method=args.method,
        lam=lam,
        k=args.k,
        rho=args.rho,
        weight_decay=args.weight_decay,
        tied=args.tied,
        unit_norm_decoder=args.unit_norm,
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


def _check_out(out: str | None) -> Path | None:
    """The --out run folder, refused before training if its name is unsafe or it exists already,
    so a bad --out never throws a trained model away."""
    if not out:
        return None
    from sae_core.runs.store import refuse_existing, run_path

    path = Path(out).expanduser().resolve()
    run_path(path.name, path.parent)
    refuse_existing(path)
    return path


def _print_metrics(title: str, metrics: dict[str, Any]) -> None:
    print(title)
    for key, value in metrics.items():
        if value is not None and key not in ("split",):
            print(
                f"  {key:22s} {value:.4g}" if isinstance(value, float) else f"  {key:22s} {value}"
            )


def cmd_train(args: argparse.Namespace) -> int:
    from sae_core.runs import save_run
    from sae_core.training.fit import train

    out = _check_out(args.out)
    dataset = _load_data(args, args.data)
    sae, tc = _configs(args, dataset.d_in, args.lam, args.hidden)
    result = train(sae, dataset, tc)
    metrics = result.metrics.to_dict()
    run_dir = None
    if out is not None:
        run_dir = save_run(
            result.model,
            tc,
            metrics=metrics,
            history=result.history,
            data_name=dataset.name,
            name=out.name,
            root=out.parent,
            train_seconds=result.train_seconds,
            # how to load the very same split again (eval, the app's Load); keys as the app writes
            extra={"data_spec": args.data, "data_options": _data_options(args)},
        )
    payload = {
        "config": {"sae": sae.to_dict(), "train": tc.to_dict(), "data": dataset.name},
        "metrics": metrics,
        "train_seconds": result.train_seconds,
        "steps": result.steps,
        "run_dir": None if run_dir is None else str(run_dir),
    }
    if args.json:
        print(json.dumps(payload))
    else:
        print(
            f"trained {sae.method} SAE d_sae={sae.d_sae} λ={sae.lam:g} on {dataset.name} "
            f"({dataset.n_train} train / {dataset.n_test} test, d_in={dataset.d_in}) in "
            f"{result.train_seconds:.2f} s, {result.steps} steps"
        )
        _print_metrics("held-out metrics:", metrics)
        if run_dir:
            print(f"saved to {run_dir}")
    return 0


# Columns of the sweep's text table, in order; those empty for the data are left out.
_SWEEP_COLUMNS = (
    "lam",
    "d_sae",
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


def cmd_sweep(args: argparse.Namespace) -> int:
    from sae_core.training.fit import train_sweep

    csv = _check_csv(args.csv)
    dataset = _load_data(args, args.data)
    base, tc = _configs(args, dataset.d_in, args.lam[0], args.hidden[0])
    start = time.perf_counter()
    # Probes as train does, so sweep rows and train runs can be compared (skipped without labels).
    result = train_sweep(
        base, dataset, tc, lams=args.lam, d_saes=args.hidden, seeds=args.seeds, probe=True
    )
    table = result.table.copy()
    # after method: the run objects read lam, d_sae, seed, method, steps, then the metrics
    table.insert(min(4, len(table.columns)), "steps", _sweep_steps(result.history, len(table)))
    # Print first, write the CSV last: should the write still fail, the results are on screen.
    if args.json:
        print(
            json.dumps(
                {
                    "config": {
                        "sae": base.to_dict(),
                        "train": tc.to_dict(),
                        "data": dataset.name,
                        "lams": args.lam,
                        "hidden": args.hidden,
                        "seeds": args.seeds,
                    },
                    "runs": json.loads(table.to_json(orient="records")),
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


def _write_csv(table: pd.DataFrame, path: Path, given: str) -> None:
    """Write the sweep table to ``path`` (``given``: the --csv text, for the message)."""
    try:
        table.to_csv(path, index=False)
    except OSError as exc:
        raise ConfigError(
            f"--csv {given} could not be written ({exc.strerror or exc}); the results are printed "
            "above: free space or choose another path and run again"
        ) from None


def cmd_eval(args: argparse.Namespace) -> int:
    from sae_core.analysis.metrics import evaluate
    from sae_core.runs import check_run_compatible, load_run

    run = load_run(Path(args.run_dir))
    dataset = _run_data(args, run)
    check_run_compatible(run, dataset.d_in)
    metrics = evaluate(run.model, dataset).to_dict()
    if args.json:
        print(
            json.dumps(
                {
                    "config": {
                        "sae": run.sae_config.to_dict(),
                        "train": run.train_config.to_dict(),
                        "data": dataset.name,
                    },
                    "metrics": metrics,
                    "train_seconds": run.train_seconds,
                    "steps": int(run.history["step"].max()) if len(run.history) else 0,
                    "run_dir": str(run.path),
                }
            )
        )
    else:
        _print_metrics(f"{run.name} on {dataset.name} (held-out split):", metrics)
    return 0


def _run_data(args: argparse.Namespace, run: Any) -> Any:
    """``--data`` when given; otherwise the run's own data, loaded as it was for training."""
    from sae_core.data import load_dataset

    if args.data:
        return _load_data(args, args.data)
    spec, options = run.extra.get("data_spec"), run.extra.get("data_options")
    if isinstance(spec, str) and isinstance(options, dict):
        return load_dataset(spec, **options)
    return _load_data(args, run.data_name)  # older runs: the name with default options


def cmd_export(args: argparse.Namespace) -> int:
    from sae_core.runs import load_run
    from sae_core.runs.saelens import export_saelens

    run = load_run(Path(args.run_dir))
    # the input scaling SAELens users must apply: from the run's data, when it still loads
    try:
        preprocessing = _run_data(args, run).preprocessing
        note = "; metadata.sae_explorer.preprocessing says how to scale inputs"
    except SAEExplorerError as exc:
        preprocessing, note = None, f"; its data did not load ({exc}): input scaling not recorded"
    out = export_saelens(
        run.model,
        args.out,
        overwrite=args.overwrite,
        dataset_path=run.data_name,
        preprocessing=preprocessing,
    )
    print(f"exported {args.run_dir} in the SAELens layout to {out}{note}")
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    from sae_core.data import SOURCES

    for source in SOURCES.values():
        print(f"{source.name:14s} {source.title}: {source.description}")
        print(f"{'':14s} needs: {source.needs}")
        helps = source.option_help or ("",) * len(source.options)
        for option, line in zip(source.options, helps, strict=False):
            print(f"{'':16s}--opt {option}=…  {line}")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "train": cmd_train,
    "sweep": cmd_sweep,
    "eval": cmd_eval,
    "export": cmd_export,
    "data": cmd_data,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0, or 2 for a user error)."""
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except SAEExplorerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("error: out of memory: use --max-samples or a smaller --hidden", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
