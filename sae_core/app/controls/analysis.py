"""The analysis pages' controls that a link can set (``?page=filters&lat=17`` opens latent #17).

Each applies only on its page (``when = ("page", (page,))``), so a link writes it only while that
page is open. Bounds that depend on the shown model (the number of latents or test samples) are
the widest here; the page narrows them when it draws the control.
"""

from __future__ import annotations

from sae_core.analysis.latents import LATENT_SORTS
from sae_core.app.controls.spec import Control
from sae_core.figures import ATOM_ORDERS
from sae_core.figures.sparsity import LATENT_ORDERS

RECON_MODES: dict[str, str] = {
    "random": "Random",
    "best": "Best",
    "worst": "Worst",
    "label": "By label",
}
UNIT_CHOICES: dict[str, str] = {
    "original": "original units",
    "model": "model units (as trained)",
}
FILTER_WEIGHTS: tuple[str, ...] = ("decoder", "encoder")
ATOMS_PER_PAGE = 64
BIG = 2**31 - 1  # draws, pages and latents: any non-negative 32-bit integer
PICKED_BY_PAGE = -1  # a default the page works out from the model (the most frequent latent)


def _on(page: str) -> tuple[str, tuple[str, ...]]:
    return ("page", (page,))


def _recon() -> tuple[Control, ...]:
    on = _on("reconstructions")
    return (
        Control(
            name="rm",
            key="recon_mode",
            kind="choice",
            widget="radio",
            label="Show",
            default="random",
            choices=tuple(RECON_MODES),
            option_labels=RECON_MODES,
            help="Best and worst sort the test samples by their error; by label draws one class.",
            when=on,
        ),
        Control(
            name="rn",
            key="recon_n",
            kind="int",
            widget="slider",
            label="Samples",
            default=8,
            lo=1,
            hi=16,
            when=on,
        ),
        Control(
            name="rs",
            key="recon_seed",
            kind="int",
            widget="number_input",
            label="Draw",
            default=0,
            lo=0,
            hi=BIG,
            step=1,
            help="Change to draw other samples.",
            when=on,
        ),
        Control(
            name="ru",
            key="recon_units",
            kind="choice",
            widget="radio",
            label="Values in",
            default="original",
            choices=tuple(UNIT_CHOICES),
            option_labels=UNIT_CHOICES,
            when=on,
        ),
    )


def _filters() -> tuple[Control, ...]:
    on = _on("filters")
    return (
        Control(
            name="fw",
            key="filt_weights",
            kind="choice",
            widget="radio",
            label="Weights",
            default=FILTER_WEIGHTS[0],
            choices=FILTER_WEIGHTS,
            help="Decoder atoms (rows of W_dec) are what a latent adds to x̂; encoder "
            "directions (columns of W_enc) are what it responds to.",
            when=on,
        ),
        Control(
            name="fo",
            key="filt_order",
            kind="choice",
            widget="selectbox",
            label="Order",
            default="frequency",
            choices=ATOM_ORDERS,
            when=on,
        ),
        Control(
            name="fp",
            key="filt_page",
            kind="int",
            widget="number_input",
            label="Page",
            default=1,
            lo=1,
            hi=BIG,  # the page allows as many as the atoms fill
            step=1,
            when=on,
        ),
        Control(
            name="lat",
            key="filt_latent",
            kind="int",
            widget="number_input",
            label="Latent",
            default=PICKED_BY_PAGE,  # never written to a link; past d_sae, the page clamps it
            lo=0,
            hi=BIG,
            step=1,
            help="Type an index, or click a row of the table above.",
            when=on,
        ),
        Control(
            name="fs",
            key="filt_sort",
            kind="choice",
            widget="selectbox",
            label="Sort by",
            default="frequency",
            choices=LATENT_SORTS,
            when=on,
        ),
        Control(
            name="fd",
            key="filt_desc",
            kind="bool",
            widget="toggle",
            label="Descending",
            default=True,
            when=on,
        ),
    )


def _activations() -> tuple[Control, ...]:
    on = _on("activations")
    return (
        Control(
            name="alog",
            key="act_log_y",
            kind="bool",
            widget="checkbox",
            label="Log count axis",
            default=False,
            when=on,
        ),
        Control(
            name="arows",
            key="act_heat_samples",
            kind="int",
            widget="slider",
            label="Samples (rows)",
            default=100,
            lo=10,
            hi=500,  # and at most the test samples: the page narrows it
            step=10,
            when=on,
        ),
        Control(
            name="aord",
            key="act_heat_order",
            kind="choice",
            widget="selectbox",
            label="Latent order",
            default="frequency",
            choices=LATENT_ORDERS,
            when=on,
        ),
    )


def _ground_truth() -> tuple[Control, ...]:
    return (
        Control(
            name="thr",
            key="gt_threshold",
            kind="float",
            widget="slider",
            label="Recovered when the best cosine is at least",
            default=0.9,
            lo=0.5,
            hi=1.0,
            step=0.01,
            decimals=2,
            when=_on("ground_truth"),
        ),
    )


def analysis_controls() -> tuple[Control, ...]:
    """Reconstructions', Filters', Activations' and Ground truth's controls, in link order."""
    return (*_recon(), *_filters(), *_activations(), *_ground_truth())
