"""The command line, driven as a user would: every command, every data kind, bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sae_core.cli.commands import main
from sae_core.data import SOURCES
from tests.helpers.cli import cli_error, cli_json
from tests.helpers.env import ROOT, require_shared_mnist


def test_train_json_has_the_documented_keys_and_a_good_fit(capsys) -> None:
    out = cli_json(capsys, "train", "--data", "digits", "--json")
    assert set(out) == {"config", "metrics", "train_seconds", "steps", "run_dir"}
    m = out["metrics"]
    for key in ("mse", "fve", "l0", "dead_fraction", "dense_fraction", "gamma", "probe_accuracy"):
        assert key in m
    assert m["fve"] >= 0.9 and 0 < m["l0"] < 128
    assert out["steps"] == 20 * 12 and out["run_dir"] is None


def test_train_on_patches_synthetic_and_a_csv_file(capsys, tmp_path: Path) -> None:
    patches = cli_json(
        capsys, "train", "--data", "patches", "--opt", "n_patches=2000", "--epochs", "2", "--json"
    )
    assert patches["config"]["sae"]["d_in"] == 64
    synth = cli_json(
        capsys,
        "train",
        "--data",
        "synthetic",
        "--method",
        "topk",
        "--k",
        "4",
        "--hidden",
        "128",
        "--epochs",
        "3",
        "--json",
    )
    assert synth["metrics"]["mmcs"] is not None and synth["metrics"]["l0"] <= 4
    rng = np.random.default_rng(0)
    csv = tmp_path / "table.csv"
    x = rng.random((200, 12))
    np.savetxt(csv, x, delimiter=",", header=",".join(f"c{i}" for i in range(12)), comments="")
    table = cli_json(
        capsys, "train", "--data", str(csv), "--hidden", "16", "--epochs", "3", "--json"
    )
    assert table["config"]["sae"]["d_in"] == 12 and table["metrics"]["fve"] > 0


def test_train_on_the_shared_mnist_folder(capsys) -> None:
    folder = require_shared_mnist()
    out = cli_json(
        capsys,
        "train",
        "--data",
        f"mnist:{folder}",
        "--hidden",
        "64",
        "--epochs",
        "1",
        "--batch-size",
        "256",
        "--json",
    )
    assert out["config"]["sae"]["d_in"] == 784
    assert out["metrics"]["n_samples"] == 2000 and out["metrics"]["fve"] > 0.5


def test_train_out_then_eval_then_export_round_trip(capsys, tmp_path: Path) -> None:
    run_dir = tmp_path / "myrun"
    trained = cli_json(
        capsys, "train", "--data", "digits", "--epochs", "3", "--out", str(run_dir), "--json"
    )
    assert Path(trained["run_dir"]) == run_dir.resolve()
    evaluated = cli_json(capsys, "eval", str(run_dir), "--json")
    assert evaluated["metrics"]["fve"] == pytest.approx(trained["metrics"]["fve"], abs=1e-6)
    assert main(["export", str(run_dir), "--format", "saelens", "--out", str(tmp_path / "sl")]) == 0
    assert (tmp_path / "sl" / "cfg.json").is_file()
    assert (tmp_path / "sl" / "sae_weights.safetensors").is_file()


def test_sweep_is_monotone_in_lambda_and_writes_csv(capsys, tmp_path: Path) -> None:
    csv = tmp_path / "sweep.csv"
    out = cli_json(
        capsys,
        "sweep",
        "--data",
        "digits",
        "--lam",
        "0.01,0.1,1",
        "--hidden",
        "32,64",
        "--epochs",
        "4",
        "--csv",
        str(csv),
        "--json",
    )
    runs = out["runs"]
    assert len(runs) == 6 and csv.is_file()
    for h in (32, 64):
        l0 = [r["l0"] for r in runs if r["d_sae"] == h]
        assert l0 == sorted(l0, reverse=True)


def test_data_lists_every_source(capsys) -> None:
    assert main(["data"]) == 0
    text = capsys.readouterr().out
    for name in ("digits", "patches", "synthetic", "mnist", "file"):
        assert name in text


def test_cli_data_names_each_source_once_per_line(capsys) -> None:
    assert main(["data"]) == 0
    text = capsys.readouterr().out
    assert "MNIST: MNIST" not in text and "Fashion-MNIST: Fashion-MNIST" not in text
    for source in SOURCES.values():
        assert not source.description.startswith(source.title), source.name
        assert f"{source.title}: {source.description}" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--data", "digits", "--lam", "-1"], "lam=-1.0 is invalid"),
        (["train", "--data", "digits", "--hidden", "0"], "d_sae=0"),
        (["train", "--data", "digits", "--method", "topk", "--k", "500"], "k ≤ d_sae"),
        (["train", "--data", "digits", "--rho", "1.5"], "ρ"),
        (["train", "--data", "digits", "--lr", "0"], "learning rate"),
        (["train", "--data", "digits", "--batch-size", "100000"], "exceeds"),
        (["train", "--data", "digits", "--epochs", "0"], "epochs=0"),
        (["train", "--data", "digits", "--dead-remedy", "auxk"], "auxk"),
        (["train", "--data", "no/such/file.csv"], "does not exist"),
        (["train", "--data", "digits", "--opt", "bogus=1"], "bogus"),
        (["train", "--data", "digits", "--method", "magic"], "invalid choice"),
        (["eval", "no/such/run"], "run"),
        (["sweep", "--data", "digits", "--lam", "0.1,abc"], "not a comma-separated list"),
    ],
)
def test_bad_arguments_exit_2_with_one_clear_line(capsys, argv: list[str], message: str) -> None:
    assert message in cli_error(capsys, *argv)


def test_bad_csv_exits_2_naming_the_problem(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,3\n4,nan,6\n7,8,9\n")
    assert "NaN" in cli_error(capsys, "train", "--data", str(bad))


def test_module_entry_point_runs_as_a_subprocess() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sae_core", "train", "--data", "digits", "--lam", "nan"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "lam=nan" in done.stderr


def test_eval_without_data_replays_the_runs_own_split_and_preprocessing(capsys, tmp_path) -> None:
    run_dir = tmp_path / "std"
    trained = cli_json(
        capsys,
        "train",
        "--data",
        "synthetic",
        "--opt",
        "n_features=16",
        "--opt",
        "d_in=8",
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
    )
    evaluated = cli_json(capsys, "eval", str(run_dir), "--json")
    for key in ("mse", "fve", "l0", "mmcs"):
        assert evaluated["metrics"][key] == pytest.approx(trained["metrics"][key], abs=1e-6)
