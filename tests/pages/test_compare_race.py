"""Compare page: "Race the methods" and the λ → L0 calibration chart (AppTest)."""

from __future__ import annotations

import pandas as pd
import torch

from sae_core.ui.compare.race import RACE_TABLE_KEY, calibration_rows
from sae_core.ui.state import AppState, set_current
from tests.helpers.app import app_state, chart_spec, click, compare_app, make_current

torch.set_num_threads(1)


def test_race_button_trains_every_method_at_every_target_and_draws_the_fronts() -> None:
    at = compare_app()
    at.multiselect(key="cmp_race_methods").set_value(["l1", "topk"])
    at.text_input(key="cmp_race_targets").set_value("4, 8")
    at.number_input(key="cmp_race_epochs").set_value(2)
    click(at, "cmp_race_go")
    assert not at.error, [e.value for e in at.error]
    table = at.session_state[RACE_TABLE_KEY]
    assert sorted(zip(table["method"], table["target_l0"], strict=True)) == [
        ("l1", 4.0),
        ("l1", 8.0),
        ("topk", 4.0),
        ("topk", 8.0),
    ]
    spec = chart_spec(at, "cmp_race_chart")
    assert {t["name"] for t in spec["data"]} == {"l1", "topk"}
    rows = [r for r in app_state(at).session_runs if r["source"] == "race"]
    assert len(rows) == 4 and all(r["name"].startswith("race-") for r in rows)


def test_calibration_chart_plots_every_session_run_with_a_lambda_per_method() -> None:
    state = AppState()
    for lam in (0.03, 0.3):
        set_current(state, make_current(lam=lam, d_sae=16, epochs=2))
    set_current(state, make_current(method="topk", d_sae=16, epochs=2))  # no λ: left out
    at = compare_app(state)
    spec = chart_spec(at, "cmp_calibration_chart")
    assert [t["name"] for t in spec["data"]] == ["l1"]
    assert spec["layout"]["xaxis"]["type"] == "log" and spec["layout"]["yaxis"]["type"] == "log"
    assert len(calibration_rows(pd.DataFrame(app_state(at).session_runs))) == 2
