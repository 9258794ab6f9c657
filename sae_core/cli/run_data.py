"""The data ``eval`` and ``export`` use for a saved run: its own, as recorded at training
(``data_spec``, ``data_options``), or ``--data`` with the run's options kept unless given."""

from __future__ import annotations

import argparse
from typing import Any

from sae_core.cli.options import (
    COMMON_DATA_OPTIONS,
    check_data_args,
    data_options,
    data_record,
    given_data_overrides,
)
from sae_core.errors import ConfigError, SAEExplorerError


def check_eval_data_args(args: argparse.Namespace) -> None:
    """eval/export: data options need --data (without it the run's own data and options are
    used, and a silently ignored --opt would evaluate on other data than the user thinks)."""
    overrides = given_data_overrides(args)
    if overrides and not args.data:
        raise ConfigError(
            f"{args.command}: {', '.join(overrides)} without --data: the run is evaluated on "
            "its own data with its saved options; add --data SPEC to change them"
        )
    if args.data:
        check_data_args(args.data, data_options(args))


def run_request(args: argparse.Namespace, run: Any) -> tuple[str, dict[str, Any]]:
    """The spec and options to load: the run's saved ones, with --data and any given option
    replacing them (source options are kept only while --data names the run's source)."""
    spec, saved = run.extra.get("data_spec"), run.extra.get("data_options")
    if not (isinstance(spec, str) and isinstance(saved, dict)):
        spec, saved = run.data_name, {}  # older runs: the name, with default options
    if not args.data:
        return spec, dict(saved)
    source = run.extra.get("data_source")
    if not isinstance(source, str):  # runs saved before data_source was recorded
        try:
            source = check_data_args(spec, {}).source
        except SAEExplorerError:  # its data has moved: keep only the split and preprocessing
            source = None
    same_source = check_data_args(args.data, {}).source == source
    kept = {k: v for k, v in saved.items() if k in COMMON_DATA_OPTIONS or same_source}
    return args.data, kept | data_options(args)


def run_data(args: argparse.Namespace, run: Any) -> tuple[Any, dict[str, Any]]:
    """The data to evaluate ``run`` on (:func:`run_request`) and its record (as train's)."""
    from sae_core.cli.stream import streamed_held_out
    from sae_core.data import load_dataset

    check_eval_data_args(args)
    spec, options = run_request(args, run)
    record = data_record(check_data_args(spec, options), options)
    held_out = streamed_held_out(spec, options)  # a .npy too large to load: trained streamed
    return (load_dataset(spec, **options) if held_out is None else held_out), record
