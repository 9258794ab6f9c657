"""``eval --saelens DIR_OR_ZIP --data FILE --json``: a SAELens SAE on activations; the training
vs inference L0 fields of train, eval and sweep --json; the export's training metadata."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from sae_core.analysis.metrics import evaluate
from sae_core.data import load_dataset
from sae_core.runs.saelens import export_saelens, saelens_files
from tests.helpers.cli import cli_error, cli_json
from tests.helpers.models import random_model

torch.set_num_threads(1)


def activations(tmp_path: Path, d_in: int = 6, n: int = 120, name: str = "acts.npy") -> Path:
    path = tmp_path / name
    x = np.random.default_rng(0).normal(size=(n, d_in)).astype(np.float32)
    if name.endswith(".npz"):
        np.savez(path, x=x)
    else:
        np.save(path, x)
    return path


def test_eval_saelens_on_a_folder_prints_the_metrics_eval_prints(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    model = random_model("jumprelu")
    folder = export_saelens(model, tmp_path / "sae")
    data = activations(tmp_path)
    out = cli_json(capsys, "eval", "--saelens", str(folder), "--data", str(data), "--json")
    expected = evaluate(model, load_dataset(str(data))).to_json()
    assert set(expected) <= set(out["metrics"])
    assert out["metrics"]["l0"] == pytest.approx(expected["l0"])
    assert out["metrics"]["fve"] == pytest.approx(expected["fve"], abs=1e-6)
    assert out["config"]["sae"]["method"] == "jumprelu" and out["config"]["train"] is None
    assert out["run_dir"] is None and out["saelens"] == str(folder)
    assert out["metrics"]["l0_train"] is None and out["metrics"]["l0_inference"] is None


def test_eval_saelens_on_a_zip_with_npz_activations(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    model = random_model("batchtopk")
    zip_path = tmp_path / "sae.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        for name, content in saelens_files(model).items():
            archive.writestr(f"layer3/{name}", content)
    data = activations(tmp_path, name="acts.npz")
    m = cli_json(capsys, "eval", "--saelens", str(zip_path), "--data", str(data), "--json")[
        "metrics"
    ]
    # BatchTopK's inference L0 is the held-out one; no history, so no training L0
    assert m["l0_inference"] == pytest.approx(m["l0"]) and m["l0_train"] is None


def test_eval_saelens_text_output(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = export_saelens(random_model("l1"), tmp_path / "sae")
    from sae_core.cli.commands import main

    assert main(["eval", "--saelens", str(folder), "--data", str(activations(tmp_path))]) == 0
    assert "fve" in capsys.readouterr().out


def test_a_width_mismatch_names_both_widths(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = export_saelens(random_model("l1"), tmp_path / "sae")
    err = cli_error(
        capsys, "eval", "--saelens", str(folder), "--data", str(activations(tmp_path, d_in=9))
    )
    assert "d_in = 6" in err and "has 9" in err


def test_a_folder_without_cfg_json_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = export_saelens(random_model("l1"), tmp_path / "sae")
    (folder / "cfg.json").unlink()
    err = cli_error(capsys, "eval", "--saelens", str(folder), "--data", str(activations(tmp_path)))
    assert "cfg.json is missing" in err


def test_an_unknown_architecture_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = export_saelens(random_model("l1"), tmp_path / "sae")
    cfg = folder / "cfg.json"
    cfg.write_text(cfg.read_text().replace('"standard"', '"crosscoder"'))
    err = cli_error(capsys, "eval", "--saelens", str(folder), "--data", str(activations(tmp_path)))
    assert "'crosscoder' is not supported" in err


def test_nan_in_the_activations_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = export_saelens(random_model("l1"), tmp_path / "sae")
    x = np.ones((50, 6), dtype=np.float32)
    x[7, 2] = np.nan
    np.save(tmp_path / "nan.npy", x)
    err = cli_error(capsys, "eval", "--saelens", str(folder), "--data", str(tmp_path / "nan.npy"))
    assert "NaN" in err


def test_a_malformed_zip_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "sae.zip"
    bad.write_bytes(b"not a zip at all")
    err = cli_error(capsys, "eval", "--saelens", str(bad), "--data", str(activations(tmp_path)))
    assert "not a readable zip" in err


def test_saelens_needs_data_and_excludes_a_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = str(export_saelens(random_model("l1"), tmp_path / "sae"))
    assert "needs --data" in cli_error(capsys, "eval", "--saelens", folder)
    both = cli_error(capsys, "eval", "run", "--saelens", folder, "--data", "x.npy")
    assert "not both" in both
    assert "give a run folder" in cli_error(capsys, "eval")


@pytest.mark.parametrize(("method", "differs"), [("batchtopk", True), ("topk", False)])
def test_train_and_eval_json_report_training_and_inference_l0_where_they_differ(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, method: str, differs: bool
) -> None:
    out = tmp_path / "run"
    m = cli_json(
        capsys, "train", "--data", "synthetic", "--method", method, "--k", "4", "--hidden", "48",
        "--epochs", "2", "--out", str(out), "--json",
    )["metrics"]  # fmt: skip
    evaluated = cli_json(capsys, "eval", str(out), "--json")["metrics"]
    if differs:
        assert m["l0_train"] == pytest.approx(4.0)  # the batch top-k·B: exactly k per sample
        assert m["l0_inference"] == pytest.approx(m["l0"])
        assert evaluated["l0_train"] == pytest.approx(4.0)
    else:
        assert m["l0_train"] is None and m["l0_inference"] is None
        assert evaluated["l0_train"] is None and evaluated["l0_inference"] is None


def test_export_fills_the_metadata_from_the_runs_metrics(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import json

    run = tmp_path / "run"
    m = cli_json(
        capsys, "train", "--data", "synthetic", "--method", "topk", "--k", "3", "--hidden", "40",
        "--epochs", "1", "--out", str(run), "--json",
    )["metrics"]  # fmt: skip
    from sae_core.cli.commands import main

    assert main(["export", str(run), "--out", str(tmp_path / "exp")]) == 0
    metadata = json.loads((tmp_path / "exp" / "cfg.json").read_text())["metadata"]
    assert metadata["training_architecture"] == "topk"
    assert metadata["l0"] == pytest.approx(m["l0"])
    assert metadata["dead_latents"] == round(m["dead_fraction"] * 40)


def test_sweep_rows_report_each_models_training_l0(capsys: pytest.CaptureFixture[str]) -> None:
    runs = cli_json(
        capsys, "sweep", "--data", "synthetic", "--method", "batchtopk", "--k", "3",
        "--hidden", "32,48", "--epochs", "1", "--json",
    )["runs"]  # fmt: skip
    assert len(runs) == 2
    for row in runs:
        assert row["l0_train"] == pytest.approx(3.0)
        assert row["l0_inference"] == pytest.approx(row["l0"])
