"""The --json metrics' ground-truth and sparse-probe fields, in train, eval, sweep and saved runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.cli import cli_json

NEW = ("f1", "absorption", "sparse_probe_accuracy")


def test_hierarchical_synthetic_data_reports_f1_and_absorption_and_no_sparse_probe(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    trained = cli_json(
        capsys, "train", "--data", "synthetic", "--opt", "hierarchy=6", "--opt", "zipf=0.5",
        "--method", "topk", "--k", "4", "--hidden", "96", "--epochs", "5",
        "--out", str(out), "--json",
    )  # fmt: skip
    m = trained["metrics"]
    assert set(NEW) <= set(m)
    assert 0 < m["f1"] <= 1 and 0 <= m["absorption"] <= 1
    assert m["sparse_probe_accuracy"] is None
    stored = json.loads((out / "metrics.json").read_text())
    assert stored["f1"] == pytest.approx(m["f1"]) and stored["absorption"] == m["absorption"]
    evaluated = cli_json(capsys, "eval", str(out), "--json")["metrics"]
    assert evaluated["f1"] == pytest.approx(m["f1"], abs=1e-9)


def test_labelled_data_reports_sparse_probes_by_k_and_no_ground_truth_fields(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "digits-run"
    m = cli_json(
        capsys, "train", "--data", "digits", "--method", "topk", "--k", "8", "--epochs", "3",
        "--out", str(out), "--json",
    )["metrics"]  # fmt: skip
    assert m["f1"] is None and m["absorption"] is None
    sparse = m["sparse_probe_accuracy"]
    assert set(sparse) == {"1", "2", "5"} and all(0.5 < v <= 1 for v in sparse.values())
    stored = json.loads((out / "metrics.json").read_text())  # runs keep numbers only
    assert stored["sparse_probe_accuracy_k5"] == pytest.approx(sparse["5"])
    evaluated = cli_json(capsys, "eval", str(out), "--json")["metrics"]
    assert evaluated["sparse_probe_accuracy"] == pytest.approx(sparse)


def test_sweep_rows_carry_the_nested_sparse_probe_too(capsys: pytest.CaptureFixture[str]) -> None:
    runs = cli_json(
        capsys, "sweep", "--data", "digits", "--lam", "0.01,0.1", "--epochs", "1", "--json"
    )["runs"]
    assert len(runs) == 2
    for row in runs:
        assert set(row["sparse_probe_accuracy"]) == {"1", "2", "5"}
        assert row["f1"] is None and "sparse_probe_accuracy_k1" not in row
