"""The ``toy`` source's controls (the toy model of superposition), spliced into ``data.py``.

Keys and link names are the toy's own (``tnf``, ``tdh``, …), so that a link to toy data and one
to synthetic data never share a value; defaults are :class:`ToySourceSpec`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sae_core.app.controls.spec import Control
from sae_core.data.toy.config import MAX_FEATURES
from sae_core.data.toy.source import ToySourceSpec

TOY = ToySourceSpec()
MAX_SPARSITY = 0.999  # S = 1 would make every sample zero


def toy_controls(
    c: Callable[..., Control], when: tuple[str, tuple[Any, ...]]
) -> tuple[Control, ...]:
    """tnf, tdh, tS, tr, tseed: the toy model's options. ``c``: ``data.py``'s declare."""
    return (
        c(
            name="tnf",
            key="train_toy_n_features",
            sets="data.n_features",
            kind="int",
            widget="number_input",
            label="Features n",
            default=TOY.n_features,
            lo=2,
            hi=MAX_FEATURES,
            step=1,
            when=when,
        ),
        c(
            name="tdh",
            key="train_toy_d_hidden",
            sets="data.d_hidden",
            kind="int",
            widget="number_input",
            label="Hidden dimensions m (< n)",
            lo=1,
            hi=MAX_FEATURES - 1,
            step=1,
            when=when,
        ),
        c(
            name="tS",
            key="train_toy_sparsity",
            sets="data.sparsity",
            kind="float",
            widget="number_input",
            label="Sparsity S",
            lo=0.0,
            hi=MAX_SPARSITY,
            step=0.05,
            help="Probability that a feature is zero in a sample: sparse features superpose.",
            when=when,
        ),
        c(
            name="tr",
            key="train_toy_importance",
            sets="data.importance_decay",
            kind="float",
            widget="number_input",
            label="Importance decay r",
            lo=0.01,
            hi=1.0,
            step=0.05,
            help="Feature i's importance in the toy model's loss is r^i.",
            when=when,
        ),
        c(
            name="tseed",
            key="train_toy_seed",
            sets="data.toy_seed",
            kind="int",
            widget="number_input",
            label="Toy model seed",
            lo=0,
            hi=2**31 - 1,
            step=1,
            when=when,
        ),
    )
