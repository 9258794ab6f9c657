"""The Compare page's runs table: session and saved runs in one frame, and what to do with rows.

Rows are identified by a ``key``: ``session:<id>`` for models trained in this session (Train page
or sweeps) and ``saved:<name>`` for run folders. A session run that was saved is listed once, as
the saved run. Actions that change the table (save, delete, load) rerun the page with a message
and a cleared selection, so a row number never points at a different run afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from sae_core.runs import delete_run, list_broken_runs, list_runs, load_run
from sae_core.ui.adopt import adopt_setup
from sae_core.ui.compare.sweep import sweep_models
from sae_core.ui.guard import user_errors
from sae_core.ui.run_io import current_bytes, load_current, loaded_bytes, save_current
from sae_core.ui.state import AppState, Current, set_current

TABLE_KEY = "cmp_table"
FLASH_KEY = "cmp_flash"  # message shown after an action's rerun
PENDING_DELETE_KEY = "cmp_pending_delete"  # run names waiting for the confirm button
RESET_SELECTION_KEY = "cmp_reset_selection"
NUMERIC_COLUMNS: tuple[str, ...] = (
    "lam",
    "d_sae",
    "k",
    "seed",
    "l0",
    "fvu",
    "fve",
    "mse",
    "dead_fraction",
    "dense_fraction",
    "gamma",
    "probe_accuracy",
    "mmcs",
    "mcc",
    "epochs",
    "steps",
    "train_seconds",
)
SHOWN_COLUMNS: tuple[str, ...] = ("name", "source", "data", "method", *NUMERIC_COLUMNS, "created")


@dataclass(frozen=True, kw_only=True)
class SavedRuns:
    """The runs root as listed: loadable runs and folders that are not (with the reason)."""

    runs: pd.DataFrame
    broken: pd.DataFrame


def read_saved_runs() -> SavedRuns:
    """List the runs root; an unreadable root lists as empty (the error shows once)."""
    runs, broken = pd.DataFrame(), pd.DataFrame(columns=["name", "path", "error"])
    with user_errors("Listing saved runs"):
        runs, broken = list_runs(), list_broken_runs()
    return SavedRuns(runs=runs, broken=broken)


def show_broken(broken: pd.DataFrame) -> None:
    """One warning per run folder that cannot be read, naming it and saying why."""
    for row in broken.itertuples(index=False):
        st.warning(
            f"Saved run **{row.name}** cannot be read and is not listed: {row.error}",
            icon=":material/warning:",
        )


def session_model(state: AppState, run_id: str) -> Current | None:
    """The in-memory model of session run ``run_id`` (kept models and the last sweep)."""
    return state.models.get(run_id) or sweep_models().get(run_id)


def _saved_as(state: AppState, row: dict[str, object]) -> str | None:
    model = session_model(state, str(row["id"]))
    return model.saved_as if model is not None else None


def current_keys(state: AppState) -> set[str]:
    """Keys of the rows that show the current model (its session row and/or its saved run)."""
    current = state.current
    if current is None:
        return set()
    keys = {f"session:{current.id}"}
    if current.saved_as:
        keys.add(f"saved:{current.saved_as}")
    return keys


def runs_table(state: AppState, saved: pd.DataFrame) -> pd.DataFrame:
    """Session runs (not yet saved) then saved runs: SHOWN_COLUMNS plus ``key`` and ``current``."""
    saved_names = set(saved["name"]) if "name" in saved else set()
    session = [r for r in state.session_runs if _saved_as(state, r) not in saved_names]
    parts = []
    if session:
        frame = pd.DataFrame(session)
        parts.append(frame.assign(key="session:" + frame["id"].astype(str)))
    if len(saved):
        parts.append(saved.assign(source="saved", key="saved:" + saved["name"].astype(str)))
    columns = [*SHOWN_COLUMNS, "key"]
    if not parts:
        return pd.DataFrame(columns=[*columns, "current"])
    table = pd.concat(parts, ignore_index=True).reindex(columns=columns)
    # Numbers as numbers (blanks as NaN), so the table sorts numerically, not as text.
    numbers = {c: pd.to_numeric(table[c], errors="coerce") for c in NUMERIC_COLUMNS}
    return table.assign(**numbers, current=table["key"].isin(current_keys(state)))


def selected_keys(table: pd.DataFrame) -> list[str]:
    """Keys of the rows selected in the runs table widget (positions into ``table``)."""
    event = st.session_state.get(TABLE_KEY)
    rows = event["selection"]["rows"] if event else []
    return [str(table["key"].iloc[i]) for i in rows if 0 <= i < len(table)]


def render_table(table: pd.DataFrame) -> list[str]:
    """The sortable runs table with multi-row selection; returns the selected keys."""
    if st.session_state.pop(RESET_SELECTION_KEY, False):
        st.session_state[TABLE_KEY] = {"selection": {"rows": [], "columns": [], "cells": []}}
    st.dataframe(
        table,
        key=TABLE_KEY,
        on_select="rerun",
        selection_mode="multi-row",
        hide_index=True,
        column_order=list(SHOWN_COLUMNS),
        width="stretch",
        column_config={
            "name": st.column_config.TextColumn("name", width="medium"),
            "lam": st.column_config.NumberColumn("λ", format="%.3g"),
            "created": st.column_config.DatetimeColumn("saved"),
        },
    )
    return selected_keys(table)


def finish_action(message: str) -> None:
    """Show ``message`` after a rerun that redraws the table with nothing selected."""
    st.session_state[FLASH_KEY] = message
    st.session_state[RESET_SELECTION_KEY] = True
    st.rerun()


def show_flash() -> None:
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def save_selected(state: AppState, keys: list[str], name: str) -> None:
    """Save the selected session runs (``name`` for a single one, default names otherwise)."""
    session_ids = [k.removeprefix("session:") for k in keys if k.startswith("session:")]
    if not session_ids:
        st.warning("Select session runs to save (saved runs are already on disk).")
        return
    saved: list[str] = []
    with user_errors("Saving"):
        for run_id in session_ids:
            model = session_model(state, run_id)
            if model is None:
                st.warning(
                    "That run's model is no longer in memory (only the last sweep and "
                    "recent models are kept): train it again to save it."
                )
                continue
            saved.append(save_current(state, model, name if len(session_ids) == 1 else None))
        if saved:  # reached only when every save worked: an error stays on screen
            finish_action(f"Saved {', '.join(saved)}.")


def saved_names(keys: list[str]) -> list[str]:
    return [k.removeprefix("saved:") for k in keys if k.startswith("saved:")]


def request_delete(keys: list[str]) -> None:
    """Stage the selected saved runs for deletion: nothing is deleted before the confirmation."""
    st.session_state[PENDING_DELETE_KEY] = saved_names(keys)


def confirm_delete(state: AppState) -> None:
    """The confirmation of a staged delete: a warning naming the runs, Yes and Cancel."""
    pending: list[str] = st.session_state.get(PENDING_DELETE_KEY, [])
    if not pending:
        return
    st.warning(
        f"Delete {', '.join(pending)} from disk? This cannot be undone.", icon=":material/warning:"
    )
    yes, no, _ = st.columns([1, 1, 4])
    if no.button("Cancel", key="cmp_delete_cancel"):
        st.session_state.pop(PENDING_DELETE_KEY, None)
        st.rerun()
    if yes.button("Yes, delete", key="cmp_delete_confirm", type="primary"):
        st.session_state.pop(PENDING_DELETE_KEY, None)
        with user_errors("Deleting"):
            for name in pending:
                delete_run(name)
                forget_saved(state, name)
            finish_action(f"Deleted {', '.join(pending)}.")


def forget_saved(state: AppState, name: str) -> None:
    """In-memory models saved as ``name`` are unsaved again (their session rows come back)."""
    for model in [*state.models.values(), *sweep_models().values()]:
        if model.saved_as == name:
            model.saved_as = None
            for row in state.session_runs:  # the runs table lists it under its session name again
                if row["id"] == model.id:
                    row["name"] = model.summary()["name"]


def load_selected(state: AppState, key: str) -> None:
    """Make the selected run the current model; on any problem the current model stays."""
    with user_errors("Loading the run"):
        if key.startswith("saved:"):
            current = load_current(key.removeprefix("saved:"))
        else:
            model = session_model(state, key.removeprefix("session:"))
            if model is None:
                st.warning("That run's model is no longer in memory: train it again.")
                return
            current = model
        set_current(state, current)
        notes = adopt_setup(current.data, current.sae_config, current.train_config)
        finish_action(
            f"Loaded {key.split(':', 1)[1]} as the current model; the Train page holds its "
            "settings." + (f" Not set there: {'; '.join(notes)}." if notes else "")
        )


def row_name(table: pd.DataFrame, key: str) -> str:
    """The name shown for row ``key`` (used as a download's file name)."""
    return str(table.loc[table["key"] == key, "name"].iloc[0])


def download_bytes(state: AppState, key: str) -> bytes | None:
    """The zip of one run's files (None when a session run's model is gone)."""
    if key.startswith("saved:"):
        return loaded_bytes(load_run(key.removeprefix("saved:")))
    model = session_model(state, key.removeprefix("session:"))
    return None if model is None else current_bytes(model)
