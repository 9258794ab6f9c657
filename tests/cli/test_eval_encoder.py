"""``eval RUN --encoder sae|mp|omp [--k K]``: the run's decoder with other encoders at equal L0."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.cli import cli_error, cli_json


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sae_core.cli.commands import main

    run_dir = tmp_path_factory.mktemp("runs") / "topk"
    argv = ["train", "--data", "synthetic", "--max-samples", "1500", "--method", "topk"]
    argv += ["--k", "3", "--hidden", "64", "--epochs", "3", "--out", str(run_dir)]
    assert main(argv) == 0
    return run_dir


def test_eval_reports_the_same_metrics_for_each_encoder_at_equal_l0(
    capsys: pytest.CaptureFixture[str], synthetic_run: Path
) -> None:
    sae = cli_json(capsys, "eval", str(synthetic_run), "--json")
    assert sae["encoder"] == {"name": "sae", "k": None}
    for encoder in ("mp", "omp"):
        out = cli_json(capsys, "eval", str(synthetic_run), "--encoder", encoder, "--json")
        assert set(out) == set(sae) and set(out["metrics"]) == set(sae["metrics"])
        assert out["encoder"] == {"name": encoder, "k": round(sae["metrics"]["l0"])}
        assert out["metrics"]["l0"] <= out["encoder"]["k"] + 1e-9
        assert out["metrics"]["f1"] is not None and out["metrics"]["probe_accuracy"] is None
        assert out["metrics"]["mcc"] == pytest.approx(sae["metrics"]["mcc"])  # same decoder


def test_a_larger_pursuit_budget_reconstructs_better(
    capsys: pytest.CaptureFixture[str], synthetic_run: Path
) -> None:
    low = cli_json(capsys, "eval", str(synthetic_run), "--encoder", "omp", "--k", "1", "--json")
    high = cli_json(capsys, "eval", str(synthetic_run), "--encoder", "omp", "--k", "6", "--json")
    assert high["encoder"]["k"] == 6 and high["metrics"]["fve"] > low["metrics"]["fve"]


def test_k_without_a_pursuit_encoder_or_below_one_is_refused(
    capsys: pytest.CaptureFixture[str], synthetic_run: Path
) -> None:
    assert "--encoder mp or omp" in cli_error(capsys, "eval", str(synthetic_run), "--k", "3")
    message = cli_error(capsys, "eval", str(synthetic_run), "--encoder", "mp", "--k", "0")
    assert "at least 1" in message
    assert "invalid choice" in cli_error(capsys, "eval", str(synthetic_run), "--encoder", "x")
