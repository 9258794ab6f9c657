"""Two runs side by side on the Compare page: their metrics (with differences) and atoms."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from sae_core.analysis.metrics import firing_frequency
from sae_core.errors import SAEExplorerError
from sae_core.figures import make_atom_grid_figure
from sae_core.runs import check_run_compatible, load_run
from sae_core.ui.charts import chart
from sae_core.ui.compare.runs import session_model
from sae_core.ui.guard import user_errors
from sae_core.ui.run_io import choice_for_run
from sae_core.ui.state import AppState, get_state, load_choice
from sae_core.ui.views import fmt

SIDE_KEYS = ("cmp_side_a", "cmp_side_b")
FIGURE_CACHE_KEY = "cmp_atom_figures"
ATOM_CACHE_KEY = "cmp_atom_cache"
MAX_CACHED_ATOMS = 4
N_ATOMS = 32
DeltaColor = Literal["normal", "inverse", "off"]
# (field, label, how a rise in B over A is coloured: "normal" = better, "inverse" = worse)
SIDE_METRICS: tuple[tuple[str, str, DeltaColor], ...] = (
    ("fve", "FVE", "normal"),
    ("fvu", "FVU", "inverse"),
    ("l0", "L0", "off"),
    ("mse", "MSE", "inverse"),
    ("dead_fraction", "dead fraction", "inverse"),
    ("dense_fraction", "dense fraction", "inverse"),
    ("gamma", "shrinkage γ", "off"),
    ("probe_accuracy", "probe accuracy", "normal"),
    ("mmcs", "MMCS", "normal"),
    ("mcc", "MCC", "normal"),
)


@dataclass(frozen=True, kw_only=True)
class AtomView:
    """What an atom grid needs: W_dec [d_sae, d_in], firing frequencies [d_sae] if known."""

    W_dec: np.ndarray
    freq: np.ndarray | None
    image_shape: tuple[int, int] | None
    note: str = ""


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def metric_differences(a: Mapping[str, Any], b: Mapping[str, Any]) -> pd.DataFrame:
    """Rows metric, A, B, ``B − A`` for each SIDE_METRICS field known for either run."""
    rows = []
    for field, label, _ in SIDE_METRICS:
        va, vb = _number(a.get(field)), _number(b.get(field))
        if va is None and vb is None:
            continue
        diff = None if va is None or vb is None else vb - va
        rows.append({"metric": label, "field": field, "A": va, "B": vb, "B − A": diff})
    return pd.DataFrame(rows, columns=["metric", "field", "A", "B", "B − A"])


def pick_two(table: pd.DataFrame, selected: list[str]) -> tuple[str, str] | None:
    """Two select boxes over the table's rows (the two selected rows when the button asks).

    A side whose run moved to another row (saved, or its saved copy deleted) follows it.
    """
    keys = table["key"].astype(str).tolist()
    if len(keys) < 2:
        st.info("Side by side needs two runs: train another model or run a sweep.")
        return None
    names = dict(
        zip(keys, table["name"].astype(str) + " (" + table["source"].astype(str) + ")", strict=True)
    )
    _repair_sides(get_state(), keys)
    if len(selected) == 2:
        st.button(
            "Compare the two selected runs",
            key="cmp_side_from_selection",
            on_click=_set_sides,
            args=(selected,),
        )
    col_a, col_b = st.columns(2)
    a = col_a.selectbox("Run A", keys, key=SIDE_KEYS[0], format_func=names.__getitem__)
    b = col_b.selectbox("Run B", keys, key=SIDE_KEYS[1], format_func=names.__getitem__)
    return str(a), str(b)


def _repair_sides(state: AppState, keys: list[str]) -> None:
    """Point each side whose row left the table at that run's new row, else at another run.

    All moves are resolved before any fallback, so a fallback never takes the row the other
    side is about to move to (both sides would then show one run).
    """
    sides = [_listed_as(state, st.session_state.get(side_key), keys) for side_key in SIDE_KEYS]
    for i, side in enumerate(sides):
        if side not in keys:
            other = sides[1 - i]
            sides[i] = next(key for key in keys if key != other)  # pick_two ensures two keys
    for side_key, side in zip(SIDE_KEYS, sides, strict=True):
        if st.session_state.get(side_key) != side:
            st.session_state[side_key] = side


def _listed_as(state: AppState, key: Any, keys: list[str]) -> Any:
    """The row key that lists ``key``'s run now (``key`` itself when listed or unknown).

    Saving a session run lists it as ``saved:<name>`` instead of ``session:<id>``; deleting that
    saved run lists the session run again (while its model is in memory).
    """
    if key in keys or not isinstance(key, str):
        return key
    if key.startswith("session:"):
        model = session_model(state, key.removeprefix("session:"))
        return f"saved:{model.saved_as}" if model is not None and model.saved_as else key
    if key.startswith("saved:"):
        name = key.removeprefix("saved:")
        for row in state.session_runs:
            model = session_model(state, str(row["id"]))
            if model is not None and model.saved_as == name:
                return f"session:{row['id']}"
    return key


def _set_sides(selected: list[str]) -> None:
    st.session_state[SIDE_KEYS[0]], st.session_state[SIDE_KEYS[1]] = selected[0], selected[1]


def show_metrics(table: pd.DataFrame, a: str, b: str) -> None:
    """Two columns of metrics; B's show the difference to A (green when B is better)."""
    rows = table.set_index("key")
    diffs = metric_differences(rows.loc[a].to_dict(), rows.loc[b].to_dict())
    colours = {field: colour for field, _, colour in SIDE_METRICS}
    for col, key, side in zip(st.columns(2), (a, b), ("A", "B"), strict=True):
        row = rows.loc[key]
        col.markdown(
            f"**{side}: {row['name']}** · `{row['method']}` · λ = "
            f"{fmt(_number(row['lam']), '{:.3g}')} · d_sae = {row['d_sae']} · {row['source']}"
        )
        cells = col.columns(3)  # a 3-wide grid keeps ten metrics within one screen
        for i, item in enumerate(diffs.to_dict("records")):
            delta = _number(item["B − A"]) if side == "B" else None
            cells[i % 3].metric(
                item["metric"],
                fmt(_number(item[side]), "{:.3g}"),
                delta=None if delta is None else f"{delta:+.3g}",
                delta_color=colours[item["field"]] if delta else "off",
            )


def atom_view(state: AppState, key: str, created: str = "") -> AtomView | None:
    """Decoder atoms of row ``key`` with frequencies on its data when that data loads."""
    if key.startswith("session:"):
        model = session_model(state, key.removeprefix("session:"))
        if model is None:
            return None
        return AtomView(
            W_dec=model.W_dec,
            freq=firing_frequency(model.latents),
            image_shape=model.dataset.image_shape,
        )
    cache: dict[tuple[str, str], AtomView] = st.session_state.setdefault(ATOM_CACHE_KEY, {})
    if (key, created) not in cache:
        cache[(key, created)] = _saved_atom_view(key.removeprefix("saved:"))
        while len(cache) > MAX_CACHED_ATOMS:
            cache.pop(next(iter(cache)))
    return cache[(key, created)]


def _saved_atom_view(name: str) -> AtomView:
    loaded = load_run(name)
    W_dec = loaded.model.W_dec.detach().cpu().numpy()
    try:
        dataset = load_choice(choice_for_run(loaded))
        check_run_compatible(loaded, dataset.d_in)
    except SAEExplorerError as exc:
        return AtomView(
            W_dec=W_dec,
            freq=None,
            image_shape=None,
            note=f"its data is not available ({exc}); atoms ordered by norm",
        )
    freq = firing_frequency(loaded.model.encode_numpy(dataset.x_test))
    return AtomView(W_dec=W_dec, freq=freq, image_shape=dataset.image_shape)


def show_atoms(state: AppState, table: pd.DataFrame, a: str, b: str) -> None:
    """The first N_ATOMS decoder atoms of each run, most frequent first."""
    rows = table.set_index("key")
    for i, (col, key) in enumerate(zip(st.columns(2), (a, b), strict=True)):
        with col, user_errors("Drawing the atoms"):
            view = atom_view(state, key, str(rows.loc[key, "created"]))
            if view is None:
                st.caption("This run's model is no longer in memory: save runs to keep them.")
                continue
            if view.note:
                st.caption(view.note)
            fig = _atoms_figure(view, key, str(rows.loc[key, "created"]), rows.loc[key, "name"])
            chart(fig, f"cmp_atoms_{'ab'[i]}", width="stretch")


def _atoms_figure(view: AtomView, key: str, created: str, name: str) -> go.Figure:
    """The atom grid of one run, built once per session (32 subplots take ~0.15 s to build)."""
    cache: dict[tuple[str, ...], go.Figure] = st.session_state.setdefault(FIGURE_CACHE_KEY, {})
    cache_key = (key, created, name)
    if cache_key not in cache:
        cache[cache_key] = make_atom_grid_figure(
            view.W_dec,
            view.image_shape,
            order="norm" if view.freq is None else "frequency",
            freq=view.freq,
            per_page=N_ATOMS,
            ncols=8,
            title=f"Decoder atoms: {name}",
        )
        while len(cache) > MAX_CACHED_ATOMS:
            cache.pop(next(iter(cache)))
    return cache[cache_key]
