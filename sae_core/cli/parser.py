"""The command line's argument parser (``sae_core.cli.commands`` runs the commands).

Lists such as ``--lam 0.01,0.1,1`` are parsed here, sorted and unique like the app's; a bad
argument raises ConfigError with one line, which ``cli.main`` prints (exit status 2).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from sae_core import methods
from sae_core.cli.argparsing import Parser
from sae_core.cli.data_args import add_data_command
from sae_core.cli.figures import FIGURES_HELP
from sae_core.config import DEAD_REMEDIES, DEVICES, SAEConfig, TrainConfig

TRAIN_JSON_HELP = (
    "print one JSON object: {config: {sae, train, data, data_spec, data_source, data_options}, "
    "metrics: {...}, train_seconds, steps, run_dir}"
)
SWEEP_JSON_HELP = (
    "print one JSON object: {config: {sae, train, data, data_spec, data_source, data_options, "
    "lams, hidden, ks, seeds}, runs: [{lam, d_sae, seed, method, k, steps, <every metric of "
    "train's metrics>}, ...], train_seconds, "
    "seconds}; no run_dir (sweep saves no runs). A race (--target-l0): {config: {sae, train, "
    "data, methods, target_l0s}, runs: [{method, target_l0, l0, fvu, fve, f1, seconds, lam, "
    "k}, ...], train_seconds, seconds}"
)


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


# eval and export: the data options that only mean something together with --data
DATA_OVERRIDES: tuple[tuple[str, str], ...] = (
    ("opt", "--opt"),
    ("max_samples", "--max-samples"),
    ("test_fraction", "--test-fraction"),
    ("preprocess", "--preprocess"),
    ("data_seed", "--data-seed"),
)


def _add_data(p: argparse.ArgumentParser, required: bool = True) -> None:
    """The data options; ``required=False`` (eval, export): the run's own data and options
    unless given, so every default is None ("not given")."""
    own = "" if required else "; default: the run's own"
    p.add_argument(
        "--data",
        required=required,
        default=None,
        help="digits | patches | synthetic | net[:digits|mnist[:FOLDER]] | mnist[:FOLDER] | "
        "fashion-mnist[:FOLDER] | PATH (.csv/.npy/.npz, IDX file or folder)"
        + ("" if required else "; default: the data the run was trained on"),
    )
    p.add_argument(
        "--max-samples", type=int, default=None, help=f"cap on samples (deterministic){own}"
    )
    p.add_argument(
        "--test-fraction",
        type=float,
        default=0.2 if required else None,
        help=f"held-out share, where the source has no split of its own{own}",
    )
    p.add_argument(
        "--preprocess",
        default=None,
        help="none | scale01 | standardise | centre, chained with + (default: the source's)"
        + ("" if required else "; else the run's own"),
    )
    p.add_argument(
        "--data-seed",
        type=int,
        default=0 if required else None,
        help=f"seed of the split / synthetic data{own}",
    )
    p.add_argument(
        "--opt",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a data-source option, e.g. --opt patch_size=12 (see the data command)"
        + ("" if required else "; the run's own unless given"),
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
    if lists:
        p.add_argument(
            "--k",
            type=_ints,
            default=[SAEConfig.k],
            help=f"comma-separated k values: {_knob_help('k')}",
        )
    else:
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
    p.add_argument("--weight-decay", type=float, default=0.0, help="L2 weight decay on the weights")
    p.add_argument("--tied", action="store_true", help="tied weights: W_enc = W_decᵀ")
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
    p.add_argument("--epochs", type=int, default=tc.epochs, help="passes over the training split")
    p.add_argument("--steps", type=int, default=None, help="optimiser steps (overrides epochs)")
    p.add_argument("--batch-size", type=int, default=tc.batch_size, help="samples per step")
    p.add_argument("--lr", type=float, default=tc.lr, help="Adam learning rate")
    p.add_argument("--seed", type=int, default=tc.seed, help="seed of the weights and batches")
    p.add_argument(
        "--device",
        choices=DEVICES,
        default="auto",
        help="where to train (auto: CUDA, then Apple MPS, then the CPU)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=tc.threads,
        help="CPU threads for training, 1..256 (1 is fastest for small models)",
    )
    p.add_argument("--warmup", type=int, default=0, help="λ warm-up steps")
    p.add_argument(
        "--dead-remedy",
        choices=DEAD_REMEDIES,
        default="none",
        help="what revives dead latents: " + " | ".join(DEAD_REMEDIES),
    )
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
    parser = Parser(prog="sae-explorer", description="Train and inspect sparse autoencoders.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    p = sub.add_parser("train", help="train one SAE and report held-out metrics")
    _add_data(p)
    _add_model(p, lists=False)
    p.add_argument("--out", default=None, help="save the run into this folder")
    p.add_argument("--figures", default=None, metavar="DIR", help=FIGURES_HELP)
    p.add_argument("--stream", action="store_true", help="stream a .npy from disk (auto > 200 MB)")
    p = sub.add_parser(
        "sweep",
        help="train a λ × width × k (× seed) grid, stacked per width and k; or, with --target-l0, "
        "race "
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
    p.add_argument("run_dir", nargs="?", default=None, help="the run folder (from train --out)")
    p.add_argument(
        "--saelens",
        default=None,
        metavar="DIR_OR_ZIP",
        help="evaluate a SAELens SAE (folder or zip with cfg.json + sae_weights.safetensors) "
        "instead of a run, on --data FILE (.npy/.npz activations of its d_in)",
    )
    _add_data(p, required=False)
    p.add_argument(
        "--encoder",
        choices=("sae", "mp", "omp"),
        default="sae",
        help="encode the held-out data with the SAE's encoder, or with matching pursuit / "
        "orthogonal matching pursuit on its decoder (the amortisation gap)",
    )
    k_help = "atoms per sample for --encoder mp|omp (default: the SAE's held-out L0, rounded)"
    p.add_argument("--k", type=int, default=None, help=k_help)
    p.add_argument("--json", action="store_true", help=TRAIN_JSON_HELP)
    p.add_argument("--figures", default=None, metavar="DIR", help=FIGURES_HELP)
    p = sub.add_parser("export", help="export a saved run to another tool's layout")
    p.add_argument("run_dir", help="the run folder (from train --out)")
    _add_data(p, required=False)  # the run's data, for the input scaling the export records
    p.add_argument("--format", choices=["saelens"], default="saelens", help="the target layout")
    mp_help = "sae: the SAE; mp: its decoder as SAELens's matching_pursuit SAE of --k steps"
    p.add_argument("--encoder", choices=["sae", "mp"], default="sae", help=mp_help)
    p.add_argument("--k", type=int, default=None, help="--encoder mp: steps (default: run's L0)")
    p.add_argument("--out", required=True, help="the folder to write")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    add_data_command(sub)
    return parser
