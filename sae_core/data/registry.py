"""The registry of data sources: one entry per source, so a new source is one entry here.

An entry says what the source is, whether its spec takes a path, which keyword options it takes
(help text, with each default read from the spec dataclass or function the option feeds, never
copied), and the loader that turns a request into :class:`RawData`. The CLI ``data`` command and
the UI list ``SOURCES``; :func:`sae_core.data.load_dataset` looks the source up and calls its loader.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sae_core.data.files.tabular import parse_table
from sae_core.data.loaders import (
    SourceRequest,
    raw_digits,
    raw_file,
    raw_idx,
    raw_mnist,
    raw_patches,
    raw_synthetic,
)
from sae_core.data.mnist.folder import ENV_FOLDERS, TITLES, mnist_folder
from sae_core.data.network import NetSpec, raw_net
from sae_core.data.options import SourceOption, keyword_defaults, options_of
from sae_core.data.patches import WHITENINGS, PatchSpec
from sae_core.data.preprocessing import RawData
from sae_core.data.synthetic import (
    CORRELATION_MAX,
    DEFAULT_MEAN_ACTIVE,
    HIERARCHY_CHILDREN,
    MAGNITUDES,
    ZIPF_MAX,
    SyntheticSpec,
)
from sae_core.data.toy.source import ToySourceSpec, raw_toy

__all__ = ["SOURCES", "DataSource", "SourceOption", "keyword_defaults", "options_of"]

PATH_RULES: tuple[str, ...] = ("none", "optional", "required")  # does ``source:PATH`` apply?


@dataclass(frozen=True, kw_only=True)
class DataSource:
    """One entry of the registry: what the CLI ``data`` command and the UI show, and its loader."""

    name: str
    title: str
    description: str
    needs: str
    loader: Callable[[SourceRequest], RawData]
    # one of PATH_RULES: the spec is ``name`` (none), ``name[:PATH]`` or ``name:PATH`` (required)
    path: str = "none"
    path_is_file: bool = True  # False: the path names a data set (net:digits), not a file
    takes: tuple[SourceOption, ...] = ()  # keyword options load_dataset accepts for this source
    default_preprocess: str = "none"

    def __post_init__(self) -> None:
        if self.path not in PATH_RULES:
            raise ValueError(f"source {self.name}: path={self.path!r}, choose one of {PATH_RULES}")

    @property
    def options(self) -> tuple[str, ...]:
        """The option names, in display order."""
        return tuple(o.name for o in self.takes)

    @property
    def option_help(self) -> tuple[str, ...]:
        """One help line per option, same order (defaults included)."""
        return tuple(o.help_line for o in self.takes)

    def option(self, name: str) -> SourceOption:
        for o in self.takes:
            if o.name == name:
                return o
        raise KeyError(f"data source {self.name!r} takes no option {name!r}")

    def defaults(self, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """What each option is when not given, next to the options ``given``."""
        given = given or {}
        return {
            o.name: None if o.unless is not None and given.get(o.unless) is not None else o.default
            for o in self.takes
        }


def _mnist(kind: str, what: str) -> DataSource:
    # The description says what the images show, not the title: the CLI prints
    # "title: description" and the app shows it under the title.
    return DataSource(
        name=kind,
        title=TITLES[kind],
        default_preprocess="scale01",
        description=f"{what}, 28×28 grey images with labels 0–9 (IDX files)",
        path="optional",
        loader=raw_mnist(kind),
        takes=options_of(
            mnist_folder,
            SourceOption(
                name="cache_dir",
                help="where downloads go (unset: $SAE_EXPLORER_CACHE or ~/.cache/sae-explorer)",
            ),
            SourceOption(
                name="download", help="fetch the files when they are not found; needs internet"
            ),
        ),
        needs=f"a folder of its IDX files ({kind}:FOLDER or ${ENV_FOLDERS[kind]}), "
        "or download=True online",
    )


SOURCES: dict[str, DataSource] = {
    s.name: s
    for s in (
        DataSource(
            name="digits",
            title="Digits (8×8)",
            default_preprocess="scale01",
            description="scikit-learn's handwritten digits: 1797 images of 8×8 pixels, labels 0–9",
            needs="nothing (embedded in scikit-learn)",
            loader=raw_digits,
        ),
        DataSource(
            name="patches",
            title="Natural-image patches",
            description="random grey patches of two photos, centred per patch, optionally whitened: "
            "the classic route to edge and Gabor filters",
            needs="nothing (scikit-learn's two sample photos; Pillow reads them)",
            loader=raw_patches,
            takes=options_of(
                PatchSpec,
                SourceOption(
                    name="patch_size", help="side of the square patch, 2..32; 12, 16 common"
                ),
                SourceOption(name="n_patches", help="number of patches"),
                SourceOption(name="whitening", choices=WHITENINGS),
                SourceOption(
                    name="eps",
                    help="added to each eigenvalue when whitening; larger = smoother filters",
                ),
            ),
        ),
        DataSource(
            name="synthetic",
            title="Synthetic superposition",
            description="sparse combinations of known random unit features plus noise; the ground "
            "truth is kept so feature recovery (MMCS, MCC, per-feature F1, absorption) can be measured",
            needs="nothing (generated)",
            loader=raw_synthetic,
            takes=options_of(
                SyntheticSpec,
                SourceOption(name="n_features", help="number of ground-truth features"),
                SourceOption(name="d_in", help="input dimension"),
                SourceOption(name="p_fire", help="probability that a feature fires in a sample"),
                SourceOption(
                    name="mean_active",
                    help="mean number of features firing per sample",
                    default=DEFAULT_MEAN_ACTIVE,  # the spec's None, when p_fire is unset too
                    unless="p_fire",
                ),
                SourceOption(name="magnitude", choices=MAGNITUDES),
                SourceOption(name="noise", help="std of Gaussian noise added to every dimension"),
                SourceOption(name="n_samples", help="number of samples"),
                SourceOption(
                    name="feature_seed",
                    help="seed of the features; the seed option draws the samples",
                ),
                SourceOption(
                    name="zipf",
                    help="exponent s of Zipf firing probabilities p_i ∝ (i+1)^-s; 0 uniform",
                    bounds=(0.0, ZIPF_MAX),
                ),
                SourceOption(
                    name="correlation",
                    help="ρ with which features (0, 1), (2, 3), … fire together",
                    bounds=(0.0, CORRELATION_MAX),
                ),
                SourceOption(
                    name="hierarchy",
                    help=f"parent features, each with {HIERARCHY_CHILDREN} children that fire "
                    "only with it; at most n_features/3",
                ),
            ),
        ),
        DataSource(
            name="net",
            title="Network activations (MLP classifier)",
            description="hidden-layer activations of a small MLP classifier trained on digits or "
            "MNIST (cached on disk); the input images are kept for display and the rest of the "
            "network for loss recovered",
            needs="nothing for net:digits; net:mnist[:FOLDER] as the mnist source (trains once)",
            path="optional",
            path_is_file=False,
            loader=raw_net,
            takes=(
                *options_of(
                    NetSpec,
                    SourceOption(name="width", help="units per hidden layer"),
                    SourceOption(name="hidden_layers", help="number of hidden ReLU layers"),
                    SourceOption(name="layer", help="hidden layer whose ReLU output is the data"),
                    SourceOption(name="epochs", help="passes over the digits train split"),
                    SourceOption(name="net_seed", help="the network's initialisation and batches"),
                    SourceOption(name="lr", help="Adam learning rate"),
                ),
                SourceOption(
                    name="cache_dir",
                    help="where trained networks go (unset: $SAE_EXPLORER_CACHE or "
                    "~/.cache/sae-explorer)",
                ),
            ),
        ),
        DataSource(
            name="toy",
            title="Toy model of superposition",
            description="hidden activations h = Wx of Elhage et al.'s toy model, trained in "
            "seconds; the ground truth is W's columns, the n features squeezed into m dimensions",
            needs="nothing (trained in seconds, cached in memory)",
            loader=raw_toy,
            takes=options_of(
                ToySourceSpec,
                SourceOption(name="n_features", help="features n the toy model compresses"),
                SourceOption(name="d_hidden", help="hidden dimensions m < n: the data's width"),
                SourceOption(
                    name="sparsity", help="S, probability a feature is zero", bounds=(0.0, 0.999)
                ),
                SourceOption(name="importance_decay", help="r, feature i's importance is r^i"),
                SourceOption(name="toy_seed", help="the toy model's training; seed draws samples"),
                SourceOption(name="n_samples", help="number of samples"),
            ),
        ),
        _mnist("mnist", "handwritten digits"),
        _mnist("fashion-mnist", "Zalando's clothing and shoes"),
        DataSource(
            name="idx",
            title="MNIST-format folder",
            default_preprocess="scale01",
            description="any folder of IDX files named like MNIST's (KMNIST, EMNIST, ...), or one "
            "images file with its labels beside it",
            needs="a folder of MNIST-format IDX files, or a *-images-idx3-ubyte[.gz] file",
            path="required",
            loader=raw_idx,
        ),
        DataSource(
            name="file",
            title="Your file (CSV / NPY / NPZ)",
            description="a numeric matrix, one sample per row; optional label column and image shape",
            needs="a .csv, .npy or .npz file (path or upload)",
            path="required",
            loader=raw_file,
            takes=options_of(
                parse_table,
                SourceOption(
                    name="label_column",
                    help="column of integer labels or class names: index, header name, 'last'; "
                    "unset takes a CSV column named label/y/target/class, 'none' takes none",
                ),
                SourceOption(
                    name="image_shape",
                    help="height x width when rows are images, e.g. 28x28, or 'auto' for squares",
                ),
                SourceOption(name="has_header", help="CSV: true/false; unset detects a header row"),
            ),
        ),
    )
}
"""Data sources in display order."""
