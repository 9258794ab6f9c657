"""The registry of data sources: what each is, which options it takes, what it needs.

The CLI ``data`` command and the UI list ``SOURCES``; :mod:`sae_core.data` loads them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sae_core.data.mnist.folder import TITLES


@dataclass(frozen=True, kw_only=True)
class DataSource:
    """One entry of the registry: what the CLI ``data`` command and the UI show."""

    name: str
    title: str
    description: str
    options: tuple[str, ...]  # keyword options load_dataset accepts for this source
    needs: str
    option_help: tuple[str, ...] = ()  # one line per option, same order
    default_preprocess: str = "none"


SOURCES: dict[str, DataSource] = {
    s.name: s
    for s in (
        DataSource(
            name="digits",
            title="Digits (8×8)",
            default_preprocess="scale01",
            description="scikit-learn's handwritten digits: 1797 images of 8×8 pixels, labels 0–9",
            options=(),
            needs="nothing (embedded in scikit-learn)",
        ),
        DataSource(
            name="patches",
            title="Natural-image patches",
            description="random grey patches of two photos, centred per patch, optionally whitened: "
            "the classic route to edge and Gabor filters",
            options=("patch_size", "n_patches", "whitening", "eps"),
            option_help=(
                "side of the square patch, 2..32 (default 8; 12, 16 common)",
                "number of patches (default 10000)",
                "none | zca | pca (default none)",
                "added to each eigenvalue when whitening (default 1; larger = smoother filters)",
            ),
            needs="nothing (scikit-learn's two sample photos; Pillow reads them)",
        ),
        DataSource(
            name="synthetic",
            title="Synthetic superposition",
            description="sparse combinations of known random unit features plus noise; the ground "
            "truth is kept so feature recovery (MMCS, MCC) can be measured",
            options=(
                "n_features",
                "d_in",
                "p_fire",
                "mean_active",
                "magnitude",
                "noise",
                "n_samples",
                "feature_seed",
            ),
            option_help=(
                "number of ground-truth features (default 64)",
                "input dimension (default 32)",
                "probability that a feature fires in a sample",
                "mean number of features firing per sample (default 4)",
                "uniform | exponential | constant (default uniform)",
                "std of Gaussian noise added to every dimension (default 0)",
                "number of samples (default 8192)",
                "seed of the features (default 0); the seed option draws the samples",
            ),
            needs="nothing (generated)",
        ),
        *(
            DataSource(
                name=kind,
                title=TITLES[kind],
                default_preprocess="scale01",
                description=f"{what}, 28×28 grey images with labels 0–9 (IDX files)",
                options=("cache_dir", "download"),
                option_help=(
                    "where downloads go (default $SAE_EXPLORER_CACHE or ~/.cache/sae-explorer)",
                    "fetch the files when they are not found (needs internet; default false)",
                ),
                needs=f"a folder of its IDX files ({kind}:FOLDER or ${env}), or download=True online",
            )
            # The description says what the images show, not the title: the CLI prints
            # "title: description" and the app shows it under the title.
            for kind, env, what in (
                ("mnist", "SAE_EXPLORER_MNIST_DIR", "handwritten digits"),
                ("fashion-mnist", "SAE_EXPLORER_FASHION_MNIST_DIR", "Zalando's clothing and shoes"),
            )
        ),
        DataSource(
            name="idx",
            title="MNIST-format folder",
            default_preprocess="scale01",
            description="any folder of IDX files named like MNIST's (KMNIST, EMNIST, ...), or one "
            "images file with its labels beside it",
            options=(),
            needs="a folder of MNIST-format IDX files, or a *-images-idx3-ubyte[.gz] file",
        ),
        DataSource(
            name="file",
            title="Your file (CSV / NPY / NPZ)",
            description="a numeric matrix, one sample per row; optional label column and image shape",
            options=("label_column", "image_shape", "has_header"),
            option_help=(
                "column of integer labels or class names: index, header name, 'last'",
                "height x width when rows are images, e.g. 28x28, or 'auto' for squares",
                "CSV: true/false; unset detects a header row",
            ),
            needs="a .csv, .npy or .npz file (path or upload)",
        ),
    )
}
"""Data sources in display order."""
