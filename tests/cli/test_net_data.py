"""The CLI on ``net:digits``: loss recovered in ``--json``, bad network options as one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.cli import cli_error, cli_json


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAE_EXPLORER_CACHE", str(tmp_path / "cache"))


def test_a_topk_sae_on_network_activations_recovers_the_classifiers_loss(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # docs/network_activations.md records these numbers: 0.98 at L0 8 (FVE 0.94)
    result = cli_json(capsys, "train", "--data", "net:digits", "--method", "topk", "--k", "8",
                      "--json")  # fmt: skip
    metrics = result["metrics"]
    assert metrics["l0"] <= 16 and metrics["loss_recovered"] >= 0.9
    assert metrics["accuracy_with_sae"] > 0.9
    assert result["config"]["data_spec"] == "net:digits"  # a data set's name, not a path


def test_other_data_reports_no_loss_recovered(capsys: pytest.CaptureFixture[str]) -> None:
    result = cli_json(capsys, "train", "--data", "digits", "--steps", "5", "--json")
    assert result["metrics"]["loss_recovered"] is None


def test_a_layer_that_does_not_exist_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    line = cli_error(capsys, "train", "--data", "net:digits", "--opt", "layer=5", "--steps", "1")
    assert "layer=5 does not exist" in line
