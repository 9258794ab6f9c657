"""Zero-variance data (QA #5): FVE and FVU are undefined, shown as "—" with a hint, never "nan".

SAE_NOTES defines FVE = 1 − Σ‖x_i − x̂_i‖² / Σ‖x_i − x̄‖²: constant samples make the denominator 0.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from sae_core.analysis.metrics import METRIC_LATEX, EvalMetrics
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.training.fit import train
from sae_core.ui.metrics_panel import metric_rows
from sae_core.ui.state import Current, current_from_result, make_choice
from tests.helpers.app import TRAIN_PAGE, app_with_model, open_app, set_widgets

torch.set_num_threads(1)
HINT = "zero variance"


@pytest.fixture(scope="module")
def constant_model(tmp_path_factory: pytest.TempPathFactory) -> Current:
    path: Path = tmp_path_factory.mktemp("data") / "constant.csv"
    path.write_text("1,1,1,1\n" * 200)
    dataset = load_dataset(str(path))
    result = train(
        SAEConfig(d_in=dataset.d_in, d_sae=8), dataset, TrainConfig(epochs=1), probe=False
    )
    current = current_from_result(make_choice(str(path)), dataset, result)
    assert current.metrics.fve != current.metrics.fve  # NaN: the case under test
    return current


def texts(at: AppTest) -> str:
    parts = [*at.markdown, *at.caption, *at.success, *at.info, *at.warning]
    return "\n".join(str(p.value) for p in parts)


def test_metric_rows_show_a_dash_for_undefined_fve_and_fvu(constant_model: Current) -> None:
    values = {row.key: row.value for row in metric_rows(constant_model.metrics)}
    assert values["fve"] == "—" and values["fvu"] == "—"
    assert "nan" not in " ".join(values.values()).lower()


def test_train_page_shows_dashes_and_the_zero_variance_hint(constant_model: Current) -> None:
    at = app_with_model(constant_model, "app_pages/train.py")
    values = {m.label: m.value for m in at.metric}
    assert values["FVE (variance explained)"] == "—" and values["FVU (unexplained)"] == "—"
    assert HINT in texts(at)


def test_start_page_and_sidebar_show_a_dash_and_the_hint(constant_model: Current) -> None:
    at = app_with_model(constant_model)
    shown = [str(s.value) for s in at.success]
    assert any("FVE —" in s for s in shown) and not any("nan" in s for s in shown)
    assert HINT in texts(at)
    sidebar = [str(m.value) for m in at.sidebar.markdown]
    assert "| — |" in sidebar[-1] and "nan" not in sidebar[-1]
    assert any(HINT in str(c.value) for c in at.sidebar.caption)


def test_models_with_variance_keep_their_numbers_and_show_no_hint() -> None:
    dataset = load_dataset("digits")
    result = train(
        SAEConfig(d_in=dataset.d_in, d_sae=16), dataset, TrainConfig(epochs=1), probe=False
    )
    at = app_with_model(current_from_result(make_choice("digits"), dataset, result))
    assert f"FVE {result.metrics.fve:.3f}" in at.success[0].value
    assert HINT not in texts(at)


def test_uploading_constant_data_warns_before_training() -> None:
    at = open_app(TRAIN_PAGE)
    set_widgets(at, train_source="file").run()
    at.get_by_key("train_upload").set_value(("flat.csv", b"1,1,1,1\n" * 100, "text/csv")).run()
    assert any("zero variance" in w.value for w in at.warning)
    at.get_by_key("train_upload").set_value(("ok.csv", b"1,2,3,4\n4,3,2,1\n" * 50, "text/csv"))
    at.run()
    assert not any("zero variance" in w.value for w in at.warning)


def test_sparse_probes_f1_and_absorption_get_rows_only_where_they_apply() -> None:
    base = {"mse": 1.0, "fve": 0.5, "l0": 2.0, "dead_fraction": 0.0, "dense_fraction": 0.0}
    bare = EvalMetrics(**base, gamma=1.0, norm_ratio=1.0)
    assert not {"f1", "absorption", "sparse_probe_accuracy"} & {r.key for r in metric_rows(bare)}
    full = EvalMetrics(
        **base,
        gamma=1.0,
        norm_ratio=1.0,
        f1=0.75,
        absorption=0.125,
        sparse_probe_accuracy={5: 0.9, 1: 0.7, 2: 0.8},
    )
    rows = {r.key: r for r in metric_rows(full)}
    assert rows["sparse_probe_accuracy"].value == "k=1 70.0% · k=2 80.0% · k=5 90.0%"
    assert rows["f1"].value == "0.750" and rows["absorption"].value == "12.5%"
    assert all(key in METRIC_LATEX for key in rows)
