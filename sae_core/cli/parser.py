"""The command line's argument parser (``sae_core.cli.commands`` runs the commands).

Lists such as ``--lam 0.01,0.1,1`` are parsed here, sorted and unique like the app's; a bad
argument raises ConfigError with one line, which ``cli.main`` prints (exit status 2).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, NoReturn

from sae_core import methods
from sae_core.config import DEAD_REMEDIES, DEVICES, SAEConfig, TrainConfig
from sae_core.errors import ConfigError

TRAIN_JSON_HELP = (
    "print one JSON object: {config: {sae, train, data}, metrics: {...}, train_seconds, steps, "
    "run_dir}"
)
SWEEP_JSON_HELP = (
    "print one JSON object: {config: {sae, train, data, lams, hidden, seeds}, runs: [{lam, "
    "d_sae, seed, method, steps, <every metric of train's metrics>}, ...], train_seconds, "
    "seconds}; no run_dir (sweep saves no runs). A race (--target-l0): {config: {sae, train, "
    "data, methods, target_l0s}, runs: [{method, target_l0, l0, fvu, fve, f1, seconds, lam, "
    "k}, ...], train_seconds, seconds}"
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not usage + message
        raise ConfigError(f"{self.prog}: {message} (see --help)")


def _number_list(cast: Callable[[str], Any], kind: str) -> Callable[[str], list[Any]]:
    """An argparse type for ``"0.01,0.1,1"``-style lists of ``cast`` values, sorted and unique.

    Sorted and unique as the app's Compare page parses its λ list (``parse_number_list``): a
    repeated value would train the same model twice and list it twice.
    """

    def parse(text: str) -> list[Any]:
        try:
            values = [cast(v) for v in text.split(",") if v.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a comma-separated list of {kind}s"
            ) from None
        if not values:
            raise argparse.ArgumentTypeError(f"give at least one {kind}")
        return sorted(set(values))

    return parse


def _method_list(text: str) -> list[str]:
    """An argparse type for ``"l1,topk"``: registered method names, repeats dropped, in order."""
    names = list(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in methods.names()]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown method(s) {', '.join(unknown) or text!r}: choose from "
            f"{', '.join(methods.names())}"
        )
    return names


_floats = _number_list(float, "number")
_ints = _number_list(int, "integer")


def _prefix_list(text: str) -> tuple[int, ...]:
    """``"16,32,64,128"`` -> (16, 32, 64, 128), in the order given (SAEConfig checks it)."""
    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of integers"
        ) from None


def _add_data(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument(
        "--data",
        required=required,
        default=None,
        help="digits | patches | synthetic | mnist[:FOLDER] | fashion-mnist[:FOLDER] "
        "| PATH (.csv/.npy/.npz, IDX file or folder)",
    )
    p.add_argument("--max-samples", type=int, default=None, help="cap on samples (deterministic)")
    p.add_argument("--test-fraction", type=float, default=0.2)
    p.add_argument("--preprocess", default=None, help="none | scale01 | standardise | centre")
    p.add_argument("--data-seed", type=int, default=0, help="seed of the split / synthetic data")
    p.add_argument(
        "--opt",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a data-source option, e.g. --opt patch_size=12 (see the data command)",
    )


def _add_model(p: argparse.ArgumentParser, lists: bool) -> None:
    # Choices are read from the registry when the parser is built: a registered method is one.
    p.add_argument(
        "--method",
        choices=methods.names(),
        default=SAEConfig.method,
        help="; ".join(m.label for m in methods.all_methods()),
    )
    if lists:
        p.add_argument("--lam", type=_floats, default=[0.1], help="comma-separated λ values")
        p.add_argument("--hidden", type=_ints, default=[128], help="comma-separated d_sae values")
        p.add_argument("--seeds", type=_ints, default=None, help="comma-separated seeds")
    else:
        p.add_argument("--lam", type=float, default=SAEConfig.lam, help=_knob_help("lam"))
        p.add_argument("--hidden", type=int, default=128, help="d_sae, the number of latents")
    p.add_argument("--k", type=int, default=SAEConfig.k, help=_knob_help("k"))
    p.add_argument("--rho", type=float, default=SAEConfig.rho, help=_knob_help("rho"))
    target_help = f"{_KNOB_HELP['target_l0']} (any of {', '.join(methods.with_target_l0())})"
    if lists:
        p.add_argument(
            "--target-l0",
            type=_floats,
            default=None,
            metavar="N,N,…",
            help=f"comma-separated target L0s: a method race ({target_help}); with --methods",
        )
        p.add_argument(
            "--methods",
            type=_method_list,
            default=None,
            metavar="A,B,…",
            help="race these methods at every --target-l0 (default: --method)",
        )
    else:
        p.add_argument("--target-l0", type=float, default=None, metavar="N", help=target_help)
    p.add_argument(
        "--jumprelu-bandwidth",
        type=float,
        default=SAEConfig.jumprelu_bandwidth,
        metavar="EPS",
        help=_knob_help("jumprelu_bandwidth"),
    )
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--tied", action="store_true")
    p.add_argument("--unit-norm", action="store_true", help="unit-norm decoder rows")
    p.add_argument(
        "--penalty-decoder-norm",
        action="store_true",
        help="L1 scaled by decoder norms, Σ f_j ‖W_dec[j]‖ (SAELens standard; read by "
        f"{', '.join(m.name for m in methods.all_methods() if m.l1_penalty)}; not with --unit-norm)",
    )
    p.add_argument(
        "--prefixes",
        type=_prefix_list,
        default=None,
        metavar="M1,M2,...",
        help=_knob_help("matryoshka_prefixes"),
    )
    tc = TrainConfig()
    p.add_argument("--epochs", type=int, default=tc.epochs)
    p.add_argument("--steps", type=int, default=None, help="optimiser steps (overrides epochs)")
    p.add_argument("--batch-size", type=int, default=tc.batch_size)
    p.add_argument("--lr", type=float, default=tc.lr)
    p.add_argument("--seed", type=int, default=tc.seed)
    p.add_argument("--device", choices=DEVICES, default="auto")
    p.add_argument("--threads", type=int, default=tc.threads)
    p.add_argument("--warmup", type=int, default=0, help="λ warm-up steps")
    p.add_argument("--dead-remedy", choices=DEAD_REMEDIES, default="none")
    p.add_argument(
        "--json", action="store_true", help=SWEEP_JSON_HELP if lists else TRAIN_JSON_HELP
    )


_KNOB_HELP = {
    "lam": "λ (penalty weight)",
    "k": "latents kept per sample",
    "rho": "target firing rate",
    "target_l0": "target mean number of active latents: sets k for the TopK family, JumpReLU's "
    "quadratic target, or a λ controller for λ methods",
    "jumprelu_bandwidth": "straight-through bandwidth ε of the threshold's pseudo-gradient",
    "matryoshka_prefixes": "nested prefix sizes ending at d_sae, e.g. 16,32,64,128 (default "
    "d_sae/8, /4, /2, d_sae)",
}


def _knob_help(knob: str) -> str:
    """``"latents kept per sample (read by topk)"``: which methods read the knob."""
    return f"{_KNOB_HELP[knob]} (read by {', '.join(methods.with_knob(knob)) or 'no method'})"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sae-explorer", description="Train and inspect sparse autoencoders.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("train", help="train one SAE and report held-out metrics")
    _add_data(p)
    _add_model(p, lists=False)
    p.add_argument("--out", default=None, help="save the run into this folder")
    p = sub.add_parser(
        "sweep",
        help="train a λ × width (× seed) grid, stacked per width; or, with --target-l0, race "
        "--methods at the same target L0s",
    )
    _add_data(p)
    _add_model(p, lists=True)
    p.add_argument(
        "--csv",
        default=None,
        help="also write the results table to this file (checked writable before training)",
    )
    p = sub.add_parser("eval", help="evaluate a saved run, or a SAELens SAE (--saelens)")
    p.add_argument("run_dir", nargs="?", default=None)
    p.add_argument(
        "--saelens",
        default=None,
        metavar="DIR_OR_ZIP",
        help="evaluate a SAELens SAE (folder or zip with cfg.json + sae_weights.safetensors) "
        "instead of a run, on --data FILE (.npy/.npz activations of its d_in)",
    )
    _add_data(p, required=False)
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("export", help="export a saved run to another tool's layout")
    p.add_argument("run_dir")
    _add_data(p, required=False)  # the run's data, for the input scaling the export records
    p.add_argument("--format", choices=["saelens"], default="saelens")
    p.add_argument("--out", required=True)
    p.add_argument("--overwrite", action="store_true")
    sub.add_parser("data", help="list the data sources and what each needs")
    return parser
