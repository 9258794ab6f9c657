"""Bad input the other test files do not cover: each gets a clear error and loses nothing.

docs/robustness.md lists every case with the test that proves it, here or elsewhere.
"""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from sae_core.config import METHODS, SAEConfig, TrainConfig
from sae_core.data import load_dataset, load_file_bytes
from sae_core.data.files.checks import MAX_COLUMNS
from sae_core.data.files.tabular import MAX_FILE_BYTES
from sae_core.errors import ConfigError, DataError, RunError, TrainingDivergedError
from sae_core.model import SparseAutoencoder
from sae_core.runs import list_broken_runs, list_runs, load_run, save_run
from sae_core.runs.format import WEIGHTS_FILE
from sae_core.training.fit import train
from sae_core.training.trainer import Trainer
from tests.helpers.cli import cli_error
from tests.helpers.files import all_rows, csv_bytes, idx_bytes, npy_bytes, npz_bytes

torch.set_num_threads(1)


def save_small_run(root: Path, name: str = "small", d_in: int = 5) -> Path:
    model = SparseAutoencoder(SAEConfig(d_in=d_in, d_sae=4))
    return save_run(model, TrainConfig(), metrics={}, history=None, data_name="x", name=name,
                    root=root)  # fmt: skip


# --- files ------------------------------------------------------------------------------------


def test_a_single_column_file_loads_as_one_input_dimension_and_trains() -> None:
    ds = load_file_bytes(b"x\n1\n2\n3\n4\n5\n", "one.csv")
    assert ds.d_in == 1 and ds.n_train + ds.n_test == 5
    trainer = Trainer(SAEConfig(d_in=1, d_sae=4), TrainConfig(steps=5, batch_size=2), ds.x_train)
    trainer.run()
    assert torch.isfinite(trainer.model().W_dec).all()


def test_a_single_column_used_as_the_label_leaves_no_features_and_is_refused() -> None:
    with pytest.raises(DataError, match="no feature columns: need at least one"):
        load_file_bytes(b"1\n2\n3\n", "one.csv", label_column=0)


@pytest.mark.parametrize(
    ("data", "name"),
    [(npy_bytes(np.ones((1, 3))), "one.npy"), (npz_bytes(x=np.ones((1, 3))), "one.npz")],
)
def test_a_single_row_array_is_refused(data: bytes, name: str) -> None:
    with pytest.raises(DataError, match=r"1 row\(s\): need at least 2 samples"):
        load_file_bytes(data, name)


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.npy", "is empty"),
        (b"", "empty.npz", "is empty"),
        (npy_bytes(np.zeros((0, 3))), "rows.npy", r"0 row\(s\)"),
        (npy_bytes(np.zeros((4, 0))), "cols.npy", "no feature columns"),
    ],
)
def test_empty_array_files_are_refused(data: bytes, name: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        load_file_bytes(data, name)


@pytest.mark.parametrize("bad", ["-inf", "1e400", "-1e999", "NaN"])
def test_minus_infinity_overflow_and_nan_in_a_csv_name_the_cell(bad: str) -> None:
    with pytest.raises(DataError, match=r"1 NaN or infinite value\(s\), the first at line 3, col"):
        load_file_bytes(f"a,b\n1,2\n3,{bad}\n5,6\n".encode(), "x.csv")


def test_values_beyond_float32_range_are_refused_not_turned_into_inf() -> None:
    data = npy_bytes(np.array([[1e300, 1.0], [2.0, 3.0], [4.0, 5.0]]))
    with pytest.raises(DataError, match="too large for 32-bit floats"):
        load_file_bytes(data, "big.npy")
    scaled = load_file_bytes(data, "big.npy", preprocess="scale01")
    assert np.isfinite(scaled.x_train).all() and np.isfinite(scaled.x_test).all()


@pytest.mark.parametrize("kind", ["csv", "npy"])
def test_more_columns_than_the_real_limit_are_refused(kind: str) -> None:
    width = MAX_COLUMNS + 1
    zeros = np.zeros((2, width), dtype=np.uint8)
    data = csv_bytes(zeros) if kind == "csv" else npy_bytes(zeros)
    with pytest.raises(DataError, match=f"{width} columns, more than the {MAX_COLUMNS} allowed"):
        load_file_bytes(data, f"wide.{kind}")


def test_a_file_far_over_the_cap_is_refused_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.csv"
    with open(path, "wb") as handle:  # sparse: 50 × the cap on disk costs no space
        handle.truncate(50 * MAX_FILE_BYTES)

    def no_reading(self: Path) -> bytes:
        raise AssertionError("the file was read")

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    with pytest.raises(DataError, match="is 10000 MB, more than the 200 MB allowed: subsample"):
        load_dataset(str(path))


def test_a_utf16_csv_is_decoded_and_the_user_told() -> None:
    ds = load_file_bytes("a,b\n1,2\n3,4\n5,6\n".encode("utf-16"), "wide.csv")
    assert ds.d_in == 2 and "read as UTF-16" in ds.description
    assert sorted(all_rows(ds)[:, 0]) == [1, 3, 5]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda plain: plain, r"named \.gz but is not gzip data: rename it"),
        (lambda plain: b"\x1f\x8b" + b"\x00" * 40, "corrupt gzip file"),
        (lambda plain: gzip.compress(plain)[:-12], "truncated gzip file"),
    ],
)
def test_a_gzip_that_is_not_gzip_is_refused(make, message: str) -> None:
    plain = idx_bytes(np.zeros((4, 3, 3), dtype=np.uint8))
    with pytest.raises(DataError, match=message):
        load_file_bytes(make(plain), "t10k-images-idx3-ubyte.gz")


def test_an_uploaded_idx_file_with_a_wrong_magic_number_is_refused() -> None:
    good = idx_bytes(np.zeros((4, 3, 3), dtype=np.uint8))
    with pytest.raises(DataError, match=r"not an IDX file \(bad magic number\)"):
        load_file_bytes(b"PK" + good[2:], "t10k-images-idx3-ubyte")


def test_an_idx_labels_file_uploaded_as_images_is_refused() -> None:
    labels = idx_bytes(np.arange(10, dtype=np.uint8))
    with pytest.raises(DataError, match=r"holds a 1-D array: expected \[n, height, width\]"):
        load_file_bytes(labels, "t10k-images-idx3-ubyte")


# --- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lam": -0.1}, "lam"),
        ({"lam": float("nan")}, "lam"),
        ({"lam": float("inf")}, "lam"),
        ({"lam": 1e7}, "lam"),
        ({"d_sae": 0}, "d_sae"),
        ({"d_sae": -3}, "d_sae"),
        ({"d_sae": 65_537}, "d_sae"),
        ({"d_sae": 2.5}, "d_sae"),
        ({"d_sae": True}, "d_sae"),
        ({"k": 0}, "k"),
        ({"method": "topk", "d_sae": 8, "k": 9}, "k"),
        ({"rho": 0.0}, "rho"),
        ({"rho": 1.0}, "rho"),
        ({"rho": -0.2}, "rho"),
        ({"rho": float("nan")}, "rho"),
        ({"weight_decay": -1.0}, "weight_decay"),
        ({"d_in": 0}, "d_in"),
        ({"tied": "yes"}, "tied"),
    ],
)
def test_bad_model_values_name_the_field_and_the_fix(changes: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{field}=.* is invalid: \S+"):
        SAEConfig(**{"d_in": 4, **changes})


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lr": 0.0}, "lr"),
        ({"lr": -1e-3}, "lr"),
        ({"lr": float("nan")}, "lr"),
        ({"lr": 11.0}, "lr"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": -5}, "batch_size"),
        ({"epochs": 0}, "epochs"),
        ({"epochs": -1}, "epochs"),
        ({"steps": 0}, "steps"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**32}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"threads": 0}, "threads"),
        ({"device": "tpu"}, "device"),
        ({"dead_remedy": "magic"}, "dead_remedy"),
        ({"aux_coef": float("inf")}, "aux_coef"),
    ],
)
def test_bad_training_values_name_the_field_and_the_fix(changes: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{field}=.* is invalid: \S+"):
        TrainConfig(**changes)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lam", "1e7"], "lam=10000000.0 is invalid"),
        (["--hidden", "-5"], "d_sae=-5 is invalid"),
        (["--hidden", "70000"], "d_sae=70000 is invalid"),
        (["--method", "topk", "--k", "0"], "k=0 is invalid"),
        (["--method", "kl", "--rho", "0"], "rho=0.0 is invalid"),
        (["--lr", "-1"], "lr=-1.0 is invalid"),
        (["--batch-size", "0"], "batch_size=0 is invalid"),
        (["--seed", "-1"], "seed=-1 is invalid"),
        (["--seed", str(2**32)], "seed=4294967296 is invalid"),
        (["--data-seed", "-1"], "seed=-1 is invalid"),
        (["--method", "topk", "--dead-remedy", "resample"], "use 'auxk' with TopK"),
        (["--max-samples", "1"], "max_samples=1 is invalid"),
        (["--test-fraction", "1"], "test_fraction=1.0 is invalid"),
        (["--preprocess", "bogus"], "preprocess='bogus' is invalid"),
        (["--opt", "no-equals-sign"], "write KEY=VALUE"),
        (["--steps", "0"], "steps=0 is invalid"),
        (["--threads", "0"], "threads=0 is invalid"),
        (["--hidden", "ten"], "invalid int value"),
    ],
)
def test_bad_values_on_the_command_line_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert message in cli_error(capsys, "train", "--data", "digits", *args)


def test_an_unknown_command_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert "invalid choice: 'fly'" in cli_error(capsys, "fly")


# --- training that diverges -------------------------------------------------------------------


def test_learning_rate_10_and_lambda_1e6_stop_training_and_keep_the_last_good_model(
    digits: np.ndarray,
) -> None:
    trainer = Trainer(
        SAEConfig(d_in=64, d_sae=32, lam=1e6), TrainConfig(steps=300, lr=10.0), digits
    )
    start = {name: p.detach().clone() for name, p in trainer.params.items()}
    with pytest.raises(TrainingDivergedError, match=r"diverged.*lower the learning rate \(lr=10\)"):
        trainer.run()
    assert trainer.step_count < 10  # stopped at once, not after 300 steps of garbage
    for name, param in trainer.params.items():  # restored to the step-0 snapshot, bit for bit
        assert torch.equal(param.detach(), start[name]), name


@pytest.mark.parametrize("method", METHODS)
def test_healthy_learning_rates_never_trip_the_divergence_check(
    digits: np.ndarray, method: str
) -> None:
    cfg = SAEConfig(d_in=64, d_sae=32, method=method, k=4, lam=1.0)
    trainer = Trainer(cfg, TrainConfig(steps=60, lr=0.1), digits)
    assert len(trainer.run()) == 60


def test_divergence_on_the_command_line_exits_2_and_saves_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "never"
    err = cli_error(capsys, "train", "--data", "digits", "--lr", "10", "--lam", "1e6",
                    "--out", str(out))  # fmt: skip
    assert "diverged" in err and "lower the learning rate" in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


# --- saved runs -------------------------------------------------------------------------------


def test_eval_against_data_of_another_width_exits_2_naming_both_widths(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run = save_small_run(tmp_path, d_in=5)
    err = cli_error(capsys, "eval", str(run), "--data", "digits")
    assert "model expects d_in=5 but the data has 64 columns" in err


def test_eval_of_a_run_with_corrupt_weights_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run = save_small_run(tmp_path)
    (run / WEIGHTS_FILE).write_bytes((run / WEIGHTS_FILE).read_bytes()[:-9])
    assert "not a readable safetensors file" in cli_error(capsys, "eval", str(run))


def _no_training(*args: object, **kwargs: object) -> None:
    raise AssertionError("training started before --out was checked")


@pytest.mark.parametrize("existing", [True, False])
def test_a_taken_or_unsafe_out_folder_is_refused_before_training(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    existing: bool,
) -> None:
    monkeypatch.setattr("sae_core.training.fit.train", _no_training)
    if existing:
        run = save_small_run(tmp_path, name="taken")
        before = (run / WEIGHTS_FILE).read_bytes()
        err = cli_error(capsys, "train", "--data", "digits", "--out", str(run))
        assert "already exists" in err and (run / WEIGHTS_FILE).read_bytes() == before
    else:
        err = cli_error(capsys, "train", "--data", "digits", "--out", str(tmp_path / "sp ace"))
        assert "is not allowed" in err and list(tmp_path.iterdir()) == []


def test_sweep_csv_into_a_missing_folder_is_refused_before_training(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sae_core.training.fit.train_sweep", _no_training)
    err = cli_error(capsys, "sweep", "--data", "digits", "--csv", str(tmp_path / "no" / "t.csv"))
    assert "its folder does not exist" in err


# --- safety -----------------------------------------------------------------------------------


class Payload:
    """Unpickling this creates ``marker``: proof that a loader executed the pickle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (Path.touch, (self.marker,))


def test_the_pickle_payload_really_runs_when_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(Payload(marker)))
    assert marker.exists()  # so the refusals below are meaningful


@pytest.mark.parametrize("suffix", ["npy", "npz"])
def test_a_malicious_pickle_in_an_array_file_is_refused_without_running(
    tmp_path: Path, suffix: str
) -> None:
    marker = tmp_path / "pwned"
    evil = np.array([Payload(marker), Payload(marker)], dtype=object)
    data = npy_bytes(evil) if suffix == "npy" else npz_bytes(x=evil)
    path = tmp_path / f"evil.{suffix}"
    path.write_bytes(data)
    with pytest.raises(DataError, match="would need unpickling"):
        load_file_bytes(data, path.name)
    with pytest.raises(DataError, match="would need unpickling"):
        load_dataset(str(path))
    assert not marker.exists()


def test_a_pickle_placed_as_weights_is_never_run_by_listing_loading_or_eval(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    run = save_small_run(tmp_path / "runs", name="evil")
    (run / WEIGHTS_FILE).write_bytes(pickle.dumps({"W_dec": Payload(marker)}))
    assert list_runs(tmp_path / "runs").empty
    assert list(list_broken_runs(tmp_path / "runs")["name"]) == ["evil"]
    with pytest.raises(RunError, match="not a readable safetensors file"):
        load_run("evil", tmp_path / "runs")
    assert "not a readable safetensors file" in cli_error(capsys, "eval", str(run))
    assert not marker.exists()


@pytest.mark.parametrize(
    "name",
    ["a\x00b", "a\nb", "~", "$HOME", "a:b", "..\\x", "run/", "./run", "a/../../x", "\u2215x"],
)
def test_run_names_with_path_characters_write_nothing_anywhere(tmp_path: Path, name: str) -> None:
    root = tmp_path / "root"
    model = SparseAutoencoder(SAEConfig(d_in=3, d_sae=2))
    with pytest.raises(RunError, match="is not allowed"):
        save_run(model, TrainConfig(), metrics={}, history=None, data_name="x", name=name,
                 root=root)  # fmt: skip
    written = [p for p in tmp_path.rglob("*") if p != root]
    assert written == []


def test_same_seed_data_and_config_give_identical_metrics() -> None:
    dataset = load_dataset("digits", max_samples=600, seed=1)
    cfg, tc = SAEConfig(d_in=64, d_sae=32), TrainConfig(steps=40, seed=5)
    first, second = train(cfg, dataset, tc), train(cfg, dataset, tc)
    assert first.metrics.to_dict() == second.metrics.to_dict()
    assert first.history.equals(second.history)
    other = train(cfg, dataset, tc.replace(seed=6))
    assert other.metrics.to_dict() != first.metrics.to_dict()
