"""Unusable folder paths (QA #6): an OSError from probing a path becomes a clear DataError.

``Path.is_dir()`` answers False for a missing path but raises OSError for a name too long for the
file system (ENAMETOOLONG), which reached the app as an "unexpected error".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sae_core.data import load_dataset
from sae_core.errors import DataError
from sae_core.idx import (
    find_idx_files,
    is_folder,
    is_plain_file,
    labels_beside,
    path_exists,
    read_mnist_folder,
)

LONG = "x" * 300  # longer than NAME_MAX (255) on every common file system


def test_reading_an_mnist_folder_with_a_too_long_name_is_a_data_error_naming_the_problem() -> None:
    with pytest.raises(DataError, match=r"\(300 characters\) is too long") as info:
        read_mnist_folder(LONG)
    message = str(info.value)
    assert "shorter path" in message and len(message) < 200  # the path is shortened


def test_probing_idx_files_under_a_too_long_name_is_a_data_error() -> None:
    with pytest.raises(DataError, match="too long"):
        find_idx_files(LONG)
    with pytest.raises(DataError, match="too long"):
        labels_beside(Path(LONG) / "train-images-idx3-ubyte")


def test_probes_answer_false_for_missing_paths_and_true_for_real_ones(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    assert not is_folder(missing) and not is_plain_file(missing) and not path_exists(missing)
    (tmp_path / "f.txt").write_text("x")
    assert is_folder(tmp_path) and is_plain_file(tmp_path / "f.txt") and path_exists(tmp_path)


def test_a_missing_mnist_folder_keeps_its_own_message(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="is not a folder"):
        read_mnist_folder(tmp_path / "missing")


def test_loading_mnist_from_a_too_long_folder_is_a_data_error() -> None:
    with pytest.raises(DataError, match="too long"):
        load_dataset(f"mnist:{LONG}")


def test_loading_an_idx_folder_with_a_too_long_name_is_a_data_error() -> None:
    with pytest.raises(DataError, match="too long"):
        load_dataset(f"idx:{LONG}")


def test_the_train_page_shows_a_too_long_folder_as_a_data_error() -> None:
    from tests.ui_helpers import TRAIN_PAGE, errors, open_app, set_widgets

    at = open_app(TRAIN_PAGE)
    set_widgets(at, train_source="mnist", train_folder_mnist=LONG).run()
    messages = errors(at)
    assert any("too long" in m for m in messages) and not any("unexpected" in m for m in messages)
