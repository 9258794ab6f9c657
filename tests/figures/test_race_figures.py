"""Race fronts, the λ → L0 calibration chart and the λ panel of the training curves."""

from __future__ import annotations

import pandas as pd

from sae_core.figures import make_history_figure
from sae_core.figures.race import make_calibration_figure, make_race_figure


def _history(lams: list[float]) -> pd.DataFrame:
    n = len(lams)
    return pd.DataFrame(
        {"step": range(1, n + 1), "loss": [1.0] * n, "mse": [0.1] * n, "l0": [5.0] * n}
    ).assign(dead_fraction=0.0, lam=lams)


def test_training_curves_gain_a_log_lambda_panel_only_when_lambda_moves() -> None:
    still = make_history_figure(_history([0.1, 0.1, 0.1]))
    moved = make_history_figure(_history([0.1, 0.2, 0.4]))
    assert len(still.data) == 4 and len(moved.data) == 5
    assert moved.data[-1].y.tolist() == [0.1, 0.2, 0.4]
    assert moved.layout.yaxis5.type == "log"


def test_race_figure_draws_one_front_per_method_and_an_f1_panel_when_known() -> None:
    table = pd.DataFrame(
        {
            "method": ["l1", "l1", "topk", "topk"],
            "target_l0": [8.0, 4.0, 4.0, 8.0],
            "l0": [7.5, 4.2, 4.0, 8.0],
            "fvu": [0.3, 0.5, 0.2, 0.1],
            "f1": [0.5, 0.4, 0.6, 0.7],
        }
    )
    fig = make_race_figure(table)
    assert [t.name for t in fig.data] == ["l1", "l1", "topk", "topk"]  # FVU panel, F1 panel
    assert fig.data[0].x.tolist() == [4.2, 7.5]  # joined in target order
    assert len(make_race_figure(table.drop(columns="f1")).data) == 2


def test_calibration_figure_leaves_out_runs_without_a_positive_lambda() -> None:
    runs = pd.DataFrame(
        {"method": ["l1", "l1", "l2", "l1"], "lam": [0.1, 1.0, 0.3, 0.0], "l0": [20, 5, 60, 100]}
    )
    fig = make_calibration_figure(runs)
    assert [t.name for t in fig.data] == ["l1", "l2"] and fig.data[0].x.tolist() == [0.1, 1.0]
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
