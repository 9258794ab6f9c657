"""Compare page: open a SAELens SAE trained elsewhere, with activations, as a session model.

The SAE comes as an uploaded zip or a folder / zip path, the activations as an uploaded or named
NPY/NPZ file (the ``file`` source, no preprocessing). Once loaded it is the current model, so
Reconstructions, Activations and Filters & latents work on it; a bad file is one message and
the session keeps what it had.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sae_core.analysis.metrics import evaluate
from sae_core.config import TrainConfig
from sae_core.data import load_file_bytes
from sae_core.data.dataset import Dataset
from sae_core.errors import DataError
from sae_core.model import SparseAutoencoder
from sae_core.runs.saelens_import import check_saelens_width, read_saelens, saelens_from_zip
from sae_core.training.trainer import HISTORY_COLUMNS
from sae_core.ui.compare.runs import finish_action
from sae_core.ui.guard import user_errors
from sae_core.ui.state import (
    UPLOAD_KEY,
    AppState,
    Current,
    DataChoice,
    StoredUpload,
    load_choice,
    make_choice,
    set_current,
    upload_digest,
)

PREFIX = "cmp_saelens"


def render_saelens_load(state: AppState) -> None:
    """The "Load a SAELens SAE" section: four inputs and a button."""
    st.header("Load a SAELens SAE")
    st.caption(
        "An SAE trained with SAELens (or exported from here): its folder zipped, with cfg.json "
        "and sae_weights.safetensors, plus activations of its d_in as NPY/NPZ (samples × d_in, "
        "used as they are). It becomes the current model: every analysis page then shows it."
    )
    left, right = st.columns(2)
    sae_upload = left.file_uploader("SAE (.zip)", type=["zip"], key=f"{PREFIX}_zip")
    sae_path = left.text_input(
        "…or its folder or zip on the server", key=f"{PREFIX}_path", placeholder="/path/to/sae"
    )
    data_upload = right.file_uploader(
        "Activations (.npy / .npz)", type=["npy", "npz"], key=f"{PREFIX}_data"
    )
    data_path = right.text_input(
        "…or their file on the server", key=f"{PREFIX}_data_path", placeholder="/path/acts.npy"
    )
    ready = (sae_upload is not None or bool(sae_path.strip())) and (
        data_upload is not None or bool(data_path.strip())
    )
    if st.button(
        "Load SAE",
        key=f"{PREFIX}_load",
        icon=":material/upload:",
        disabled=not ready,
        help="An upload is used before a path",
    ):
        with user_errors("Loading the SAELens SAE"):
            if sae_upload is not None:
                model = saelens_from_zip(sae_upload.getvalue(), sae_upload.name)
                sae_name = sae_upload.name
            else:
                model = read_saelens(sae_path.strip())
                sae_name = sae_path.strip()
            if data_upload is not None:
                choice, dataset = _uploaded_data(data_upload.name, data_upload.getvalue())
            else:
                choice, dataset = _path_data(data_path.strip())
            check_saelens_width(model, dataset.d_in, choice.label)
            set_current(state, current_from_saelens(model, choice, dataset))
            finish_action(
                f"Loaded the SAELens SAE {sae_name} ({model.cfg.method}, d_sae "
                f"{model.cfg.d_sae}) on {choice.label} as the current model."
            )


def _path_data(path: str) -> tuple[DataChoice, Dataset]:
    if not path.lower().endswith((".npy", ".npz")):
        raise DataError(f"{path} is not an .npy or .npz file: give the activations as NPY/NPZ")
    choice = make_choice(path)
    return choice, load_choice(choice)


def _uploaded_data(name: str, data: bytes) -> tuple[DataChoice, Dataset]:
    digest = upload_digest(data)
    dataset = load_file_bytes(data, name)
    # kept as the session's upload only when there is none: the Train page's upload stays
    if not isinstance(st.session_state.get(UPLOAD_KEY), StoredUpload):
        st.session_state[UPLOAD_KEY] = StoredUpload(name, data, digest)
    return make_choice("file", upload_name=name, upload_digest=digest), dataset


def current_from_saelens(model: SparseAutoencoder, choice: DataChoice, dataset: Dataset) -> Current:
    """A :class:`Current` for an SAE trained elsewhere: no history, evaluated on the test split."""
    return Current(
        data=choice,
        dataset=dataset,
        sae_config=model.cfg,
        train_config=TrainConfig(),
        model=model,
        history=pd.DataFrame(columns=[c for c in HISTORY_COLUMNS if c != "model"]),
        metrics=evaluate(model, dataset, probe=True),
        train_seconds=0.0,
        steps=0,
        finished=True,
    )
