"""The ``data`` command's arguments: list the sources, or ``SPEC --save FILE.npz``
(:mod:`sae_core.cli.data_save` runs it)."""

from __future__ import annotations

from typing import Any


def add_data_command(sub: Any) -> None:
    """The ``data`` subcommand's arguments (``sub``: the parser's subparsers)."""
    p = sub.add_parser(
        "data", help="list the data sources, or save one as the trainer sees it (--save)"
    )
    p.add_argument("spec", nargs="?", default=None, help="a data spec, as train's --data")
    p.add_argument("--save", default=None, metavar="FILE.npz", help="write the data set here")
    p.add_argument("--max-samples", type=int, default=None, help="cap on samples")
    p.add_argument("--test-fraction", type=float, default=0.2, help="held-out share")
    p.add_argument("--preprocess", default=None, help="as train's (default: the source's)")
    p.add_argument("--data-seed", type=int, default=0, help="seed of the split / synthetic data")
    p.add_argument("--opt", action="append", default=[], metavar="KEY=VALUE", help="as train's")
