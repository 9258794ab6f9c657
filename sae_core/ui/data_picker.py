"""The Train page's data widgets: source, its options, upload, preview and a one-line summary.

Widgets give a :class:`DataChoice`; :func:`render_data_picker` loads it (cached) inside
``user_errors``, so a bad file or folder is an ``st.error`` and the shown model is untouched.
"""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from sae_core.data import SOURCES
from sae_core.data.dataset import Dataset
from sae_core.data.preprocessing import standardise_warning
from sae_core.data.synthetic import MAGNITUDES
from sae_core.figures import make_data_preview_figure
from sae_core.ui.charts import chart
from sae_core.ui.guard import user_errors
from sae_core.ui.keep import widget
from sae_core.ui.state import (
    UPLOAD_KEY,
    DataChoice,
    StoredUpload,
    load_choice,
    make_choice,
    upload_digest,
)
from sae_core.ui.teacher import visible

FOLDER_SOURCES = ("mnist", "fashion-mnist", "idx")
FOLDER_ENV = {"mnist": "SAE_EXPLORER_MNIST_DIR", "fashion-mnist": "SAE_EXPLORER_FASHION_MNIST_DIR"}
PATCH_SIZES = (8, 12, 16)
WHITENINGS = ("none", "zca", "pca")
N_PATCHES = (1000, 2000, 5000, 10_000, 20_000)
SAMPLE_CAPS = (0, 1000, 2000, 5000, 10_000, 20_000, 70_000)  # 0: every sample
WHITEN_EPS_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
DEFAULT_WHITEN_EPS = 1.0  # PatchSpec's default
TEST_FRACTIONS = (0.1, 0.2, 0.3, 0.4, 0.5)
DEFAULT_TEST_FRACTION = 0.2  # load_dataset's default
PREVIEW_SAMPLES = 8
MNIST_HELP = (
    "The folder holds the MNIST-format IDX files (`train-images-idx3-ubyte.gz`, "
    "`train-labels-idx1-ubyte.gz`, `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz`; "
    "plain or .gz; the test pair alone also works). Left empty, the app uses "
    "`SAE_EXPLORER_MNIST_DIR`, then files already in the download cache "
    "(`SAE_EXPLORER_CACHE`, default `~/.cache/sae-explorer`). Online, tick *Download* once to "
    "fetch them there (checksums verified); offline, copy the files from any MNIST mirror."
)


PREPROCESS_CHOICES: dict[str, str] = {
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


def _widget(key: str, default: Any, draw: Any, label: str, *args: Any, **kwargs: Any) -> Any:
    """Draw a kept widget (value survives page switches) and return its value.

    In teacher mode with the data hidden the widget is not drawn but keeps its value.
    """
    return widget(draw, label, key, default, *args, shown=visible("data"), **kwargs)


def _patch_options() -> dict[str, Any]:
    c1, c2, c3 = st.columns(3)
    size = _widget(
        "train_patch_size",
        8,
        c1.selectbox,
        "Patch size",
        PATCH_SIZES,
        format_func=lambda p: f"{p}×{p}",
    )
    whitening = _widget(
        "train_whitening",
        "none",
        c2.selectbox,
        "Whitening",
        WHITENINGS,
        help="ZCA keeps patches image-like; PCA rotates them (shown as lines).",
    )
    n = _widget("train_n_patches", 10_000, c3.select_slider, "Patches", N_PATCHES)
    options: dict[str, Any] = {"patch_size": int(size), "whitening": whitening, "n_patches": int(n)}
    if whitening != "none":
        eps = _widget(
            "train_whiten_eps",
            DEFAULT_WHITEN_EPS,
            st.select_slider,
            "Whitening ε (added to each eigenvalue)",
            WHITEN_EPS_GRID,
            format_func=lambda e: f"{e:g}",
            help="Small ε whitens fully (noisy, high-frequency atoms); larger ε keeps the low "
            "frequencies that make edges.",
        )
        options["eps"] = None if eps == DEFAULT_WHITEN_EPS else float(eps)
    return options


def _synthetic_options() -> dict[str, Any]:
    c1, c2, c3 = st.columns(3)
    n_features = _widget("train_n_features", 64, c1.number_input, "Features", 1, 4096, step=8)
    d_in = _widget("train_syn_d_in", 32, c2.number_input, "d_in (dimensions)", 1, 4096, step=8)
    active = _widget(
        "train_mean_active",
        4.0,
        c3.number_input,
        "Mean active features",
        0.1,
        4096.0,
        step=0.5,
        help="= p_fire · n_features",
    )
    c4, c5, c6, c7 = st.columns(4)
    noise = _widget("train_noise", 0.0, c4.number_input, "Noise σ", 0.0, 10.0, step=0.01)
    n_samples = _widget("train_n_samples", 8192, c5.number_input, "Samples", 16, 200_000, step=1024)
    data_seed = _widget("train_data_seed", 0, c6.number_input, "Data seed", 0, 2**31 - 1, step=1)
    magnitude = _widget(
        "train_magnitude",
        MAGNITUDES[0],
        c7.selectbox,
        "Magnitudes",
        MAGNITUDES,
        help="A firing feature's coefficient: uniform on (0, 1], exponential (mean 1) or 1.",
    )
    return {
        "magnitude": None if magnitude == MAGNITUDES[0] else str(magnitude),
        "n_features": int(n_features),
        "d_in": int(d_in),
        "mean_active": float(active),
        "noise": float(noise),
        "n_samples": int(n_samples),
        "seed": int(data_seed),
    }


def _folder_options(source: str) -> tuple[str, dict[str, Any]]:
    env = FOLDER_ENV.get(source)
    default = os.environ.get(env, "") if env else ""
    label = "Folder of MNIST-format IDX files"
    folder = _widget(
        f"train_folder_{source}", default, st.text_input, label, placeholder="/path/to/mnist"
    )
    if visible("data"):
        st.caption(MNIST_HELP)
    cap = _widget(
        "train_max_samples",
        10_000,
        st.select_slider,
        "Use at most (samples)",
        SAMPLE_CAPS,
        format_func=lambda n: "all" if n == 0 else f"{n:,}",
    )
    folder = str(folder or "").strip()
    spec = f"{source}:{folder}" if folder else source
    options: dict[str, Any] = {"max_samples": int(cap) or None}
    if source in FOLDER_ENV and not folder:
        download = _widget(
            "train_download", False, st.checkbox, "Download if missing (needs internet)"
        )
        options["download"] = bool(download) or None
    return spec, options


def _store_upload(uploaded: Any) -> StoredUpload:
    """Keep ``uploaded`` (Streamlit's UploadedFile) in the session; hash its bytes once per upload."""
    stored = st.session_state.get(UPLOAD_KEY)
    file_id = getattr(uploaded, "file_id", None)
    same = isinstance(stored, StoredUpload) and file_id is not None and stored.file_id == file_id
    if not same:
        data = uploaded.getvalue()
        stored = StoredUpload(uploaded.name, data, upload_digest(data), file_id)
        st.session_state[UPLOAD_KEY] = stored
    assert isinstance(stored, StoredUpload)
    return stored


def _upload_options() -> tuple[StoredUpload | None, dict[str, Any]]:
    """The uploader; the file goes to ``st.session_state[UPLOAD_KEY]`` for other runs to reload."""
    uploaded = st.file_uploader(
        "Upload a CSV, NPY or NPZ file (one sample per row)",
        type=["csv", "npy", "npz"],
        key="train_upload",
    )
    if uploaded is not None:
        _store_upload(uploaded)
    stored = st.session_state.get(UPLOAD_KEY)
    if not isinstance(stored, StoredUpload):
        stored = None
    if uploaded is None and stored is not None:
        st.caption(f"Using **{stored.name}**, uploaded earlier in this session.")
    c1, c2 = st.columns(2)
    label = _widget(
        "train_label_column",
        "",
        c1.text_input,
        "Label column (optional)",
        help="a 0-based index, a header name, 'first' or 'last'",
    )
    shape = _widget(
        "train_image_shape",
        "",
        c2.text_input,
        "Image shape (optional)",
        help="e.g. 28x28, or 'auto' for square images",
    )
    label = str(label or "").strip()
    options: dict[str, Any] = {
        "label_column": int(label) if label.lstrip("-").isdigit() else (label or None),
        "image_shape": str(shape or "").strip() or None,
    }
    return stored, options


def _preprocess(source: str, container: Any) -> str | None:
    """The preprocessing widget -> ``preprocess`` for load_dataset (None: the source's default)."""
    own = SOURCES[source].default_preprocess
    choice = _widget(
        "train_preprocess",
        "default",
        container.selectbox,
        "Preprocessing",
        list(PREPROCESS_CHOICES),
        format_func=lambda p: (
            f"source default ({own})" if p == "default" else PREPROCESS_CHOICES[p]
        ),
        help=PREPROCESS_HELP,
    )
    return None if choice == "default" else str(choice)


def _split(source: str, left: Any, right: Any) -> dict[str, Any]:
    """Held-out share and split seed (None: the defaults). MNIST keeps its official split, and
    synthetic data's own seed already draws the split, so those show fewer controls."""
    options: dict[str, Any] = {}
    if source not in FOLDER_ENV:  # MNIST and Fashion-MNIST come with their test split
        share = _widget(
            "train_test_fraction",
            DEFAULT_TEST_FRACTION,
            left.select_slider,
            "Held-out test share",
            TEST_FRACTIONS,
            format_func=lambda f: f"{f:.0%}",
            help="Metrics and pages use the held-out test split; the model never trains on it.",
        )
        options["test_fraction"] = None if share == DEFAULT_TEST_FRACTION else float(share)
    if source != "synthetic":
        seed_value = _widget(
            "train_split_seed",
            0,
            right.number_input,
            "Split seed",
            0,
            2**31 - 1,
            step=1,
            help="Which samples are held out (and, for patches, which patches are cut).",
        )
        options["seed"] = int(seed_value) or None
    return options


def choose_data() -> DataChoice | None:
    """Source and option widgets -> a choice (None: a file source with nothing uploaded yet)."""
    source, choice = _choose_source()
    c1, c2, c3 = st.columns(3) if visible("data") else (st, st, st)
    extra = {"preprocess": _preprocess(source, c1), **_split(source, c2, c3)}
    extra = {key: value for key, value in extra.items() if value is not None}
    if choice is None or not extra:
        return choice
    return make_choice(
        choice.spec,
        upload_name=choice.upload_name,
        upload_digest=choice.upload_digest,
        **{**choice.options, **extra},
    )


def _choose_source() -> tuple[str, DataChoice | None]:
    """The source widget and its options -> (source name, choice or None if not ready)."""
    names = list(SOURCES)
    source = _widget(
        "train_source",
        "digits",
        st.selectbox,
        "Data source",
        names,
        format_func=lambda s: SOURCES[s].title,
    )
    if visible("data"):
        st.caption(SOURCES[source].description)
    if source == "patches":
        return source, make_choice("patches", **_patch_options())
    if source == "synthetic":
        return source, make_choice("synthetic", **_synthetic_options())
    if source in FOLDER_SOURCES:
        spec, options = _folder_options(source)
        if spec == "idx":
            st.info("Enter the folder of your IDX files.", icon=":material/folder_open:")
            return source, None
        return source, make_choice(spec, **options)
    if source == "file":
        stored, options = _upload_options()
        if stored is None:
            st.info("Upload a file to train on it.", icon=":material/upload_file:")
            return source, None
        return source, make_choice(
            "file", upload_name=stored.name, upload_digest=stored.digest, **options
        )
    return source, make_choice(source)


def describe(dataset: Dataset) -> str:
    """``1437 train · 360 test · d_in 64 · labels · 8×8 images``."""
    parts = [
        f"{dataset.n_train:,} train",
        f"{dataset.n_test:,} test",
        f"d_in {dataset.d_in}",
        "labels" if dataset.has_labels else "no labels",
    ]
    if dataset.image_shape is not None:
        parts.append("{}×{} images".format(*dataset.image_shape))
    if dataset.features is not None:
        parts.append(f"{len(dataset.features)} ground-truth features")
    return " · ".join(parts)


def show_preview(dataset: Dataset) -> None:
    """A few training samples (images, or a heat-map for other data) and the summary line."""
    st.markdown(f"**{describe(dataset)}**")
    st.caption(dataset.description)
    warning = standardise_warning(dataset.preprocessing.steps, dataset.x_test)
    if warning:
        st.warning(warning, icon=":material/warning:")
    if dataset.x_test.size and not dataset.x_test.std(axis=0).any():
        st.warning(
            "Every test sample is the same (zero variance): FVE is undefined and there is "
            "nothing for an SAE to find. Check the file or the options.",
            icon=":material/warning:",
        )
    labels = None if dataset.y_train is None else dataset.y_train[:PREVIEW_SAMPLES].tolist()
    fig = make_data_preview_figure(
        dataset.x_train[:PREVIEW_SAMPLES],
        dataset.image_shape,
        PREVIEW_SAMPLES,
        labels=labels,
        title="A few training samples (as the model sees them)",
    )
    chart(fig, "train_preview")


def load_and_preview(choice: DataChoice | None) -> tuple[DataChoice, Dataset] | None:
    """Load ``choice`` (cached) and preview it; None, with an ``st.error``, when it fails."""
    if choice is None:
        return None
    with user_errors("Loading data"):
        dataset = load_choice(choice)
        show_preview(dataset)
        return choice, dataset
    return None


def render_data_picker() -> tuple[DataChoice, Dataset] | None:
    """Data widgets, loading and preview, one after the other."""
    return load_and_preview(choose_data())
