"""Command line: ``python -m sae_core train|sweep|eval|export|data`` (also ``sae-explorer``).

Bad arguments or data exit with status 2 and one line on stderr, never a traceback; the data
and argument checks run before torch is imported. ``eval``/``export`` use the run's own data and
options; data options without ``--data`` are refused, and with it they replace the saved ones.

``--json`` prints one JSON object:

- train and eval: ``{config: {sae, train, data, data_spec, data_source, data_options}, metrics:
  {...}, train_seconds, steps, run_dir}``; ``load_dataset(data_spec, **data_options)`` loads
  the data again (paths absolute; split, preprocessing and ``--opt`` options all recorded, as in
  a saved run's ``config.json``); ``metrics.split`` says which split was measured;
  ``metrics`` holds every field of ``EvalMetrics`` plus ``fvu``, null where it does not apply
  (``f1`` without synthetic ground truth, ``absorption`` without a feature hierarchy, the probes
  without labels); ``sparse_probe_accuracy`` is ``{"1": acc, "2": acc, "5": acc}`` (k latents
  per class) or null; ``l0_train`` (the last training L0) and ``l0_inference`` (the held-out
  L0) where the method's inference encoder differs from its training one (BatchTopK), else null;
  eval adds ``encoder: {name, k}``: ``--encoder mp|omp`` measures pursuit codes on the run's
  decoder at k atoms per sample (probes then null), ``sae`` (k null) the SAE's own;
- ``eval --saelens DIR_OR_ZIP --data FILE``: as eval, with ``train``, ``train_seconds``,
  ``steps`` and ``run_dir`` null and ``saelens`` the SAE's path;
- sweep: ``{config: {sae, train, data, data_spec, data_source, data_options, lams, hidden, ks,
  seeds}, runs: [...], train_seconds, seconds}``, one run object per trained model with ``lam``,
  ``d_sae``, ``seed``, ``method``, ``k`` (TopK family), ``steps`` and every metric key of
  train's ``metrics``, unrounded as train's (``SWEEP_JSON_HELP``). ``train_seconds``
  is the time spent training, ``seconds`` the whole command's. Sweep saves no runs: no
  ``run_dir``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sae_core.cli.data_save import save_data
from sae_core.cli.figures import check_figures_dir, save_model_figures
from sae_core.cli.options import (
    check_configs,
    check_data_args,
    configs,
    data_options,
    data_record,
    l0_fields,
    load_data,
    print_metrics,
)
from sae_core.cli.parser import build_parser
from sae_core.cli.progress import progress_for
from sae_core.cli.pursuit import check_encoder_args, evaluate_with
from sae_core.cli.run_data import check_eval_data_args, run_data
from sae_core.cli.stream import load_stream, stream_path
from sae_core.cli.sweep import cmd_sweep
from sae_core.errors import ConfigError, SAEExplorerError

if TYPE_CHECKING:  # pandas is imported by the commands that need it: --help stays fast
    pass

EXIT_USAGE = 2


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


def cmd_train(args: argparse.Namespace) -> int:
    # checked before torch is imported: a typo in --data is refused at once
    record = data_record(check_data_args(args.data, data_options(args)), data_options(args))
    check_configs(args, [args.lam], [args.hidden], [args.k])
    out = _check_out(args.out)
    figures = check_figures_dir(args.figures)  # a missing image engine is refused before training
    streamed = stream_path(args)  # a .npy larger than memory (or --stream): read from disk
    from sae_core.runs import save_run
    from sae_core.training.fit import train

    stream = None if streamed is None else load_stream(args, streamed)
    dataset = load_data(args, args.data) if stream is None else stream.dataset
    sae, tc = configs(args, dataset.d_in, args.lam, args.hidden)
    progress = progress_for(args.json)
    try:
        result = train(sae, dataset, tc, callback=progress, source=stream)
    finally:
        if progress is not None:
            progress.close()
    metrics = result.metrics.to_dict()  # flat numbers (and the split's name), as a run stores them
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
            extra=record,
        )
    save_model_figures(figures, result.model, dataset, result.history, tc.dead_window, args.json)
    payload = {
        "config": {"sae": sae.to_dict(), "train": tc.to_dict(), "data": dataset.name, **record},
        "metrics": {
            **result.metrics.to_json(),
            **l0_fields(sae.method, result.history, result.metrics.l0),
        },
        "train_seconds": result.train_seconds,
        "steps": result.steps,
        "run_dir": None if run_dir is None else str(run_dir),
    }
    if args.json:
        print(json.dumps(payload))
    else:
        sizes = dataset if stream is None else stream  # a stream's dataset holds samples
        print(
            f"trained {sae.method} SAE d_sae={sae.d_sae} λ={sae.lam:g} on {dataset.name} "
            f"({sizes.n_train} train / {sizes.n_test} test, d_in={dataset.d_in}"
            f"{'' if stream is None else ', streamed from disk'}) in "
            f"{result.train_seconds:.2f} s, {result.steps} steps"
        )
        print_metrics("held-out metrics:", metrics)
        if run_dir:
            print(f"saved to {run_dir}")
    return 0


# Columns of the sweep's text table, in order; those empty for the data are left out.
def cmd_eval(args: argparse.Namespace) -> int:
    if args.saelens is not None or args.run_dir is None:
        return _eval_saelens(args)
    check_eval_data_args(args)  # before torch is imported
    check_encoder_args(args)
    figures = check_figures_dir(args.figures)
    from sae_core.runs import check_run_compatible, load_run

    run = load_run(Path(args.run_dir))
    dataset, record = run_data(args, run)
    check_run_compatible(run, dataset.d_in)
    evaluated, encoder = evaluate_with(run.model, dataset, args)
    metrics = evaluated.to_dict()
    window = run.train_config.dead_window
    save_model_figures(figures, run.model, dataset, run.history, window, args.json)
    if args.json:
        print(
            json.dumps(
                {
                    "config": {
                        "sae": run.sae_config.to_dict(),
                        "train": run.train_config.to_dict(),
                        "data": dataset.name,
                        **record,
                    },
                    "metrics": {
                        **evaluated.to_json(),
                        **l0_fields(run.sae_config.method, run.history, evaluated.l0),
                    },
                    "train_seconds": run.train_seconds,
                    "steps": int(run.history["step"].max()) if len(run.history) else 0,
                    "run_dir": str(run.path),
                    "encoder": encoder,
                }
            )
        )
    else:
        title = f"{run.name} on {dataset.name} (held-out split, {encoder['name']} encoder):"
        print_metrics(title, metrics)
    return 0


def _eval_saelens(args: argparse.Namespace) -> int:
    """``eval --saelens DIR_OR_ZIP --data FILE``: a SAELens SAE on activations, as ``eval RUN``."""
    from sae_core.runs.saelens_import import check_saelens_width, read_saelens

    if args.run_dir is not None or args.saelens is None:
        raise ConfigError(
            "eval: give a run folder, or --saelens DIR_OR_ZIP with --data FILE (not both)"
        )
    if not args.data:
        raise ConfigError("eval --saelens needs --data FILE: activations (.npy/.npz) of its d_in")
    check_data_args(args.data, data_options(args))
    check_encoder_args(args)
    figures = check_figures_dir(args.figures)
    model = read_saelens(args.saelens)
    dataset = load_data(args, args.data)
    check_saelens_width(model, dataset.d_in, dataset.name)
    evaluated, encoder = evaluate_with(model, dataset, args)
    save_model_figures(figures, model, dataset, None, None, args.json)
    if not args.json:
        print_metrics(f"{args.saelens} on {dataset.name} (held-out split):", evaluated.to_dict())
        return 0
    payload = {
        "config": {"sae": model.cfg.to_dict(), "train": None, "data": dataset.name},
        "metrics": {**evaluated.to_json(), **l0_fields(model.cfg.method, None, evaluated.l0)},
        "train_seconds": None,
        "steps": None,
        "run_dir": None,
        "saelens": str(args.saelens),
        "encoder": encoder,
    }
    print(json.dumps(payload))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    check_eval_data_args(args)  # before torch is imported; bad options are refused, not noted
    if args.k is not None and args.encoder != "mp":
        raise ConfigError(f"export: --k {args.k} needs --encoder mp (the pursuit's steps)")
    from sae_core.runs import load_run
    from sae_core.runs.saelens import export_saelens
    from sae_core.runs.saelens_mp import export_saelens_mp, mp_steps

    run = load_run(Path(args.run_dir))
    # the input scaling SAELens users must apply: from the run's data, when it still loads
    try:
        preprocessing = run_data(args, run)[0].preprocessing
        note = "; metadata.sae_explorer.preprocessing says how to scale inputs"
    except SAEExplorerError as exc:
        preprocessing, note = None, f"; its data did not load ({exc}): input scaling not recorded"
    if args.encoder == "mp":  # the decoder as SAELens's matching_pursuit (sae_core/runs/saelens_mp)
        k = mp_steps(args.k, run.metrics)
        out = export_saelens_mp(
            run.model,
            args.out,
            k,
            overwrite=args.overwrite,
            dataset_path=run.data_name,
            preprocessing=preprocessing,
        )
        note = f" (matching_pursuit, {k} steps){note}"
    else:
        out = export_saelens(
            run.model,
            args.out,
            overwrite=args.overwrite,
            dataset_path=run.data_name,
            preprocessing=preprocessing,
            metrics=run.metrics,
        )
    print(f"exported {args.run_dir} in the SAELens layout to {out}{note}")
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    if getattr(args, "spec", None) is not None or getattr(args, "save", None):
        return save_data(args)
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
