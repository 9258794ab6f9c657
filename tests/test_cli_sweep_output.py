"""``sweep``: a bad --csv is refused before training, results are printed before the CSV is
written, and --json gives each run its steps with the shape documented in the help (gap
report #10, #11)."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pandas as pd
import pytest

import sae_core.cli
import sae_core.fit
from sae_core.cli import build_parser, main

SMALL = ["--data", "digits", "--lam", "0.1,1", "--hidden", "16", "--epochs", "2"]


@pytest.fixture
def training_calls(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Records every call of train_sweep, which then fails the test's command loudly."""
    calls: list[object] = []

    def record(*args: object, **kwargs: object) -> None:
        calls.append((args, kwargs))
        raise AssertionError("train_sweep must not run for a bad --csv")

    monkeypatch.setattr(sae_core.fit, "train_sweep", record)
    return calls


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


def test_sweep_refuses_a_csv_path_that_is_a_folder_before_training(
    capsys, tmp_path: Path, training_calls: list[object]
) -> None:
    assert main(["sweep", *SMALL, "--csv", str(tmp_path)]) == 2
    err = one_error_line(capsys)
    assert "is a folder" in err and str(tmp_path / "sweep.csv") in err
    assert training_calls == []


def test_sweep_refuses_an_unwritable_csv_path_before_training(
    capsys, training_calls: list[object]
) -> None:
    if not Path("/proc/self").is_dir():
        pytest.skip("needs Linux /proc (a folder nobody, not even root, can create files in)")
    assert main(["sweep", *SMALL, "--csv", "/proc/sae_gap_sweep.csv"]) == 2
    err = one_error_line(capsys)
    assert "cannot be written" in err and "choose a file in a folder you can write to" in err
    assert training_calls == []


def test_checking_the_csv_leaves_no_file_behind_and_keeps_an_existing_one(
    capsys, tmp_path: Path, training_calls: list[object]
) -> None:
    fresh = tmp_path / "new.csv"
    with pytest.raises(AssertionError, match="must not run"):
        main(["sweep", *SMALL, "--csv", str(fresh)])
    assert not fresh.exists() and len(training_calls) == 1
    old = tmp_path / "old.csv"
    old.write_text("kept\n")
    with pytest.raises(AssertionError, match="must not run"):
        main(["sweep", *SMALL, "--csv", str(old)])
    assert old.read_text() == "kept\n"


def test_sweep_prints_the_table_before_a_failing_csv_write(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(self: pd.DataFrame, *args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "t.csv"))

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    assert main(["sweep", *SMALL, "--csv", str(tmp_path / "t.csv")]) == 2
    captured = capsys.readouterr()
    assert "2 models trained" in captured.out and "fve" in captured.out.splitlines()[0]
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and "No space left" in err and "printed above" in err


def test_sweep_json_runs_carry_steps_like_train_and_keep_the_old_keys(
    capsys, tmp_path: Path
) -> None:
    csv = tmp_path / "sweep.csv"
    assert main(["sweep", *SMALL, "--csv", str(csv), "--json"]) == 0
    sweep = json.loads(capsys.readouterr().out)
    assert set(sweep) == {"config", "runs", "train_seconds", "seconds"}
    assert main(["train", "--data", "digits", "--hidden", "16", "--epochs", "2", "--json"]) == 0
    single = json.loads(capsys.readouterr().out)
    assert single["steps"] == 2 * 12
    for run in sweep["runs"]:
        assert run["steps"] == single["steps"]
        assert set(single["metrics"]) <= set(run)
        assert {"lam", "d_sae", "seed", "method"} <= set(run)
    assert pd.read_csv(csv)["steps"].tolist() == [24, 24]


def test_sweep_steps_follow_a_fixed_step_count_for_every_width(capsys) -> None:
    argv = ["sweep", "--data", "digits", "--lam", "0.1", "--hidden", "8,16", "--steps", "7"]
    assert main([*argv, "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert [(r["d_sae"], r["steps"]) for r in runs] == [(8, 7), (16, 7)]


def test_sweep_help_documents_its_json_shape() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    sweep = sub.choices["sweep"]  # type: ignore[attr-defined]
    help_text = next(a.help for a in sweep._actions if a.dest == "json")
    for key in ("runs", "steps", "train_seconds", "seconds", "lams", "hidden", "seeds"):
        assert key in help_text
    train_help = next(a.help for a in sub.choices["train"]._actions if a.dest == "json")  # type: ignore[attr-defined]
    assert "run_dir" in train_help and "runs" not in train_help
    assert "runs: [" in (sae_core.cli.__doc__ or "")
