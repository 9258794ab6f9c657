"""Sweeps from the CLI and the app: the grid, probe accuracies, --csv and --json."""

from __future__ import annotations

import errno
from pathlib import Path

import pandas as pd
import pytest

import sae_core.cli.commands
import sae_core.training.fit
import sae_core.ui.compare.sweep as compare_sweep
from sae_core.cli.commands import build_parser, main
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.training.fit import train_sweep
from sae_core.ui.compare.sweep import parse_number_list
from tests.helpers.app import app_state, compare_app
from tests.helpers.cli import cli_error, cli_json

SMALL = ["--data", "digits", "--lam", "0.1,1", "--hidden", "16", "--epochs", "2"]


def sweep_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    """``sweep --epochs 1 --json`` with ``argv``: what it printed."""
    return cli_json(capsys, "sweep", "--epochs", "1", "--json", *argv)


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
    at = compare_app()
    at.text_input(key="cmp_lam_text").set_value("0.01,1")
    at.number_input(key="cmp_epochs").set_value(1)
    at.button(key="cmp_sweep_go").click().run()
    assert not at.exception and not at.error
    rows = app_state(at).session_runs
    assert len(rows) == 2
    accuracies = [row.get("probe_accuracy") for row in rows]
    assert all(0.1 < a <= 1 for a in accuracies) if probe else accuracies == [None, None]


# --- --csv and --json --------------------------------------------------------------------------
# A bad --csv is refused before training, the results are printed before the CSV is written, and
# --json gives each run its steps, in the shape the help documents.


@pytest.fixture
def training_calls(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Records every call of train_sweep, which then fails the test's command loudly."""
    calls: list[object] = []

    def record(*args: object, **kwargs: object) -> None:
        calls.append((args, kwargs))
        raise AssertionError("train_sweep must not run for a bad --csv")

    monkeypatch.setattr(sae_core.training.fit, "train_sweep", record)
    return calls


def test_sweep_refuses_a_csv_path_that_is_a_folder_before_training(
    capsys, tmp_path: Path, training_calls: list[object]
) -> None:
    err = cli_error(capsys, "sweep", *SMALL, "--csv", str(tmp_path))
    assert "is a folder" in err and str(tmp_path / "sweep.csv") in err
    assert training_calls == []


def test_sweep_refuses_an_unwritable_csv_path_before_training(
    capsys, training_calls: list[object]
) -> None:
    if not Path("/proc/self").is_dir():
        pytest.skip("needs Linux /proc (a folder nobody, not even root, can create files in)")
    err = cli_error(capsys, "sweep", *SMALL, "--csv", "/proc/sae_gap_sweep.csv")
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
    sweep = cli_json(capsys, "sweep", *SMALL, "--csv", str(csv), "--json")
    assert set(sweep) == {"config", "runs", "train_seconds", "seconds"}
    single = cli_json(
        capsys, "train", "--data", "digits", "--hidden", "16", "--epochs", "2", "--json"
    )
    assert single["steps"] == 2 * 12
    for run in sweep["runs"]:
        assert run["steps"] == single["steps"]
        assert set(single["metrics"]) <= set(run)
        assert {"lam", "d_sae", "seed", "method"} <= set(run)
    assert pd.read_csv(csv)["steps"].tolist() == [24, 24]


def test_sweep_steps_follow_a_fixed_step_count_for_every_width(capsys) -> None:
    argv = ["sweep", "--data", "digits", "--lam", "0.1", "--hidden", "8,16", "--steps", "7"]
    runs = cli_json(capsys, *argv, "--json")["runs"]
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
    assert "runs: [" in (sae_core.cli.commands.__doc__ or "")


def test_cli_width_sweep_trains_padded_and_equals_each_train_run(capsys) -> None:
    """--hidden 12,16 trains one padded stack; each row equals ``train`` at that width."""
    grid = ["--data", "digits", "--max-samples", "300", "--epochs", "2", "--json"]
    runs = cli_json(capsys, "sweep", *grid, "--lam", "0.2", "--hidden", "16,12")["runs"]
    assert [r["d_sae"] for r in runs] == [12, 16]
    for run in runs:
        alone = cli_json(capsys, "train", *grid, "--lam", "0.2", "--hidden", str(run["d_sae"]))
        for key in ("fve", "mse", "l0", "dead_fraction"):
            assert run[key] == pytest.approx(alone["metrics"][key], abs=1e-5), key
        assert run["steps"] == alone["steps"]
