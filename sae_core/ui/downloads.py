"""Downloads of the shown model (run zip, SAELens zip, metrics and history CSV) and Save run.

Files are built only when the user clicks (``data=`` callables), so Play's reruns and large
models cost nothing until someone downloads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from sae_core.errors import RunError
from sae_core.runs import model_bytes, runs_root, safe_run_name, save_run
from sae_core.runs.saelens import saelens_architecture, saelens_zip_bytes
from sae_core.ui.guard import user_errors
from sae_core.ui.server_cache import record_saved
from sae_core.ui.state import AppState, Current, set_current


def numeric_metrics(current: Current) -> dict[str, float | int | None]:
    """The metrics as a run stores them (numbers or None; text fields such as ``split`` dropped)."""
    return {k: v for k, v in current.metrics.to_dict().items() if not isinstance(v, str)}


def run_info(current: Current) -> dict[str, Any]:
    """Keyword arguments of ``model_bytes`` / ``save_run`` describing ``current``."""
    return {
        "metrics": numeric_metrics(current),
        "history": current.history,
        "data_name": current.data.label,
        "train_seconds": current.train_seconds,
        "extra": {
            "steps": current.steps,
            "finished": current.finished,
            "dataset": current.dataset.name,
            # what reloading needs to rebuild the same dataset (Compare & sweep's Load)
            "data_spec": current.data.spec,
            "data_options": current.data.options,
            "upload_name": current.data.upload_name,
            "upload_digest": current.data.upload_digest,
            # the shared model cache finds a saved run by these (sae_core/runs/digest_index.py)
            "setup_digest": current.setup_digest,
            "link_key": current.link_key,
        },
    }


def file_stem(current: Current) -> str:
    cfg = current.sae_config
    stem = current.saved_as or f"sae-{cfg.method}-h{cfg.d_sae}-{current.id[:6]}"
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in stem)


def saelens_unavailable(current: Current) -> str | None:
    """Why this model cannot be exported to SAELens, or None when it can."""
    try:
        saelens_architecture(current.sae_config)
    except RunError as exc:
        return str(exc)
    return None


def _csv(frame: pd.DataFrame) -> Callable[[], bytes]:
    return lambda: frame.to_csv(index=False).encode()


def render_downloads(current: Current) -> None:
    """Four download buttons (keys ``train_dl_*``); SAELens explains when it does not apply."""
    stem = file_stem(current)
    c1, c2, c3, c4 = st.columns(4)
    c1.download_button(
        "Model (.zip)",
        lambda: model_bytes(current.model, current.train_config, **run_info(current)),
        file_name=f"{stem}.zip",
        mime="application/zip",
        key="train_dl_model",
        on_click="ignore",
        icon=":material/download:",
        help="weights.safetensors + config.json + metrics.json + history.csv",
    )
    reason = saelens_unavailable(current)
    c2.download_button(
        "SAELens export (.zip)",
        lambda: saelens_zip_bytes(
            current.model,
            dataset_path=current.data.label,
            preprocessing=current.dataset.preprocessing,
        ),
        file_name=f"{stem}-saelens.zip",
        mime="application/zip",
        key="train_dl_saelens",
        on_click="ignore",
        icon=":material/download:",
        disabled=reason is not None,
        help=reason or "cfg.json + sae_weights.safetensors for sae_lens.SAE.load_from_disk",
    )
    if reason is not None:
        c2.caption(f"Unavailable: {reason}")
    metrics = pd.DataFrame([{**current.summary(), **numeric_metrics(current)}])
    c3.download_button(
        "Metrics (.csv)",
        _csv(metrics),
        file_name=f"{stem}-metrics.csv",
        mime="text/csv",
        key="train_dl_metrics",
        on_click="ignore",
        icon=":material/table:",
    )
    c4.download_button(
        "History (.csv)",
        _csv(current.history),
        file_name=f"{stem}-history.csv",
        mime="text/csv",
        key="train_dl_history",
        on_click="ignore",
        icon=":material/show_chart:",
    )


def render_save_run(state: AppState, current: Current) -> None:
    """Name field and Save button: writes the run folder the Compare page lists."""
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    name = c1.text_input(
        "Run name (empty: a name from the settings and time)",
        key="train_run_name",
        max_chars=80,
        help="letters, digits, '.', '_' or '-'",
    )
    if c2.button("Save run", key="train_save", icon=":material/save:"):
        with user_errors("Saving the run"):
            text = str(name or "").strip()
            path = save_run(
                current.model,
                current.train_config,
                name=safe_run_name(text) if text else None,
                **run_info(current),
            )
            current.saved_as = path.name
            set_current(state, current)  # the session's row now carries the saved name
            record_saved(current)
            st.success(
                f"Saved as **{path.name}** in {runs_root()}: it is listed on Compare.",
                icon=":material/check_circle:",
            )
    if current.saved_as:
        st.caption(f"This model is saved as {current.saved_as}.")
