"""Saved runs: bit-exact round trips, listing, names, corrupt files and crash safety."""

from __future__ import annotations

import io
import json
import math
import multiprocessing
import os
import random
import signal
import sys
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import torch
from safetensors.torch import save as save_safetensors

import sae_core.runs.store as run_store
from sae_core.config import METHODS, SAEConfig, TrainConfig
from sae_core.errors import RunError
from sae_core.model import WEIGHT_NAMES, SparseAutoencoder
from sae_core.runs import (
    ENV_VAR,
    LoadedRun,
    check_run_compatible,
    default_run_name,
    delete_run,
    list_broken_runs,
    list_runs,
    load_run,
    model_bytes,
    remove_stale_temps,
    runs_root,
    safe_run_name,
    save_run,
)
from sae_core.runs.format import CONFIG_FILE, HISTORY_FILE, METRICS_FILE, WEIGHTS_FILE
from sae_core.runs.listing import METRIC_COLUMNS, RUN_COLUMNS
from tests.helpers.models import random_model

torch.set_num_threads(1)


def make_history(n: int = 4) -> pd.DataFrame:
    return pd.DataFrame(
        {"step": range(n), "loss": [1 / (i + 3) for i in range(n)], "l0": [3.5] * n}
    )


def save(model: SparseAutoencoder, root: Path, name: str | None = "run-a", **kw: object) -> Path:
    args: dict = {
        "metrics": {"mse": 0.125, "fve": 0.875, "l0": 2.5},
        "history": make_history(),
        "data_name": "digits",
        "name": name,
        "root": root,
        "train_seconds": 1.5,
    }
    args.update(kw)
    return save_run(model, TrainConfig(epochs=3, lr=1e-3, seed=7), **args)


def all_files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# --- round trip -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "tied"), [(m, False) for m in METHODS] + [("l1", True), ("kl", True)]
)
def test_save_then_load_round_trips_every_tensor_bit_exactly(
    tmp_path: Path, method: str, tied: bool
) -> None:
    model = random_model(method, tied=tied)
    save(model, tmp_path)
    loaded = load_run("run-a", root=tmp_path)
    before, after = model.weights(), loaded.model.weights()
    for name in WEIGHT_NAMES:
        assert after[name].dtype == torch.float32
        assert torch.equal(before[name], after[name]), name
    x = torch.randn(20, 6, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.equal(model.encode(x), loaded.model.encode(x))
        assert torch.equal(model(x), loaded.model(x))
    assert loaded.sae_config == model.cfg


def test_loaded_run_keeps_configs_metrics_history_and_data(tmp_path: Path) -> None:
    history = pd.DataFrame({"step": [0, 1, 2], "loss": [0.1, 1 / 3, 2.0 / 7], "lr": [1e-3] * 3})
    path = save(random_model(), tmp_path, history=history, extra={"note": "hello", "n": [1, 2]})
    loaded = load_run(path)  # a Path loads that folder directly
    assert isinstance(loaded, LoadedRun)
    assert loaded.name == "run-a" and loaded.path == path
    assert loaded.train_config == TrainConfig(epochs=3, lr=1e-3, seed=7)
    assert loaded.metrics == {"mse": 0.125, "fve": 0.875, "l0": 2.5}
    assert loaded.data_name == "digits"
    assert loaded.train_seconds == 1.5
    assert loaded.extra == {"note": "hello", "n": [1, 2]}
    assert loaded.created.tzinfo is not None
    pd.testing.assert_frame_equal(loaded.history, history, check_exact=True)


def test_config_json_holds_the_documented_fields(tmp_path: Path) -> None:
    path = save(random_model("topk"), tmp_path)
    config = json.loads((path / CONFIG_FILE).read_text())
    assert config["format_version"] == 1
    assert config["sae"] == random_model("topk").cfg.to_dict()
    assert config["train"]["epochs"] == 3
    assert config["data"] == "digits"
    assert config["train_seconds"] == 1.5
    assert sorted(p.name for p in path.iterdir()) == sorted(
        [CONFIG_FILE, WEIGHTS_FILE, METRICS_FILE, HISTORY_FILE]
    )


def test_non_finite_metrics_are_saved_as_null_and_load_as_none(tmp_path: Path) -> None:
    metrics = {"mse": float("nan"), "fve": float("inf"), "mcc": None, "l0": torch.tensor(2.0)}
    path = save(random_model(), tmp_path, metrics=metrics)
    assert json.loads((path / METRICS_FILE).read_text()) == {
        "mse": None,
        "fve": None,
        "mcc": None,
        "l0": 2.0,
    }
    assert load_run("run-a", tmp_path).metrics["mse"] is None


def test_empty_history_round_trips_as_empty_table(tmp_path: Path) -> None:
    save(random_model(), tmp_path, history=pd.DataFrame())
    assert load_run("run-a", tmp_path).history.empty


def test_a_metric_that_is_not_a_number_is_refused_before_writing(tmp_path: Path) -> None:
    with pytest.raises(RunError, match="metric 'mse'"):
        save(random_model(), tmp_path, metrics={"mse": "low"})
    assert all_files(tmp_path) == set()


# --- listing and deleting ---------------------------------------------------------------------


def test_list_runs_has_one_row_per_run_oldest_first_with_every_metric_column(
    tmp_path: Path,
) -> None:
    save(random_model("topk"), tmp_path, name="b-second", metrics={"mse": 0.5, "custom": 3})
    time.sleep(0.01)
    save(random_model("kl"), tmp_path, name="a-third", metrics={"mcc": 0.75})
    runs = list_runs(tmp_path)
    assert list(runs["name"]) == ["b-second", "a-third"]
    assert list(runs.columns[: len(RUN_COLUMNS)]) == list(RUN_COLUMNS)
    assert set(METRIC_COLUMNS) | {"custom"} <= set(runs.columns)
    first, second = runs.iloc[0], runs.iloc[1]
    assert first["method"] == "topk" and first["k"] == 2 and first["mse"] == 0.5
    assert first["custom"] == 3 and first["train_seconds"] == 1.5
    assert second["method"] == "kl" and second["rho"] == 0.05 and second["mcc"] == 0.75
    assert (first["d_in"], first["d_sae"], first["epochs"], first["seed"]) == (6, 5, 3, 7)
    assert first["data"] == "digits" and Path(first["path"]).name == "b-second"
    assert str(runs["created"].dtype).startswith("datetime64")


def test_list_runs_leaves_blank_the_settings_a_method_ignores(tmp_path: Path) -> None:
    save(random_model("topk"), tmp_path, name="t")
    save(random_model("l1"), tmp_path, name="l")
    runs = list_runs(tmp_path).set_index("name")
    assert pd.isna(runs.loc["t", "lam"]) and runs.loc["t", "k"] == 2
    assert runs.loc["l", "lam"] == 0.01 and pd.isna(runs.loc["l", "k"])
    assert pd.isna(runs.loc["l", "rho"])


@pytest.mark.parametrize("make_root", [lambda p: p / "missing", lambda p: p])
def test_missing_or_empty_root_lists_no_runs_but_all_columns(tmp_path: Path, make_root) -> None:
    runs = list_runs(make_root(tmp_path))
    assert runs.empty
    assert list(runs.columns) == [*RUN_COLUMNS, *METRIC_COLUMNS]
    assert list_broken_runs(make_root(tmp_path)).empty


def test_delete_run_removes_it_from_disk_and_listing(tmp_path: Path) -> None:
    save(random_model(), tmp_path, name="keep")
    save(random_model(), tmp_path, name="drop")
    delete_run("drop", tmp_path)
    assert list(list_runs(tmp_path)["name"]) == ["keep"]
    assert all_files(tmp_path) == {"keep"} | {f"keep/{f}" for f in all_files(tmp_path / "keep")}
    with pytest.raises(RunError, match="no run named 'drop'"):
        delete_run("drop", tmp_path)
    with pytest.raises(RunError, match="not allowed"):
        delete_run("../keep", tmp_path)


def test_env_var_chooses_the_runs_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "from-env"))
    assert runs_root() == tmp_path / "from-env"
    assert runs_root(tmp_path / "explicit") == tmp_path / "explicit"
    save_run(
        random_model(), TrainConfig(), metrics={}, history=make_history(), data_name="d", name="e"
    )
    assert (tmp_path / "from-env" / "e" / WEIGHTS_FILE).is_file()
    assert list(list_runs()["name"]) == ["e"]


def test_default_root_is_runs_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    assert runs_root() == Path("runs")
    save_run(random_model(), TrainConfig(), metrics={}, history=make_history(), data_name="d")
    assert len(list(Path("runs").iterdir())) == 1


def test_default_run_name_reads_like_the_config_and_is_unique(tmp_path: Path) -> None:
    from datetime import datetime

    now = datetime(2026, 11, 25, 11, 5, 1)
    cfg = SAEConfig(d_in=6, d_sae=128, method="l1", lam=0.003)
    name = default_run_name(cfg, tmp_path, now=now)
    assert name == "20261125-110501-l1-lam0.003-h128"
    (tmp_path / name).mkdir()
    assert default_run_name(cfg, tmp_path, now=now) == name + "-2"
    topk = default_run_name(cfg.replace(method="topk", k=8), tmp_path, now=now)
    assert topk == "20261125-110501-topk-k8-h128"
    assert safe_run_name(default_run_name(cfg.replace(lam=1e-5), tmp_path)) is not None


def test_saving_without_a_name_uses_a_fresh_default_name(tmp_path: Path) -> None:
    first = save(random_model(), tmp_path, name=None)
    second = save(random_model(), tmp_path, name=None)
    assert first != second and "-l1-lam0.01-h5" in first.name
    assert len(list_runs(tmp_path)) == 2


def test_saving_over_an_existing_run_is_refused_and_keeps_the_old_one(tmp_path: Path) -> None:
    save(random_model(seed=1), tmp_path)
    with pytest.raises(RunError, match="already exists"):
        save(random_model(seed=2), tmp_path)
    kept = load_run("run-a", tmp_path).model.weights()["W_dec"]
    assert torch.equal(kept, random_model(seed=1).weights()["W_dec"])
    assert [p.name for p in tmp_path.iterdir()] == ["run-a"]


# --- names and paths --------------------------------------------------------------------------

BAD_NAMES = ["../evil", "a/b", "a\\b", "", "x" * 81, ".hidden", "..", "a..b", "sp ace", "é", "/abs"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_unsafe_names_are_rejected_and_nothing_is_written(tmp_path: Path, name: str) -> None:
    root = tmp_path / "root"
    with pytest.raises(RunError, match=r"letters, digits, '\.', '_' or '-'"):
        safe_run_name(name)
    with pytest.raises(RunError, match="not allowed"):
        save(random_model(), root, name=name)
    assert all_files(tmp_path) <= {"root"}  # the root may exist, empty
    with pytest.raises(RunError, match="not allowed"):
        load_run(name, root)


@pytest.mark.parametrize("name", ["a", "run-1", "A_b.c-9", "x" * 80, "v1.2"])
def test_safe_names_are_accepted(name: str) -> None:
    assert safe_run_name(name) == name


def test_a_link_leading_outside_the_root_is_not_followed(tmp_path: Path) -> None:
    outside = save(random_model(), tmp_path / "elsewhere")
    root = tmp_path / "root"
    root.mkdir()
    (root / "sneaky").symlink_to(outside, target_is_directory=True)
    with pytest.raises(RunError, match="outside the runs folder"):
        load_run("sneaky", root)
    assert list_runs(root).empty
    assert list(list_broken_runs(root)["name"]) == ["sneaky"]


def test_check_run_compatible_names_both_widths(tmp_path: Path) -> None:
    loaded = load_run(save(random_model(d_in=6), tmp_path))
    check_run_compatible(loaded, 6)
    with pytest.raises(RunError) as info:
        check_run_compatible(loaded, 64)
    assert str(info.value) == (
        "model expects d_in=6 but the data has 64 columns: load it with data of the same width"
    )


def test_model_bytes_is_a_zip_of_a_loadable_run(tmp_path: Path) -> None:
    model = random_model("topk")
    data = model_bytes(model, TrainConfig(), metrics={"mse": 0.1}, data_name="digits")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == sorted(
            [CONFIG_FILE, WEIGHTS_FILE, METRICS_FILE, HISTORY_FILE]
        )
        archive.extractall(tmp_path / "unzipped")
    loaded = load_run(tmp_path / "unzipped")
    assert torch.equal(loaded.model.W_dec, model.W_dec) and loaded.metrics == {"mse": 0.1}


# --- corrupt and mismatched files -------------------------------------------------------------


def _edit_config(path: Path, edit) -> None:
    config = json.loads((path / CONFIG_FILE).read_text())
    edit(config)
    (path / CONFIG_FILE).write_text(json.dumps(config))


def _truncate(path: Path) -> None:
    data = (path / WEIGHTS_FILE).read_bytes()
    (path / WEIGHTS_FILE).write_bytes(data[: len(data) - 7])


def _nan_weights(path: Path) -> None:
    weights = random_model().weights()
    weights["b_enc"][1] = math.nan
    (path / WEIGHTS_FILE).write_bytes(save_safetensors(weights))


def _pickled_weights(path: Path) -> None:
    torch.save(random_model().weights(), path / WEIGHTS_FILE)


CORRUPTIONS = {
    "missing weights": (lambda p: (p / WEIGHTS_FILE).unlink(), "has no weights.safetensors"),
    "truncated weights": (_truncate, "not a readable safetensors file"),
    "random bytes": (
        lambda p: (p / WEIGHTS_FILE).write_bytes(random.Random(0).randbytes(300)),
        "not a readable safetensors file",
    ),
    "pickle instead of safetensors": (_pickled_weights, "not a readable safetensors file"),
    "NaN in weights": (_nan_weights, "NaN or infinite"),
    "shape mismatch": (
        lambda p: _edit_config(p, lambda c: c["sae"].update(d_sae=7)),
        r"shape \[6, 5\] but the config says \[6, 7\]",
    ),
    "newer format": (
        lambda p: _edit_config(p, lambda c: c.update(format_version=99)),
        "newer SAE Explorer \\(format 99",
    ),
    "unknown top-level field": (
        lambda p: _edit_config(p, lambda c: c.update(colour="red")),
        "unknown field\\(s\\) colour",
    ),
    "unknown sae field": (
        lambda p: _edit_config(p, lambda c: c["sae"].update(flavour=1)),
        "unknown SAEConfig field\\(s\\) flavour",
    ),
    "invalid sae value": (
        lambda p: _edit_config(p, lambda c: c["sae"].update(method="magic")),
        "method='magic' is invalid",
    ),
    "malformed config JSON": (
        lambda p: (p / CONFIG_FILE).write_text('{"format_version": 1,'),
        "config.json of run 'run-a' is not valid JSON",
    ),
    "config not an object": (lambda p: (p / CONFIG_FILE).write_text("[1]"), "JSON object"),
    "missing config": (lambda p: (p / CONFIG_FILE).unlink(), "has no config.json"),
    "malformed metrics": (
        lambda p: (p / METRICS_FILE).write_text('{"mse": "low"}'),
        "metric 'mse' has value 'low'",
    ),
    "missing history": (lambda p: (p / HISTORY_FILE).unlink(), "has no history.csv"),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_each_corrupt_file_gives_a_run_error_naming_the_problem(tmp_path: Path, case: str) -> None:
    corrupt, message = CORRUPTIONS[case]
    save(random_model(), tmp_path, name="good")
    corrupt(save(random_model(), tmp_path))
    with pytest.raises(RunError, match=message):
        load_run("run-a", tmp_path)
    if case == "NaN in weights":  # listing reads only the weights' header, not the values
        return
    assert list(list_runs(tmp_path)["name"]) == ["good"]
    broken = list_broken_runs(tmp_path)
    assert list(broken["name"]) == ["run-a"]
    assert broken["error"].str.contains(message).all()


def test_loading_a_missing_run_says_so(tmp_path: Path) -> None:
    with pytest.raises(RunError, match="no run at"):
        load_run("nothing-here", tmp_path)
    with pytest.raises(RunError, match="no run at"):
        load_run(tmp_path / "nothing-here")


def test_a_pickle_in_the_weights_file_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    path = save(random_model(), tmp_path)
    torch.save({"W_dec": Evil()}, path / WEIGHTS_FILE)
    with pytest.raises(RunError, match="not a readable safetensors"):
        load_run("run-a", tmp_path)
    assert not marker.exists()


# --- atomicity --------------------------------------------------------------------------------


def test_a_failure_while_writing_leaves_no_run_and_no_temp_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = run_store.write_synced

    def failing_write(path: Path, content: bytes) -> None:
        if path.name == HISTORY_FILE:
            raise RuntimeError("simulated crash while writing history")
        real_write(path, content)

    monkeypatch.setattr(run_store, "write_synced", failing_write)
    with pytest.raises(RuntimeError, match="simulated crash"):
        save(random_model(), tmp_path)
    assert list_runs(tmp_path).empty
    assert not (tmp_path / "run-a").exists()
    assert all_files(tmp_path) == set()


def test_a_disk_error_while_writing_becomes_a_run_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(path: Path, content: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(run_store, "write_synced", full_disk)
    with pytest.raises(RunError, match="No space left on device"):
        save(random_model(), tmp_path)
    assert all_files(tmp_path) == set()


def test_stale_temp_folders_are_removed_and_fresh_ones_kept(tmp_path: Path) -> None:
    save(random_model(), tmp_path)
    stale, fresh = tmp_path / ".tmp-old-1234", tmp_path / ".tmp-new-5678"
    for folder in (stale, fresh):
        folder.mkdir()
        (folder / WEIGHTS_FILE).write_bytes(b"half")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    assert list(list_runs(tmp_path)["name"]) == ["run-a"]
    assert not stale.exists() and fresh.exists()
    assert remove_stale_temps(tmp_path, max_age_seconds=0) == 1
    assert not fresh.exists()


def _save_forever(root: str, prefix: str) -> None:
    torch.set_num_threads(1)
    model, history = random_model(d_in=32, d_sae=64), make_history(3000)
    for i in range(10_000):
        save(model, Path(root), name=f"{prefix}-{i}", history=history)


@pytest.mark.skipif(
    sys.platform == "win32" or "fork" not in multiprocessing.get_all_start_methods(),
    reason="needs fork and SIGKILL",
)
def test_killing_a_saving_process_at_random_times_never_leaves_a_half_run(
    tmp_path: Path,
) -> None:
    ctx = multiprocessing.get_context("fork")  # fork: the child needs no fresh torch import
    rng = random.Random(1234)
    for attempt in range(10):
        child = ctx.Process(target=_save_forever, args=(str(tmp_path), f"c{attempt}"))
        child.start()
        time.sleep(rng.uniform(0.02, 0.4))
        os.kill(child.pid, signal.SIGKILL)
        child.join(5)
        assert child.exitcode == -signal.SIGKILL
    runs = list_runs(tmp_path)
    assert len(runs) > 0
    assert list_broken_runs(tmp_path).empty
    visible = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert visible == sorted(runs["name"])
    for name in runs["name"]:
        loaded = load_run(name, tmp_path)
        assert len(loaded.history) == 3000 and loaded.model.cfg.d_sae == 64
