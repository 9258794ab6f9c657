"""The Train page's data widgets: source, its options, upload, preview and a one-line summary.

Each widget is drawn from its control-registry entry (:mod:`sae_core.app.controls`: label,
default, bounds, help; hidden with the "data" group in teacher mode), and a source's options are
the controls whose ``when`` names it. Widgets give a :class:`DataChoice`;
:func:`load_and_preview` loads it (cached) inside ``user_errors``, so a bad file or folder is an
``st.error`` and the shown model is untouched.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from sae_core.app.controls import (
    FOLDER_SOURCES,
    PREPROCESS_CHOICES,
    Control,
    by_name,
    train_controls,
)
from sae_core.data import SOURCES
from sae_core.data.dataset import Dataset
from sae_core.data.preprocessing import standardise_warning
from sae_core.figures import make_data_preview_figure
from sae_core.ui.charts import chart
from sae_core.ui.guard import user_errors
from sae_core.ui.keep import draw_control
from sae_core.ui.net_picker import net_options
from sae_core.ui.state import (
    UPLOAD_KEY,
    DataChoice,
    StoredUpload,
    load_choice,
    make_choice,
    upload_digest,
)
from sae_core.ui.teacher import visible

PREVIEW_SAMPLES = 8
MNIST_HELP = (
    "The folder holds the MNIST-format IDX files (`train-images-idx3-ubyte.gz`, "
    "`train-labels-idx1-ubyte.gz`, `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz`; "
    "plain or .gz; the test pair alone also works). Left empty, the app uses "
    "`SAE_EXPLORER_MNIST_DIR`, then files already in the download cache "
    "(`SAE_EXPLORER_CACHE`, default `~/.cache/sae-explorer`). Online, tick *Download* once to "
    "fetch them there (checksums verified); offline, copy the files from any MNIST mirror."
)


def _controls() -> dict[str, Control]:
    return by_name(train_controls())


def _unless_default(control: Control, value: Any) -> Any:
    """None (load_dataset's own default) when ``value`` is the control's default."""
    return None if value == control.default else value


def _patch_options(c: dict[str, Control]) -> dict[str, Any]:
    c1, c2, c3 = st.columns(3)
    size = draw_control(c["ps"], c1)
    whitening = draw_control(c["wh"], c2)
    n = draw_control(c["np"], c3)
    options: dict[str, Any] = {"patch_size": int(size), "whitening": whitening, "n_patches": int(n)}
    if c["eps"].applies(whitening):
        options["eps"] = _unless_default(c["eps"], float(draw_control(c["eps"])))
    return options


def _synthetic_options(c: dict[str, Control]) -> dict[str, Any]:
    c1, c2, c3 = st.columns(3)
    n_features = draw_control(c["nf"], c1)
    d_in = draw_control(c["din"], c2)
    active = draw_control(c["act"], c3)
    c4, c5, c6, c7 = st.columns(4)
    noise = draw_control(c["noise"], c4)
    n_samples = draw_control(c["ns"], c5)
    data_seed = draw_control(c["dseed"], c6)
    magnitude = draw_control(c["mag"], c7)
    c8, c9, c10 = st.columns(3)
    zipf = draw_control(c["zipf"], c8)
    correlation = draw_control(c["corr"], c9)
    hierarchy = draw_control(c["hier"], c10)
    return {
        "magnitude": _unless_default(c["mag"], str(magnitude)),
        "zipf": _unless_default(c["zipf"], float(zipf)),
        "correlation": _unless_default(c["corr"], float(correlation)),
        "hierarchy": _unless_default(c["hier"], int(hierarchy)),
        "n_features": int(n_features),
        "d_in": int(d_in),
        "mean_active": float(active),
        "noise": float(noise),
        "n_samples": int(n_samples),
        "seed": int(data_seed),
    }


def _toy_options(c: dict[str, Control]) -> dict[str, Any]:
    columns = st.columns(5)
    names = ("tnf", "tdh", "tS", "tr", "tseed")
    n_features, d_hidden, sparsity, decay, seed = (
        draw_control(c[name], column) for name, column in zip(names, columns, strict=True)
    )
    return {
        "n_features": int(n_features),
        "d_hidden": int(d_hidden),
        "sparsity": float(sparsity),
        "importance_decay": float(decay),
        "toy_seed": int(seed),
    }


def _folder_options(c: dict[str, Control], source: str) -> tuple[str, dict[str, Any]]:
    folder_control = next(f for f in c.values() if f.sets == "data.path" and f.applies(source))
    folder = draw_control(folder_control, placeholder="/path/to/mnist")
    if visible("data"):
        st.caption(MNIST_HELP)
    cap = draw_control(c["cap"])
    folder = str(folder or "").strip()
    spec = f"{source}:{folder}" if folder else source
    options: dict[str, Any] = {"max_samples": int(cap) or None}
    if c["dl"].applies(source) and not folder:
        options["download"] = bool(draw_control(c["dl"])) or None
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


def _upload_options(c: dict[str, Control]) -> tuple[StoredUpload | None, dict[str, Any]]:
    """The uploader; the file goes to ``st.session_state[UPLOAD_KEY]`` for other runs to reload."""
    uploaded = st.file_uploader(
        "Upload a CSV, NPY or NPZ file (one sample per row)",
        type=["csv", "npy", "npz"],
        key="train_upload",
        help="Up to 200 MB. A larger .npy trains with the command line, which streams it from "
        "disk: `python -m sae_core train --data FILE.npy`.",
    )
    if uploaded is not None:
        _store_upload(uploaded)
    stored = st.session_state.get(UPLOAD_KEY)
    if not isinstance(stored, StoredUpload):
        stored = None
    if uploaded is None and stored is not None:
        st.caption(f"Using **{stored.name}**, uploaded earlier in this session.")
    c1, c2 = st.columns(2)
    label = str(draw_control(c["lbl"], c1) or "").strip()
    shape = draw_control(c["shape"], c2)
    options: dict[str, Any] = {
        "label_column": int(label) if label.lstrip("-").isdigit() else (label or None),
        "image_shape": str(shape or "").strip() or None,
    }
    return stored, options


def _preprocess(c: dict[str, Control], source: str, container: Any) -> str | None:
    """The preprocessing widget -> ``preprocess`` for load_dataset (None: the source's default)."""
    own = SOURCES[source].default_preprocess
    choice = draw_control(
        c["pre"],
        container,
        format_func=lambda p: (
            f"source default ({own})" if p == c["pre"].default else PREPROCESS_CHOICES[p]
        ),
    )
    return _unless_default(c["pre"], str(choice))


def _split(c: dict[str, Control], source: str, left: Any, right: Any) -> dict[str, Any]:
    """Held-out share and split seed (None: the defaults). MNIST keeps its official split, and
    synthetic data's own seed already draws the split, so those show fewer controls."""
    options: dict[str, Any] = {}
    if c["tf"].applies(source):
        options["test_fraction"] = _unless_default(c["tf"], float(draw_control(c["tf"], left)))
    if c["ss"].applies(source):
        options["seed"] = _unless_default(c["ss"], int(draw_control(c["ss"], right)))
    return options


def choose_data() -> DataChoice | None:
    """Source and option widgets -> a choice (None: a file source with nothing uploaded yet)."""
    c = _controls()
    source, choice = _choose_source(c)
    # full width: in a third of the data column its choices read "source defa…"
    preprocess = _preprocess(c, source, st)
    c1, c2 = st.columns(2) if visible("data") else (st, st)
    extra = {"preprocess": preprocess, **_split(c, source, c1, c2)}
    extra = {key: value for key, value in extra.items() if value is not None}
    if choice is None or not extra:
        return choice
    return make_choice(
        choice.spec,
        upload_name=choice.upload_name,
        upload_digest=choice.upload_digest,
        **{**choice.options, **extra},
    )


def _choose_source(c: dict[str, Control]) -> tuple[str, DataChoice | None]:
    """The source widget and its options -> (source name, choice or None if not ready)."""
    source = str(draw_control(c["src"]))
    if visible("data"):
        st.caption(SOURCES[source].description)
    if source == "patches":
        return source, make_choice("patches", **_patch_options(c))
    if source == "synthetic":
        return source, make_choice("synthetic", **_synthetic_options(c))
    if source == "toy":
        return source, make_choice("toy", **_toy_options(c))
    if source == "net":
        spec, options = net_options(c)
        return source, make_choice(spec, **options)
    if source in FOLDER_SOURCES:
        spec, options = _folder_options(c, source)
        if spec == "idx":
            st.info("Enter the folder of your IDX files.", icon=":material/folder_open:")
            return source, None
        return source, make_choice(spec, **options)
    if source == "file":
        stored, options = _upload_options(c)
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
    for notice in dataset.notices:  # e.g. a CSV column named "label" taken as the labels
        st.info(notice, icon=":material/label:")
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
