"""``train`` streams a .npy from disk: asked for (--stream) or above the in-memory limit, with
live progress, clear refusals, and the app's size message pointing here."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest

from sae_core.cli.commands import main
from sae_core.cli.progress import ProgressLine
from sae_core.cli.stream import ScanLine
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset, load_file_bytes
from sae_core.data.files import tabular
from sae_core.data.streamed import load_streamed
from sae_core.errors import DataError
from sae_core.training.trainer import Trainer
from tests.helpers.cli import cli_error, cli_json


def _npy(tmp_path: Path, n: int = 1500, d: int = 10) -> Path:
    rng = np.random.default_rng(4)
    x = np.maximum(rng.standard_normal((n, d)), 0).astype(np.float32) * rng.uniform(1, 3, d)
    path = tmp_path / "acts.npy"
    np.save(path, x.astype(np.float32))
    return path


def test_train_stream_json_reports_the_streamed_split_and_epochs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _npy(tmp_path)
    out = cli_json(
        capsys, "train", "--data", str(path), "--stream", "--hidden", "20", "--epochs", "3",
        "--batch-size", "100", "--preprocess", "standardise", "--json",
    )  # fmt: skip
    assert out["steps"] == 3 * math.ceil(1200 / 100)
    assert out["config"]["data"] == f"file:{path.resolve()}"
    assert out["config"]["data_options"]["preprocess"] == "standardise"
    assert out["metrics"]["n_samples"] == 300 and out["metrics"]["fve"] > 0.5


def test_a_npy_over_the_memory_limit_streams_by_itself_and_the_app_points_at_the_cli(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _npy(tmp_path)
    monkeypatch.setattr(tabular, "MAX_FILE_BYTES", 20_000)  # the file is 60 KB
    for refuse in (
        lambda: load_dataset(str(path)),
        lambda: load_file_bytes(path.read_bytes(), "acts.npy"),
    ):
        with pytest.raises(DataError, match=r"command line, which streams a \.npy from disk"):
            refuse()
    assert main(["train", "--data", str(path), "--hidden", "16", "--epochs", "1"]) == 0
    text = capsys.readouterr().out
    assert "(1200 train / 300 test, d_in=10, streamed from disk)" in text


def test_streaming_refusals_are_one_line_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _npy(tmp_path)
    csv = tmp_path / "t.csv"
    csv.write_text("1,2\n3,4\n5,6\n")
    assert "--stream reads .npy files only" in cli_error(
        capsys, "train", "--data", str(csv), "--stream"
    )
    assert "--opt label_column does not apply to a streamed .npy" in cli_error(
        capsys, "train", "--data", str(path), "--stream", "--opt", "label_column=0"
    )
    x = np.load(path)
    x[777, 3] = np.inf
    np.save(path, x)
    assert "NaN or infinite value at row 777, column 3" in cli_error(
        capsys, "train", "--data", str(path), "--stream"
    )


def test_progress_lines_follow_the_scan_and_the_streamed_steps(tmp_path: Path) -> None:
    path = _npy(tmp_path)
    scan_out = io.StringIO()
    stream = load_streamed(path, progress=ScanLine(scan_out, min_interval=0))
    last = scan_out.getvalue().split("\r\x1b[K")[-1]
    assert last.startswith("scan [####################] 1500/1500 rows")
    assert (
        ScanLine.line(500, 1000, 2.0)
        == "scan [##########..........] 500/1000 rows 250 rows/s ETA 2 s"
    )
    line_out = io.StringIO()
    progress = ProgressLine(line_out, min_interval=0)
    trainer = Trainer(SAEConfig(d_in=10, d_sae=16), TrainConfig(epochs=2, batch_size=200), stream)
    trainer.run(callback=progress)
    progress.close()
    drawn = line_out.getvalue()
    assert "12/12 steps" in drawn and "loss" in drawn and drawn.endswith("\r\x1b[K")


def test_eval_of_a_streamed_run_measures_the_same_held_out_sample(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _npy(tmp_path)
    monkeypatch.setattr(tabular, "MAX_FILE_BYTES", 20_000)  # the file is too large to load
    run = tmp_path / "run"
    trained = cli_json(
        capsys, "train", "--data", str(path), "--hidden", "16", "--epochs", "2",
        "--preprocess", "centre", "--out", str(run), "--json",
    )  # fmt: skip
    evaluated = cli_json(capsys, "eval", str(run), "--json")
    assert evaluated["metrics"]["n_samples"] == trained["metrics"]["n_samples"] == 300
    assert evaluated["metrics"]["fve"] == pytest.approx(trained["metrics"]["fve"], abs=1e-6)
    assert evaluated["config"]["data_options"]["preprocess"] == "centre"
