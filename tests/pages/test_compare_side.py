"""Side by side on the Compare page (QA #4): a side follows its run when the run's row changes.

Saving a session run replaces its ``session:<id>`` row by a ``saved:<name>`` row; the side that
showed it must then show the saved row, never silently switch to the other side's run.
"""

from __future__ import annotations

import torch
from streamlit.testing.v1 import AppTest

from sae_core.runs import list_runs
from sae_core.ui.state import STATE_KEY, AppState, Current, set_current
from tests.helpers.app import compare_app, make_current, select_rows

torch.set_num_threads(1)


def two_run_app() -> tuple[AppTest, list[Current]]:
    """The Compare page with two session runs (A = the first, B = the second)."""
    state = AppState()
    models = [make_current(d_sae=16, epochs=1), make_current(d_sae=24, epochs=1)]
    for model in models:
        set_current(state, model)
    return compare_app(state), models


def sides(at: AppTest) -> tuple[str, str]:
    return at.selectbox(key="cmp_side_a").value, at.selectbox(key="cmp_side_b").value


def table_keys(at: AppTest) -> list[str]:
    state: AppState = at.session_state[STATE_KEY]
    return [f"session:{row['id']}" for row in state.session_runs]


def test_saving_the_run_shown_as_a_moves_a_to_its_saved_row_and_keeps_b() -> None:
    at, models = two_run_app()
    assert sides(at) == (f"session:{models[0].id}", f"session:{models[1].id}")
    select_rows(at, 0)
    at.text_input(key="cmp_save_name").set_value("run-a")
    at.button(key="cmp_save").click().run()
    assert not at.exception and list_runs()["name"].tolist() == ["run-a"]
    assert sides(at) == ("saved:run-a", f"session:{models[1].id}")
    fve = [m.value for m in at.metric if m.label == "FVE"]
    assert len(fve) == 2 and fve[0] != fve[1]  # two different models, not one twice


def test_saving_the_run_shown_as_b_moves_b_to_its_saved_row_and_keeps_a() -> None:
    at, models = two_run_app()
    select_rows(at, 1)
    at.text_input(key="cmp_save_name").set_value("run-b")
    at.button(key="cmp_save").click().run()
    assert not at.exception
    assert sides(at) == (f"session:{models[0].id}", "saved:run-b")


def test_deleting_the_saved_run_shown_as_a_moves_a_back_to_its_session_row() -> None:
    at, models = two_run_app()
    select_rows(at, 0)
    at.text_input(key="cmp_save_name").set_value("run-a")
    at.button(key="cmp_save").click().run()
    names = at.dataframe[0].value["name"].tolist()
    select_rows(at, names.index("run-a"))
    at.button(key="cmp_delete").click().run()
    at.button(key="cmp_delete_confirm").click().run()
    assert not at.exception and list_runs().empty
    assert sides(at) == (f"session:{models[0].id}", f"session:{models[1].id}")


def test_a_side_whose_run_left_the_table_falls_back_to_a_run_other_than_the_other_side() -> None:
    at, models = two_run_app()
    state: AppState = at.session_state[STATE_KEY]
    set_current(state, make_current(d_sae=8, epochs=1))  # a third run: A's fallback has a choice
    state.session_runs = [r for r in state.session_runs if r["id"] != models[0].id]
    at.run()
    assert not at.exception
    a, b = sides(at)
    assert b == f"session:{models[1].id}" and a != b and a in table_keys(at)
