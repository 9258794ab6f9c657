"""``data SPEC --save FILE.npz``: the data set as the trainer sees it, and back through ``file``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sae_core.data import load_dataset
from tests.helpers.cli import cli_error, cli_json

TRAIN = ("--method", "topk", "--k", "4", "--hidden", "32", "--epochs", "2", "--json")


def _save(capsys: pytest.CaptureFixture[str], tmp_path: Path, *argv: str) -> Path:
    from sae_core.cli.commands import main

    path = tmp_path / "data.npz"
    assert main(["data", *argv, "--save", str(path)]) == 0
    assert "saved" in capsys.readouterr().out
    return path


def test_the_saved_file_holds_the_split_labels_and_image_shape_of_the_source(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _save(capsys, tmp_path, "digits", "--max-samples", "600")
    source = load_dataset("digits", max_samples=600)
    loaded = load_dataset(str(path))
    np.testing.assert_array_equal(loaded.x_train, source.x_train)
    np.testing.assert_array_equal(loaded.x_test, source.x_test)
    np.testing.assert_array_equal(loaded.y_test, source.y_test)
    assert loaded.image_shape == source.image_shape == (8, 8)
    with np.load(path) as npz:
        assert set(npz.files) == {"x", "split", "y", "image_shape"}


def test_an_upload_of_the_saved_file_keeps_its_split_too(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from sae_core.data import load_file_bytes

    path = _save(capsys, tmp_path, "synthetic", "--max-samples", "500")
    source = load_dataset("synthetic", max_samples=500)
    uploaded = load_file_bytes(path.read_bytes(), "data.npz")
    np.testing.assert_array_equal(uploaded.x_test, source.x_test)
    np.testing.assert_array_equal(uploaded.features, source.features)


@pytest.mark.parametrize(
    "spec",
    [
        ("digits", "--max-samples", "800"),
        ("synthetic", "--max-samples", "800", "--opt", "n_features=16", "--opt", "d_in=12"),
    ],
)
def test_training_on_the_saved_file_gives_the_metrics_of_training_on_the_source(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, spec: tuple[str, ...]
) -> None:
    path = _save(capsys, tmp_path, *spec)
    on_source = cli_json(capsys, "train", "--data", *spec, *TRAIN)["metrics"]
    on_file = cli_json(capsys, "train", "--data", str(path), *TRAIN)["metrics"]
    # synthetic: which features fire per sample is not saved, so F1 and absorption are not kept
    unsaved = {"f1", "absorption"}
    assert {k: v for k, v in on_file.items() if k not in unsaved} == {
        k: v for k, v in on_source.items() if k not in unsaved
    }
    if spec[0] == "synthetic":
        assert on_file["mcc"] is not None


def test_saving_needs_a_spec_and_an_npz_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert "needs a SPEC" in cli_error(capsys, "data", "--save", str(tmp_path / "a.npz"))
    assert "needs --save" in cli_error(capsys, "data", "digits")
    assert ".npz" in cli_error(capsys, "data", "digits", "--save", str(tmp_path / "a.csv"))


def test_a_split_array_that_does_not_fit_x_is_a_clear_error(tmp_path: Path) -> None:
    from sae_core.errors import DataError

    path = tmp_path / "bad.npz"
    np.savez(path, x=np.zeros((4, 3), np.float32), split=np.array([0, 1, 2], np.uint8))
    with pytest.raises(DataError, match="'split' must hold one 0"):
        load_dataset(str(path))


def test_input_images_are_saved_and_come_back_with_their_rows(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    g = np.random.default_rng(0)
    n = 50
    source_path = tmp_path / "acts.npz"
    # each image carries its row number, so a shuffled pairing would show
    images = np.arange(n, dtype=np.float32)[:, None, None] * np.ones((1, 3, 5), np.float32)
    x = g.normal(size=(n, 6)).astype(np.float32)
    np.savez(source_path, x=x, y=np.arange(n) % 3, images=images)
    path = _save(capsys, tmp_path, str(source_path), "--max-samples", "40")
    with np.load(path) as npz:
        assert npz["images"].shape == (40, 3, 5)
    source = load_dataset(str(source_path), max_samples=40)
    loaded = load_dataset(str(path))
    assert loaded.input_shape == source.input_shape == (3, 5)
    assert loaded.inputs_train is not None and loaded.inputs_test is not None
    assert source.inputs_train is not None and source.inputs_test is not None
    np.testing.assert_array_equal(loaded.inputs_train, source.inputs_train)
    np.testing.assert_array_equal(loaded.inputs_test, source.inputs_test)
    np.testing.assert_array_equal(loaded.x_test, source.x_test)
    rows = loaded.inputs_test[:, 0].astype(int)  # the row each image came from
    np.testing.assert_array_equal(loaded.x_test, x[rows])


def test_a_saved_file_whose_images_do_not_match_x_is_a_clear_error(tmp_path: Path) -> None:
    from sae_core.errors import DataError

    path = tmp_path / "bad.npz"
    split = np.array([0, 0, 1, 1], np.uint8)
    np.savez(path, x=np.zeros((4, 3), np.float32), split=split, images=np.zeros((3, 2, 2)))
    with pytest.raises(DataError, match="images has 3 images but x has 4 rows"):
        load_dataset(str(path))
