"""Sweeps from the CLI and the app (QA #8, #9) and the CLI's data listing (QA #10)."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

import sae_core.ui.compare_sweep as compare_sweep
from sae_core.cli import main
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import SOURCES, load_dataset
from sae_core.fit import train_sweep
from sae_core.ui.compare_sweep import parse_number_list
from sae_core.ui.state import STATE_KEY
from tests.conftest import ROOT


def sweep_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(["sweep", "--epochs", "1", "--json", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_sweep_trains_each_repeated_grid_point_once(capsys) -> None:
    out = sweep_json(
        capsys, "--data", "digits", "--lam", "0.1,0.1", "--hidden", "8,8", "--seeds", "0,0"
    )
    assert len(out["runs"]) == 1
    assert out["config"]["lams"] == [0.1]
    assert out["config"]["hidden"] == [8] and out["config"]["seeds"] == [0]


def test_cli_lambda_lists_are_sorted_and_unique_like_the_apps_parser(capsys) -> None:
    out = sweep_json(capsys, "--data", "digits", "--lam", "1,0.1,1,0.10", "--hidden", "16,8,16")
    assert out["config"]["lams"] == parse_number_list("1,0.1,1,0.10") == [0.1, 1.0]
    assert out["config"]["hidden"] == [8, 16]
    assert [(r["d_sae"], r["lam"]) for r in out["runs"]] == [
        (8, 0.1),
        (8, 1.0),
        (16, 0.1),
        (16, 1.0),
    ]


def test_train_sweep_trains_each_repeated_value_once_in_first_seen_order() -> None:
    data = load_dataset("digits", max_samples=200)
    result = train_sweep(
        SAEConfig(d_in=data.d_in, d_sae=8),
        data,
        TrainConfig(epochs=1),
        lams=[1.0, 0.1, 1.0],
        d_saes=[8, 8],
        seeds=[3, 3],
    )
    assert result.table["lam"].tolist() == [1.0, 0.1] and result.seeds == [3, 3]
    assert len(result.models) == 2 and result.history["model"].nunique() == 2


def test_cli_sweep_runs_have_probe_accuracy_on_labelled_data(capsys) -> None:
    out = sweep_json(capsys, "--data", "digits", "--lam", "0.01,1", "--hidden", "16")
    for run in out["runs"]:
        assert 0.1 < run["probe_accuracy"] <= 1 and 0.1 < run["probe_accuracy_input"] <= 1


def test_cli_sweep_text_table_shows_the_probe_column(capsys) -> None:
    assert (
        main(["sweep", "--data", "digits", "--lam", "0.1", "--hidden", "8", "--epochs", "1"]) == 0
    )
    assert "probe_accuracy" in capsys.readouterr().out.splitlines()[0]


def test_cli_sweep_on_unlabelled_data_has_no_probe(capsys) -> None:
    out = sweep_json(capsys, "--data", "synthetic", "--opt", "n_samples=500", "--hidden", "16")
    assert [run["probe_accuracy"] for run in out["runs"]] == [None]


@pytest.mark.parametrize("probe", [False, True])
def test_the_apps_sweep_computes_probes_exactly_when_switched_on(
    monkeypatch: pytest.MonkeyPatch, probe: bool
) -> None:
    monkeypatch.setattr(compare_sweep, "SWEEP_PROBES", probe)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.switch_page("app_pages/compare.py").run()
    at.text_input(key="cmp_lam_text").set_value("0.01,1")
    at.number_input(key="cmp_epochs").set_value(1)
    at.button(key="cmp_sweep_go").click().run()
    assert not at.exception and not at.error
    rows = at.session_state[STATE_KEY].session_runs
    assert len(rows) == 2
    accuracies = [row.get("probe_accuracy") for row in rows]
    assert all(0.1 < a <= 1 for a in accuracies) if probe else accuracies == [None, None]


def test_cli_data_names_each_source_once_per_line(capsys) -> None:
    assert main(["data"]) == 0
    text = capsys.readouterr().out
    assert "MNIST: MNIST" not in text and "Fashion-MNIST: Fashion-MNIST" not in text
    for source in SOURCES.values():
        assert not source.description.startswith(source.title), source.name
        assert f"{source.title}: {source.description}" in text
