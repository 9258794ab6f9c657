"""Guided scenarios on the Start page: their models join the session's runs, tables read clean."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from sae_core.ui.scenario_view import MISSING, table_text
from tests.helpers.app import COMPARE_PAGE, app_state, click, decode_array, open_app

TRADEOFF_LAMS = [0.01, 0.03, 0.1, 0.3, 1.0]


def test_the_trade_off_scenarios_models_are_on_compares_frontier() -> None:
    at = open_app()
    click(at, "home_run_tradeoff")
    result = at.session_state["home_results"]["tradeoff"]
    runs = app_state(at).session_runs
    assert sorted(r["lam"] for r in runs) == TRADEOFF_LAMS
    assert runs[-1]["id"] == app_state(at).current.id  # the shown model, last
    click(at, "home_run_tradeoff")  # again: its rows are replaced, not added
    assert len(app_state(at).session_runs) == len(TRADEOFF_LAMS)
    at.switch_page(COMPARE_PAGE).run()
    assert not at.exception
    spec = json.loads(at.get_by_key("cmp_frontier").proto.spec)
    xs = np.concatenate([decode_array(trace["x"]) for trace in spec["data"]])
    expected = [r["l0"] for r in app_state(at).session_runs]
    np.testing.assert_allclose(np.sort(np.unique(xs)), np.sort(np.unique(expected)), rtol=1e-6)
    assert len(result.table) == len(TRADEOFF_LAMS)


def test_scenario_tables_show_a_dash_where_a_metric_has_no_value() -> None:
    at = open_app()
    click(at, "home_run_shrinkage")  # digits: no ground truth, so no MMCS or MCC
    shown = at.dataframe[0].value
    assert (shown["mmcs"] == MISSING).all() and (shown["mcc"] == MISSING).all()
    assert "None" not in shown.astype(str).to_numpy()
    assert len(app_state(at).session_runs) == 2  # the L1 and the TopK model


def test_table_text_rounds_numbers_and_blanks_missing_values() -> None:
    table = pd.DataFrame({"fve": [0.123456, 0.5], "mmcs": [None, 0.87654], "model": ["a", "b"]})
    shown = table_text(table)
    assert shown["fve"].tolist() == [0.1235, 0.5]
    assert shown["mmcs"].tolist() == [MISSING, "0.8765"]
    assert shown["model"].tolist() == ["a", "b"]
