"""The Compare page's method race ("Race the methods") and λ → L0 calibration chart.

The race trains every chosen method at the same target L0s on the sweep's data
(:func:`sae_core.training.race.run_race`); each model becomes a session run, so the frontier,
the runs table and the calibration chart pick it up. The calibration chart plots every run of
the session and every saved run that has a λ: the λ it ended at against the L0 it got.
"""

from __future__ import annotations

import uuid

import pandas as pd
import streamlit as st

from sae_core import methods
from sae_core.config import SAEConfig, TrainConfig
from sae_core.figures.race import make_calibration_figure, make_race_figure
from sae_core.training.race import DEFAULT_RACE_METHODS, RaceResult, run_race
from sae_core.ui import keep
from sae_core.ui.charts import chart
from sae_core.ui.compare.sweep import SweepBase, parse_number_list, progress_callback
from sae_core.ui.guard import user_errors
from sae_core.ui.state import MAX_SESSION_RUNS, AppState, Current

RACE_TABLE_KEY = "cmp_race_table"  # session_state: the last race's table
DEFAULT_TARGETS = "4, 8, 16, 32"
RACE_EPOCHS = 10  # default epochs per model: 4 methods × 4 targets on digits in a few seconds


def _choose() -> tuple[list[str], str, int]:
    options = list(methods.with_target_l0())
    chosen = keep.kept(
        st.multiselect,
        "Methods",
        key="cmp_race_methods",
        default=[m for m in DEFAULT_RACE_METHODS if m in options],
        options=options,
        help="Each meets the target its own way: "
        + "; ".join(
            f"{m}: {methods.TARGET_L0_VIA[methods.get(m).target_l0_via or 'lam']}" for m in options
        ),
    )
    col_targets, col_epochs = st.columns(2)
    targets = keep.kept(
        col_targets.text_input,
        "Target L0s",
        key="cmp_race_targets",
        default=DEFAULT_TARGETS,
        help="Comma-separated mean numbers of active latents, each ≤ d_sae",
    )
    epochs = keep.kept(
        col_epochs.number_input,
        "Epochs per model",
        key="cmp_race_epochs",
        default=RACE_EPOCHS,
        min_value=1,
        max_value=200,
    )
    return [str(m) for m in chosen], str(targets), int(epochs)


def render_race(state: AppState, base: SweepBase) -> None:
    """Method and target choices; on "Race the methods", train them all and keep the table."""
    st.caption(
        f"Every chosen method on {base.data.label} (d_sae = {base.sae_config.d_sae}) at the "
        "same target L0s: who reconstructs best at the same sparsity?"
    )
    chosen, text, epochs = _choose()
    if st.button(
        "Race the methods",
        key="cmp_race_go",
        type="primary",
        icon=":material/sports_score:",
        disabled=not chosen,
    ):
        with user_errors("Method race"):
            targets = parse_number_list(text, name="target L0")
            tc = base.train_config.replace(epochs=epochs, steps=None, lam_warmup_steps=0)
            bar = st.progress(0.0, text="Racing…")
            n_groups = len(chosen) * len(targets)  # an upper bound: λ methods stack
            result = run_race(
                # the shape only: the current model's method options may not suit the others
                SAEConfig(d_in=base.sae_config.d_in, d_sae=base.sae_config.d_sae),
                base.dataset,
                tc,
                method_names=chosen,
                targets=targets,
                callback=progress_callback(lambda f: bar.progress(f, text="Racing…"), n_groups),
            )
            bar.progress(1.0, text=f"Raced {len(result.table)} models.")
            _keep(state, base, result, tc)
    table: pd.DataFrame | None = st.session_state.get(RACE_TABLE_KEY)
    if table is not None and not table.empty:
        chart(make_race_figure(table), "cmp_race_chart", width="stretch")
        # columns that do not apply here (f1 without ground truth, k for λ methods) stay blank
        shown = table.dropna(axis=1, how="all").astype(object).where(table.notna(), "")
        st.dataframe(shown, hide_index=True, key="cmp_race_table_view")


def _keep(state: AppState, base: SweepBase, result: RaceResult, tc: TrainConfig) -> None:
    """The race table for its chart, and one session run per raced model."""
    st.session_state[RACE_TABLE_KEY] = result.table
    tag = uuid.uuid4().hex[:4]
    for i, model in enumerate(result.models):
        row = result.table.iloc[i]
        history = result.history[result.history["model"] == i].drop(columns="model")
        current = Current(
            data=base.data,
            dataset=base.dataset,
            sae_config=result.configs[i],
            train_config=tc,
            model=model,
            history=history.reset_index(drop=True),
            metrics=result.metrics[i],
            train_seconds=float(row["seconds"]),
            steps=int(history["step"].max()) if len(history) else 0,
        )
        name = f"race-{tag}-{row['method']}-l0target{row['target_l0']:g}"
        state.session_runs.append({**current.summary(), "name": name, "source": "race"})
    del state.session_runs[:-MAX_SESSION_RUNS]


def calibration_rows(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs whose method has a λ (known methods only): columns method, lam, l0."""
    known = set(methods.names())
    keep_rows = [m in known and methods.get(m).uses_lam for m in runs.get("method", [])]
    frame = runs.loc[keep_rows] if len(runs) else runs
    return frame.reindex(columns=["method", "lam", "l0"]).dropna()


def show_calibration(runs: pd.DataFrame) -> None:
    """The λ → L0 chart from every run listed (session, sweeps, races, saved)."""
    rows = calibration_rows(runs)
    with user_errors("Drawing the calibration chart"):
        chart(make_calibration_figure(rows), "cmp_calibration_chart", width="stretch")
    st.caption(
        f"{len(rows)} runs with a λ. A run trained to a target L0 shows the λ its controller "
        "ended at: read off the λ a sparsity takes, method by method."
    )
