"""``data``: list the sources, or ``data SPEC [--opt K=V ...] --save FILE.npz`` to write a data
set exactly as the trainer sees it (:mod:`sae_core.data.files.saved`): training on the file
(``--data FILE.npz``) gives the same numbers as training on ``SPEC`` with the same options."""

from __future__ import annotations

import argparse
import sys

from sae_core.errors import ConfigError


def save_data(args: argparse.Namespace) -> int:
    """Load ``args.spec`` with the given options and write it to ``args.save``."""
    from sae_core.cli.options import check_data_args, data_options, load_data

    if not args.spec:
        raise ConfigError("data --save needs a SPEC: the data set to save, e.g. digits")
    if not args.save:
        raise ConfigError("data SPEC needs --save FILE.npz: where to write the data set")
    if not str(args.save).endswith(".npz"):
        raise ConfigError(f"--save {args.save}: give a .npz file name, e.g. data.npz")
    check_data_args(args.spec, data_options(args))
    from sae_core.data.files.saved import save_dataset

    dataset = load_data(args, args.spec)
    path = save_dataset(dataset, args.save)
    kept = ", ".join(
        name
        for name, present in (
            ("y", dataset.y_train is not None),
            ("image_shape", dataset.image_shape is not None),
            ("features", dataset.features is not None),
            ("images", dataset.inputs_test is not None),
        )
        if present
    )
    print(
        f"saved {dataset.name}: {dataset.n_train} train + {dataset.n_test} test rows × "
        f"{dataset.d_in} (x, split{', ' + kept if kept else ''}) to {path}",
        file=sys.stdout,
    )
    return 0
