"""Compare & sweep page: sweeps, frontier, runs table actions, corrupt runs, side by side.

Page tests drive the real app with AppTest; the grid parsing and metric differences are checked
as plain functions. Models are tiny (digits, a few epochs) so each test takes seconds.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from streamlit.testing.v1 import AppTest

from sae_core.analysis.metrics import evaluate
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.errors import ConfigError
from sae_core.model import SparseAutoencoder
from sae_core.runs import list_runs, save_run
from sae_core.ui.compare.side import metric_differences
from sae_core.ui.compare.sweep import (
    MAX_SWEEP_MODELS,
    SweepBase,
    default_lams,
    make_spec,
    parse_number_list,
    progress_callback,
    sweep_base,
)
from sae_core.ui.state import (
    STATE_KEY,
    AppState,
    Current,
    make_choice,
    set_current,
)
from tests.helpers.app import compare_app, make_current, select_rows

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[2]
HISTORY = pd.DataFrame({"step": [1, 2], "loss": [1.0, 0.5]})


def table_names(at: AppTest) -> list[str]:
    return at.dataframe[0].value["name"].tolist()


def decode(values: Any) -> np.ndarray:
    """A plotly array from a chart spec (plain list, or plotly 7's base64 typed array)."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.asarray(values, dtype=float)


def chart_xs(at: AppTest, key: str) -> np.ndarray:
    spec = json.loads(at.get_by_key(key).proto.spec)
    return np.concatenate([decode(trace["x"]) for trace in spec["data"]])


def digits_current(d_sae: int = 16) -> Current:
    return make_current("digits", d_sae=d_sae, epochs=1)


def saved_run(name: str, *, d_sae: int = 16, d_in: int = 64, data: str = "digits") -> Path:
    """An untrained run on disk (metrics on digits when the width fits)."""
    model = SparseAutoencoder(SAEConfig(d_in=d_in, d_sae=d_sae))
    metrics: dict[str, Any] = {"l0": 3.0, "fvu": 0.5, "fve": 0.5}
    if d_in == 64:
        metrics = {
            k: v
            for k, v in evaluate(model, load_dataset("digits"), probe=False).to_dict().items()
            if not isinstance(v, str)
        }
    return save_run(
        model, TrainConfig(epochs=1), metrics=metrics, history=HISTORY, data_name=data, name=name
    )


# --- plain functions -----------------------------------------------------------------------


def test_number_list_parses_sorted_unique_values() -> None:
    assert parse_number_list(" 1, 0.01;0.1 ,, 1") == [0.01, 0.1, 1.0]


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("0.1,abc", "'abc' is not a number"),
        ("-1", "finite numbers ≥ 0"),
        (" , ", "no λ"),
        ("inf", "finite"),
    ],
)
def test_number_list_names_the_bad_entry(text: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        parse_number_list(text)


def test_default_lams_are_the_three_grid_values_around_lambda() -> None:
    assert default_lams(0.1) == [0.03, 0.1, 0.3]


def test_sweep_spec_fills_empty_choices_from_the_base_and_caps_the_size() -> None:
    dataset = load_dataset("digits")
    base = SweepBase(
        data=make_choice("digits"),
        dataset=dataset,
        sae_config=SAEConfig(d_in=64, d_sae=32, lam=0.2),
        train_config=TrainConfig(seed=7),
    )
    spec = make_spec(base, lams=[], d_saes=[8, 16], n_seeds=2, epochs=3)
    assert (spec.lams, spec.d_saes, spec.seeds, spec.n_models) == ((0.2,), (8, 16), (7, 8), 4)
    with pytest.raises(ConfigError, match="nothing to sweep"):
        make_spec(base, lams=[], d_saes=[], n_seeds=1, epochs=1)
    with pytest.raises(ConfigError, match=f"more than {MAX_SWEEP_MODELS}"):
        make_spec(base, lams=[0.1] * 9, d_saes=[8, 16, 32, 64], n_seeds=1, epochs=1)


def test_sweep_starts_from_the_current_model_or_digits_defaults() -> None:
    state = AppState()
    assert sweep_base(state).sae_config == SAEConfig(d_in=64)
    set_current(state, digits_current(d_sae=12))
    base = sweep_base(state)
    assert base.sae_config.d_sae == 12 and base.train_config.epochs == 1


def test_progress_reaches_one_across_stacked_groups() -> None:
    class FakeTrainer:
        def __init__(self, step: int, total: int) -> None:
            self.step_count, self.progress = step, step / total

    seen: list[float] = []
    callback = progress_callback(seen.append, n_groups=2)
    for _group in range(2):
        for step in range(1, 5):
            callback(FakeTrainer(step, 4))  # type: ignore[arg-type]
    assert seen == sorted(seen) and seen[-1] == 1.0 and seen[0] == pytest.approx(0.125)


def test_metric_differences_are_b_minus_a_and_skip_unknown_metrics() -> None:
    diffs = metric_differences(
        {"fve": 0.9, "l0": 10.0, "mmcs": None}, {"fve": 0.8, "l0": 4.0, "mmcs": float("nan")}
    )
    assert diffs["field"].tolist() == ["fve", "l0"]
    assert diffs["B − A"].tolist() == pytest.approx([-0.1, -6.0])


# --- the page ------------------------------------------------------------------------------


def test_page_without_model_or_runs_shows_guidance() -> None:
    at = compare_app()
    assert "Train" in at.info[0].value
    assert not at.get("plotly_chart") and not at.dataframe


def test_lambda_sweep_adds_three_runs_whose_l0_falls_with_lambda() -> None:
    at = compare_app()
    at.text_input(key="cmp_lam_text").set_value("1, 0.01,0.1")
    at.number_input(key="cmp_epochs").set_value(4)
    at.button(key="cmp_sweep_go").click().run()
    assert not at.exception and not at.error
    rows = at.session_state[STATE_KEY].session_runs
    assert [r["lam"] for r in rows] == [0.01, 0.1, 1.0]
    assert {r["source"] for r in rows} == {"sweep"} and {r["d_sae"] for r in rows} == {128}
    l0 = [r["l0"] for r in rows]
    assert l0[0] > l0[1] > l0[2]
    np.testing.assert_allclose(np.sort(chart_xs(at, "cmp_frontier")), np.sort(l0), rtol=1e-6)
    assert at.get_by_key("cmp_sweep_lam_chart") is not None
    assert len(at.dataframe[0].value) == 3


def test_width_sweep_trains_one_model_per_hidden_size() -> None:
    at = compare_app()
    at.multiselect(key="cmp_lams").set_value([])
    at.multiselect(key="cmp_widths").set_value([16, 32])
    at.number_input(key="cmp_epochs").set_value(1)
    at.button(key="cmp_sweep_go").click().run()
    assert not at.exception and not at.error
    rows = at.session_state[STATE_KEY].session_runs
    assert sorted(r["d_sae"] for r in rows) == [16, 32]
    assert {r["lam"] for r in rows} == {0.1}  # the base λ of the digits defaults
    assert at.get_by_key("cmp_sweep_width_chart") is not None


def test_bad_sweep_text_shows_an_error_and_disables_the_run_button() -> None:
    at = compare_app()
    at.text_input(key="cmp_lam_text").set_value("0.1,abc").run()
    assert "'abc' is not a number" in at.error[0].value
    assert at.button(key="cmp_sweep_go").disabled


def test_saving_refuses_a_bad_name_then_saves_the_run_into_the_table() -> None:
    state = AppState()
    set_current(state, digits_current())
    at = select_rows(compare_app(state), 0)
    at.text_input(key="cmp_save_name").set_value("bad name/..")
    at.button(key="cmp_save").click().run()
    assert "not allowed" in at.error[0].value and list_runs().empty
    at.text_input(key="cmp_save_name").set_value("my-run")
    at.button(key="cmp_save").click().run()
    assert not at.exception
    assert list_runs()["name"].tolist() == ["my-run"]
    assert table_names(at) == ["my-run"]  # listed once: as the saved run
    assert at.dataframe[0].value["source"].tolist() == ["saved"]
    assert state.current is not None and state.current.saved_as == "my-run"
    frontier = json.loads(at.get_by_key("cmp_frontier").proto.spec)
    assert [t["name"] for t in frontier["data"]][-1] == "current run"


def test_delete_needs_confirmation_and_then_removes_the_run() -> None:
    saved_run("keep-me")
    saved_run("drop-me")
    at = compare_app()
    at = select_rows(at, table_names(at).index("drop-me"))
    assert not at.get_by_key("cmp_model_download").disabled
    at.button(key="cmp_delete").click().run()
    assert "drop-me" in list_runs()["name"].tolist()
    assert "cannot be undone" in at.warning[0].value
    at.button(key="cmp_delete_confirm").click().run()
    assert not at.exception
    assert list_runs()["name"].tolist() == ["keep-me"] and table_names(at) == ["keep-me"]


def test_corrupt_saved_run_shows_a_warning_naming_it_and_the_page_still_works() -> None:
    saved_run("good")
    broken = saved_run("broken")
    (broken / "weights.safetensors").write_bytes(b"garbage, not safetensors")
    at = compare_app()
    assert any("broken" in w.value for w in at.warning)
    assert table_names(at) == ["good"]
    assert at.get_by_key("cmp_frontier") is not None


def test_side_by_side_shows_two_metric_columns_and_two_atom_grids() -> None:
    saved_run("small", d_sae=8)
    saved_run("large", d_sae=24)
    at = compare_app()
    labels = [m.label for m in at.metric]
    assert labels.count("FVE") == 2 and labels.count("L0") == 2
    deltas = [m for m in at.metric if m.label == "L0" and m.proto.delta]
    assert len(deltas) == 1  # only B shows the difference to A
    assert at.get_by_key("cmp_atoms_a") is not None and at.get_by_key("cmp_atoms_b") is not None


def test_saved_run_loads_as_current_and_a_mismatched_one_is_refused() -> None:
    saved_run("digits-run")
    saved_run("wide-run", d_in=10)
    at = compare_app()
    names = table_names(at)
    at = select_rows(at, names.index("wide-run"))
    at.button(key="cmp_load").click().run()
    assert "d_in=10" in at.error[0].value
    assert at.session_state[STATE_KEY].current is None
    at = select_rows(at, names.index("digits-run"))
    at.button(key="cmp_load").click().run()
    current = at.session_state[STATE_KEY].current
    assert not at.exception and current is not None and current.saved_as == "digits-run"
    # the Train controls now hold the loaded run's settings (d_sae 16, 1 epoch)
    assert at.session_state["_keep_train_d_sae"] == 16
    assert at.session_state["_keep_train_epochs"] == 1


def test_deleting_a_saved_session_run_lists_it_under_its_session_name_again() -> None:
    state = AppState()
    set_current(state, digits_current())
    at = select_rows(compare_app(state), 0)
    at.text_input(key="cmp_save_name").set_value("short-lived")
    at.button(key="cmp_save").click().run()
    assert table_names(at) == ["short-lived"]
    at = select_rows(at, 0)
    at.button(key="cmp_delete").click().run()
    at.button(key="cmp_delete_confirm").click().run()
    assert list_runs().empty
    assert table_names(at) == [f"session-{state.current.id[:6]}"]
    assert at.dataframe[0].value["source"].tolist() == ["session"]
