"""The ``net`` source's controls (an MLP classifier's hidden activations), spliced into
``data.py``: its base data, width, hidden layers and layer. Defaults are the source's own
(:func:`sae_core.data.option_default`); MNIST's folder is the ``mnist`` source's ``mdir``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sae_core.app.controls.spec import Control
from sae_core.data import option_default

NET_BASE_CHOICES = ("digits", "mnist")  # net:digits, net:mnist[:FOLDER]
NET_WIDTHS = (16, 32, 64, 128, 256)
MAX_HIDDEN_LAYERS = 3


def net_controls(
    c: Callable[..., Control], when: tuple[str, tuple[Any, ...]]
) -> tuple[Control, ...]:
    """nbase, nw, nhl, nl: the network's base data and shape. ``c``: ``data.py``'s declare."""
    return (
        c(
            name="nbase",
            key="train_net_base",
            sets="data.path",  # net:digits / net:mnist: the spec's path
            kind="choice",
            widget="selectbox",
            label="Network trained on",
            default=NET_BASE_CHOICES[0],
            choices=NET_BASE_CHOICES,
            help="MNIST reads the MNIST folder below (as the MNIST source does).",
            when=when,
        ),
        c(
            name="nw",
            key="train_net_width",
            sets="data.width",
            kind="grid",
            widget="selectbox",
            label="Width (units per hidden layer)",
            default=option_default("net", "width"),
            choices=NET_WIDTHS,
            when=when,
        ),
        c(
            name="nhl",
            key="train_net_hidden_layers",
            sets="data.hidden_layers",
            kind="int",
            widget="number_input",
            label="Hidden layers",
            default=option_default("net", "hidden_layers"),
            lo=1,
            hi=MAX_HIDDEN_LAYERS,
            step=1,
            when=when,
        ),
        c(
            name="nl",
            key="train_net_layer",
            sets="data.layer",
            kind="int",
            widget="number_input",
            label="Layer (its ReLU output is the data)",
            default=option_default("net", "layer"),
            lo=1,
            hi=MAX_HIDDEN_LAYERS,
            step=1,
            help="1 .. the number of hidden layers.",
            when=when,
        ),
    )
