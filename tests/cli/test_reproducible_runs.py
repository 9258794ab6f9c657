"""Runs that reproduce from themselves: the full data spec (absolute paths) in config.json and the
JSON output, eval on exactly the training data from any folder, data options that never pass
silently, sweeps over k, sweep numbers as exact as train's, and the split in metrics.json."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sae_core.config import SAEConfig
from sae_core.data import load_dataset
from sae_core.errors import ConfigError
from sae_core.runs import load_run
from sae_core.training.fit import train_sweep
from tests.helpers.cli import cli_error, cli_json

SYNTHETIC = ("--data", "synthetic", "--opt", "n_features=16", "--opt", "d_in=8")


def train_synthetic(capsys, run_dir: Path, *extra: str) -> dict:
    return cli_json(
        capsys,
        "train",
        *SYNTHETIC,
        "--data-seed",
        "1",
        "--preprocess",
        "standardise",
        "--hidden",
        "16",
        "--epochs",
        "2",
        "--out",
        str(run_dir),
        "--json",
        *extra,
    )


def test_a_run_made_from_a_relative_path_evaluates_from_any_folder(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    np.savetxt(data / "x.csv", np.random.default_rng(0).random((200, 6)), delimiter=",")
    monkeypatch.chdir(data)
    argv = ("--data", "x.csv", "--opt", "has_header=false", "--hidden", "8", "--epochs", "2")
    trained = cli_json(capsys, "train", *argv, "--out", str(tmp_path / "run"), "--json")
    expected = {
        "data_spec": f"file:{(data / 'x.csv').resolve()}",
        "data_source": "file",
        "data_options": {
            "test_fraction": 0.2,
            "seed": 0,
            "max_samples": None,
            "preprocess": "none",
            "has_header": False,
        },
    }
    assert {k: trained["config"][k] for k in expected} == expected
    saved = json.loads((tmp_path / "run" / "config.json").read_text())["extra"]
    assert saved == expected
    monkeypatch.chdir(tmp_path / "run")  # the CSV is nowhere near here
    evaluated = cli_json(capsys, "eval", str(tmp_path / "run"), "--json")
    assert evaluated["metrics"]["fve"] == trained["metrics"]["fve"]
    assert evaluated["config"]["data_spec"] == expected["data_spec"]


def test_the_record_holds_the_preprocessing_actually_used(capsys) -> None:
    out = cli_json(capsys, "train", "--data", "digits", "--epochs", "1", "--json")
    assert out["config"]["data_spec"] == "digits"
    assert out["config"]["data_options"]["preprocess"] == "scale01"  # the source's default
    assert load_dataset(out["config"]["data_spec"], **out["config"]["data_options"]).d_in == 64


@pytest.mark.parametrize(
    "option",
    [
        ["--opt", "n_features=4"],
        ["--opt", "no_such_option=1"],
        ["--max-samples", "100"],
        ["--test-fraction", "0.5"],
        ["--preprocess", "none"],
        ["--data-seed", "3"],
    ],
)
def test_eval_refuses_data_options_without_data(capsys, tmp_path: Path, option) -> None:
    train_synthetic(capsys, tmp_path / "run")
    message = cli_error(capsys, "eval", str(tmp_path / "run"), *option)
    assert f"{option[0]} without --data" in message


def test_export_refuses_data_options_without_data_too(capsys, tmp_path: Path) -> None:
    train_synthetic(capsys, tmp_path / "run")
    out = str(tmp_path / "sl")
    message = cli_error(capsys, "export", str(tmp_path / "run"), "--out", out, "--opt", "d_in=4")
    assert "--opt without --data" in message


def test_eval_with_data_keeps_the_runs_options_unless_overridden(capsys, tmp_path: Path) -> None:
    trained = train_synthetic(capsys, tmp_path / "run")
    same = cli_json(capsys, "eval", str(tmp_path / "run"), "--data", "synthetic", "--json")
    assert same["config"]["data_options"] == trained["config"]["data_options"]
    assert same["metrics"]["fve"] == trained["metrics"]["fve"]
    other = cli_json(
        capsys, "eval", str(tmp_path / "run"), "--data", "synthetic", "--data-seed", "2", "--json"
    )
    options = other["config"]["data_options"]
    assert options["seed"] == 2 and options["n_features"] == 16 and options["d_in"] == 8
    assert options["preprocess"] == "standardise"
    assert other["metrics"]["fve"] != trained["metrics"]["fve"]


def test_eval_with_data_refuses_an_unknown_option(capsys, tmp_path: Path) -> None:
    train_synthetic(capsys, tmp_path / "run")
    run = str(tmp_path / "run")
    assert "bogus" in cli_error(capsys, "eval", run, "--data", "synthetic", "--opt", "bogus=1")


def test_metrics_json_names_the_split_and_old_runs_without_it_still_load(
    capsys, tmp_path: Path
) -> None:
    trained = train_synthetic(capsys, tmp_path / "run")
    metrics_file = tmp_path / "run" / "metrics.json"
    assert json.loads(metrics_file.read_text())["split"] == trained["metrics"]["split"] == "test"
    assert load_run(tmp_path / "run").metrics["split"] == "test"
    # an older run: no split, no data record (its data only named) -> it loads and evaluates
    old = cli_json(
        capsys,
        "train",
        "--data",
        "digits",
        "--epochs",
        "1",
        "--out",
        str(tmp_path / "old"),
        "--json",
    )
    metrics = json.loads((tmp_path / "old" / "metrics.json").read_text())
    del metrics["split"]
    (tmp_path / "old" / "metrics.json").write_text(json.dumps(metrics))
    config = json.loads((tmp_path / "old" / "config.json").read_text())
    config["extra"] = {}
    (tmp_path / "old" / "config.json").write_text(json.dumps(config))
    assert "split" not in load_run(tmp_path / "old").metrics
    again = cli_json(capsys, "eval", str(tmp_path / "old"), "--json")
    assert again["metrics"]["fve"] == old["metrics"]["fve"]


def test_sweep_trains_one_model_per_k_for_topk(capsys) -> None:
    argv = ("--data", "digits", "--method", "topk", "--k", "8,2,4", "--hidden", "32")
    out = cli_json(capsys, "sweep", *argv, "--epochs", "2", "--json")
    assert out["config"]["ks"] == [2, 4, 8]
    assert [r["k"] for r in out["runs"]] == [2, 4, 8]
    for run in out["runs"]:
        assert run["l0"] <= run["k"] + 1e-9 and run["steps"] == 24


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--method", "topk", "--lam", "0.1,1"], "does not use λ"),
        (["--method", "batchtopk", "--lam", "0.1,1"], "sweep --k instead"),
        (["--method", "l1", "--k", "4,8"], "does not use k"),
        (["--method", "topk", "--k", "4,8", "--target-l0", "4"], "--k lists are for sweeps"),
    ],
)
def test_sweep_refuses_lists_the_method_ignores(capsys, argv: list[str], message: str) -> None:
    assert message in cli_error(capsys, "sweep", "--data", "digits", *argv)


def test_train_sweep_refuses_lists_the_method_ignores_too() -> None:
    data = load_dataset("digits", max_samples=200)
    topk = SAEConfig(d_in=64, d_sae=16, method="topk", k=4)
    with pytest.raises(ConfigError, match="does not use λ"):
        train_sweep(topk, data, lams=[0.1, 1.0])
    with pytest.raises(ConfigError, match="does not use k"):
        train_sweep(topk.replace(method="l1"), data, lams=[0.1], ks=[2, 4])


def test_sweep_json_numbers_are_as_exact_as_trains(capsys) -> None:
    argv = ("--data", "digits", "--hidden", "32", "--epochs", "2", "--json")
    trained = cli_json(capsys, "train", *argv)["metrics"]
    swept = cli_json(capsys, "sweep", *argv)["runs"][0]
    for key in ("mse", "fve", "gamma", "norm_ratio", "probe_accuracy"):
        assert swept[key] == trained[key], key  # unrounded, bit for bit
