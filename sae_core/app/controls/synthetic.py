"""The synthetic source's structure controls: Zipf firing, correlated pairs, a feature hierarchy.

Declared apart from ``data.py`` (which splices them in after the magnitudes) to keep that module
short. Bounds come from the data registry's entry, which reads them from the spec's limits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sae_core.app.controls.spec import Control
from sae_core.data import SOURCES
from sae_core.data.synthetic import CHILD_FIRE, HIERARCHY_CHILDREN

MAX_PARENTS = 4096 // (1 + HIERARCHY_CHILDREN)  # the features control's top, in parent families


def _bounds(option: str) -> tuple[float, float]:
    bounds = SOURCES["synthetic"].option(option).bounds
    assert bounds is not None, option
    return bounds


def structure_controls(
    c: Callable[..., Control], when: tuple[str, tuple[Any, ...]]
) -> tuple[Control, ...]:
    """zipf, corr, hier. ``c``: ``data.py``'s declare (group set); ``when``: the synthetic rule.

    Their defaults, like every data control's, are the spec's (``config_defaults``).
    """
    zipf, corr = _bounds("zipf"), _bounds("correlation")
    return (
        c(
            name="zipf",
            key="train_zipf",
            sets="data.zipf",
            kind="float",
            widget="number_input",
            label="Zipf exponent",
            lo=zipf[0],
            hi=zipf[1],
            step=0.1,
            help="Feature i fires with probability ∝ (i + 1)^−s, still averaging the mean active "
            "count: a few common features and a long tail of rare ones. 0: all equally likely.",
            when=when,
        ),
        c(
            name="corr",
            key="train_correlation",
            sets="data.correlation",
            kind="float",
            widget="number_input",
            label="Pair correlation ρ",
            lo=corr[0],
            hi=corr[1],
            step=0.05,
            help="Features (0, 1), (2, 3), … fire together: the correlation of a pair's firing "
            "is ρ (each keeps its own firing probability).",
            when=when,
        ),
        c(
            name="hier",
            key="train_hierarchy",
            sets="data.hierarchy",
            kind="int",
            widget="number_input",
            label="Parent features",
            lo=0,
            hi=MAX_PARENTS,
            step=1,
            help=f"Each parent has {HIERARCHY_CHILDREN} children that fire only with it (with "
            f"probability {CHILD_FIRE:g} when it fires), so Ground truth can measure absorption. "
            f"At most Features / {1 + HIERARCHY_CHILDREN}.",
            when=when,
        ),
    )
