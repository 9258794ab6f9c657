"""The Train page's data controls: the source, then each source's options, preprocessing, split.

A control's ``when = ("src", sources)`` says which sources it belongs to: the data picker draws
it for those, a link writes it for those. Defaults are the data specs' and ``load_dataset``'s.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import partial
from typing import Any

from sae_core.app.controls.net import net_controls
from sae_core.app.controls.spec import Control, declare, option_text
from sae_core.app.controls.synthetic import structure_controls
from sae_core.app.controls.toy import toy_controls
from sae_core.data import SOURCES
from sae_core.data.mnist.folder import ENV_FOLDERS
from sae_core.data.patches import WHITENINGS
from sae_core.data.synthetic import MAGNITUDES

PATCH_SIZES = (8, 12, 16)
N_PATCHES = (1000, 2000, 5000, 10_000, 20_000)
SAMPLE_CAPS = (0, 1000, 2000, 5000, 10_000, 20_000, 70_000)  # 0: every sample
DEFAULT_SAMPLE_CAP = 10_000  # the Train page's start, where load_dataset takes every sample
WHITEN_EPS_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
TEST_FRACTIONS = (0.1, 0.2, 0.3, 0.4, 0.5)
FOLDER_NAMES = {"mnist": "mdir", "fashion-mnist": "fdir", "idx": "idir"}  # source -> link name
FOLDER_SOURCES = tuple(FOLDER_NAMES)
PREPROCESS_CHOICES: dict[str, str] = {  # "default": load_dataset's preprocess=None
    "default": "the source's default",
    "none": "none: raw values",
    "scale01": "scale to [0, 1] per dimension",
    "standardise": "standardise per dimension (z-scores)",
    "centre": "centre (subtract the mean)",
}
PREPROCESS_HELP = (
    "Statistics come from the training split only. Raw values in the hundreds or more train "
    "poorly or overflow: scale or standardise them. Reconstructions and Filters show inputs in "
    "original units (preprocessing undone); the model, its MSE and its atoms use model units."
)


def _on(*sources: str) -> tuple[str, tuple[str, ...]]:
    return ("src", sources)


def _folder(c: Any, source: str) -> Control:
    """A folder source's folder, seeded from its environment variable (read when built)."""
    env = ENV_FOLDERS.get(source)
    return c(
        name=FOLDER_NAMES[source],
        key=f"train_folder_{source}",
        sets="data.path",
        kind="text",
        widget="text_input",
        label="Folder of MNIST-format IDX files",
        default=os.environ.get(env, "") if env else "",
        when=_on(source, "net") if source == "mnist" else _on(source),  # net:mnist's too
    )


def data_controls(defaults: Mapping[str, Any]) -> tuple[Control, ...]:
    """The source, patches', synthetic data's and folders' options, then file, preprocessing,
    split (link order: it is the order a link lists them in)."""
    c = partial(declare, defaults, group="data")
    patches, synthetic = _on("patches"), _on("synthetic")
    return (
        c(
            name="src",
            key="train_source",
            sets="data.source",
            kind="choice",
            widget="selectbox",
            label="Data source",
            default=next(iter(SOURCES)),
            choices=tuple(SOURCES),
            option_labels={s: SOURCES[s].title for s in SOURCES},
        ),
        c(
            name="ps",
            key="train_patch_size",
            sets="data.patch_size",
            kind="grid",
            widget="selectbox",
            label="Patch size",
            choices=PATCH_SIZES,
            option_labels={p: f"{p}×{p}" for p in PATCH_SIZES},
            when=patches,
        ),
        c(
            name="wh",
            key="train_whitening",
            sets="data.whitening",
            kind="choice",
            widget="selectbox",
            label="Whitening",
            choices=WHITENINGS,
            help="ZCA keeps patches image-like; PCA rotates them (shown as lines).",
            when=patches,
        ),
        c(
            name="np",
            key="train_n_patches",
            sets="data.n_patches",
            kind="grid",
            widget="select_slider",
            label="Patches",
            choices=N_PATCHES,
            when=patches,
        ),
        c(
            name="eps",
            key="train_whiten_eps",
            sets="data.eps",
            kind="grid",
            widget="select_slider",
            label="Whitening ε (added to each eigenvalue)",
            choices=WHITEN_EPS_GRID,
            option_labels=option_text(WHITEN_EPS_GRID),
            help="Small ε whitens fully (noisy, high-frequency atoms); larger ε keeps the low "
            "frequencies that make edges.",
            when=("wh", tuple(w for w in WHITENINGS if w != "none")),
        ),
        c(
            name="nf",
            key="train_n_features",
            sets="data.n_features",
            kind="int",
            widget="number_input",
            label="Features",
            lo=1,
            hi=4096,
            step=8,
            when=synthetic,
        ),
        c(
            name="din",
            key="train_syn_d_in",
            sets="data.d_in",
            kind="int",
            widget="number_input",
            label="d_in (dimensions)",
            lo=1,
            hi=4096,
            step=8,
            when=synthetic,
        ),
        c(
            name="act",
            key="train_mean_active",
            sets="data.mean_active",
            kind="float",
            widget="number_input",
            label="Mean active features",
            lo=0.1,
            hi=4096.0,
            step=0.5,
            help="= p_fire · n_features",
            when=synthetic,
        ),
        c(
            name="noise",
            key="train_noise",
            sets="data.noise",
            kind="float",
            widget="number_input",
            label="Noise σ",
            lo=0.0,
            hi=10.0,
            step=0.01,
            when=synthetic,
        ),
        c(
            name="ns",
            key="train_n_samples",
            sets="data.n_samples",
            kind="int",
            widget="number_input",
            label="Samples",
            lo=16,
            hi=200_000,
            step=1024,
            when=synthetic,
        ),
        c(
            name="dseed",
            key="train_data_seed",
            sets="data.seed",  # synthetic data's seed draws the samples (and so the split)
            kind="int",
            widget="number_input",
            label="Data seed",
            lo=0,
            hi=2**31 - 1,
            step=1,
            when=synthetic,
        ),
        *net_controls(c, _on("net")),  # nbase, nw, nhl, nl: before mdir (net's path)
        *(_folder(c, source) for source in FOLDER_SOURCES),
        c(
            name="cap",
            key="train_max_samples",
            sets="data.max_samples",
            kind="grid",
            widget="select_slider",
            label="Use at most (samples)",
            default=DEFAULT_SAMPLE_CAP,
            choices=SAMPLE_CAPS,
            option_labels={n: "all" if n == 0 else f"{n:,}" for n in SAMPLE_CAPS},
            when=_on(*FOLDER_SOURCES),
        ),
        c(
            name="dl",
            key="train_download",
            sets="data.download",
            kind="bool",
            widget="checkbox",
            label="Download if missing (needs internet)",
            default=False,
            when=_on(*ENV_FOLDERS),
        ),
        c(
            name="lbl",
            key="train_label_column",
            sets="data.label_column",
            kind="text",
            widget="text_input",
            label="Label column (optional)",
            default="",
            help="a 0-based index, a header name, 'first' or 'last'. Left empty, a CSV column "
            "named label, y, target or class is the label; 'none' trains on every column",
            when=_on("file"),
        ),
        c(
            name="shape",
            key="train_image_shape",
            sets="data.image_shape",
            kind="text",
            widget="text_input",
            label="Image shape (optional)",
            default="",
            help="e.g. 28x28, or 'auto' for square images",
            when=_on("file"),
        ),
        c(
            name="pre",
            key="train_preprocess",
            sets="data.preprocess",
            kind="choice",
            widget="selectbox",
            label="Preprocessing",
            default="default",
            choices=tuple(PREPROCESS_CHOICES),
            option_labels=PREPROCESS_CHOICES,
            help=PREPROCESS_HELP,
        ),
        c(
            name="mag",
            key="train_magnitude",
            sets="data.magnitude",
            kind="choice",
            widget="selectbox",
            label="Magnitudes",
            choices=MAGNITUDES,
            help="A firing feature's coefficient: uniform on (0, 1], exponential (mean 1) or 1.",
            when=synthetic,
        ),
        *structure_controls(c, synthetic),  # zipf, corr, hier
        *toy_controls(c, _on("toy")),  # tnf, tdh, tS, tr, tseed
        c(
            name="tf",
            key="train_test_fraction",
            sets="data.test_fraction",
            kind="grid",
            widget="select_slider",
            label="Held-out test share",
            choices=TEST_FRACTIONS,
            option_labels={f: f"{f:.0%}" for f in TEST_FRACTIONS},
            help="Metrics and pages use the held-out test split; the model never trains on it.",
            when=_on(*(s for s in SOURCES if s not in ENV_FOLDERS)),  # MNIST has its own split
        ),
        c(
            name="ss",
            key="train_split_seed",
            sets="data.seed",
            kind="int",
            widget="number_input",
            label="Split seed",
            lo=0,
            hi=2**31 - 1,
            step=1,
            help="Which samples are held out (and, for patches, which patches are cut).",
            when=_on(*(s for s in SOURCES if s != "synthetic")),
        ),
    )
