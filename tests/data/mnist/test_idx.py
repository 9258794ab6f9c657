"""IDX files and MNIST-format folders: files the tests write, unusable paths, and real MNIST."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sae_core.data import load_dataset, load_file_bytes
from sae_core.data.mnist.idx import (
    find_idx_files,
    is_folder,
    is_plain_file,
    labels_beside,
    path_exists,
    read_idx,
    read_mnist_folder,
    write_idx,
)
from sae_core.errors import DataError
from tests.helpers.app import TRAIN_PAGE, errors, open_app, set_widgets
from tests.helpers.env import require_shared_mnist


def make_images(n: int, seed: int = 0, shape: tuple[int, int] = (6, 5)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, *shape), dtype=np.uint8)


def write_pair(folder: Path, split: str, images: np.ndarray, labels: np.ndarray, gz: bool) -> None:
    suffix = ".gz" if gz else ""
    write_idx(folder / f"{split}-images-idx3-ubyte{suffix}", images)
    write_idx(folder / f"{split}-labels-idx1-ubyte{suffix}", labels)


def labels_for(n: int) -> np.ndarray:
    return (np.arange(n) % 3).astype(np.uint8)


# --- the format -------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["u1", "i1", "i2", "i4", "f4", "f8"])
@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
def test_idx_round_trips_every_type_plain_and_gzipped(tmp_path, dtype, name):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    path = write_idx(tmp_path / name, array)
    back = read_idx(path)
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)


def test_written_idx_has_the_documented_header(tmp_path):
    path = write_idx(tmp_path / "x", make_images(2, shape=(3, 4)))
    data = path.read_bytes()
    assert data[:4] == bytes([0, 0, 0x08, 3])
    assert np.frombuffer(data[4:16], dtype=">u4").tolist() == [2, 3, 4]
    assert len(data) == 16 + 24


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d[:-1], "truncated"),
        (lambda d: d[:10], "truncated inside its header"),
        (lambda d: d + b"\x00", "bytes beyond"),
        (lambda d: b"\x01" + d[1:], "bad magic"),
        (lambda d: d[:2] + b"\x42" + d[3:], "type code 0x42"),
        (lambda d: d[:3] + b"\x09" + d[4:], "claims 9 dimensions"),
    ],
)
def test_damaged_idx_files_are_data_errors(tmp_path, mutate, message):
    good = write_idx(tmp_path / "good", make_images(3)).read_bytes()
    bad = tmp_path / "bad"
    bad.write_bytes(mutate(good))
    with pytest.raises(DataError, match=message):
        read_idx(bad)


def test_gz_name_without_gzip_data_is_a_data_error(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    write_idx(tmp_path / "plain", make_images(2)).rename(path)
    with pytest.raises(DataError, match=r"named .gz but is not gzip"):
        read_idx(path)


def test_truncated_gzip_is_a_data_error(tmp_path):
    path = write_idx(tmp_path / "x.gz", make_images(50))
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(DataError, match="truncated gzip"):
        read_idx(path)


@settings(max_examples=200, deadline=None)
@given(
    body=st.binary(max_size=200),
    header=st.sampled_from([b"", b"\x00\x00\x08\x01", b"\x00\x00\x08\x03", b"\x00\x00\x0d\x02"]),
    compress=st.booleans(),
)
def test_junk_idx_bytes_only_ever_raise_data_errors(body, header, compress):
    data = header + body
    data = gzip.compress(data) if compress else data
    try:
        array = read_idx(data, name="junk.gz" if compress else "junk")
    except DataError as exc:
        assert "junk" in str(exc)
    else:
        assert array.size * array.itemsize == len(header + body) - 4 - 4 * array.ndim


# --- folders ----------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True])
def test_a_four_file_folder_keeps_the_official_split(tmp_path, gz):
    train, test = make_images(30, 1), make_images(12, 2)
    write_pair(tmp_path, "train", train, labels_for(30), gz)
    write_pair(tmp_path, "t10k", test, labels_for(12), gz)
    ds = load_dataset(f"mnist:{tmp_path}")
    assert (ds.n_train, ds.n_test, ds.image_shape) == (30, 12, (6, 5))
    np.testing.assert_allclose(ds.x_test, test.reshape(12, -1) / 255, atol=1e-7)
    np.testing.assert_array_equal(ds.y_train, labels_for(30))
    assert ds.y_train.dtype == np.int64
    np.testing.assert_allclose(
        ds.preprocessing.to_raw(ds.x_train), train.reshape(30, -1), atol=1e-4
    )


def test_a_test_pair_only_folder_is_split_with_the_seed(tmp_path):
    images = make_images(40)
    write_pair(tmp_path, "t10k", images, labels_for(40), gz=True)
    a = load_dataset(str(tmp_path), seed=5)
    b = load_dataset(str(tmp_path), seed=5)
    assert a.name == f"idx:{tmp_path}" and (a.n_train, a.n_test) == (32, 8)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    rows = {row.tobytes() for row in images.reshape(40, -1)}
    assert {np.round(r * 255).astype(np.uint8).tobytes() for r in a.x_test} <= rows


def test_dotted_file_names_are_found(tmp_path):
    write_idx(tmp_path / "train-images.idx3-ubyte", make_images(4))
    write_idx(tmp_path / "train-labels.idx1-ubyte.gz", labels_for(4))
    assert set(find_idx_files(tmp_path)) == {"train_images", "train_labels"}
    assert load_dataset(str(tmp_path)).n_train == 3


def test_an_images_file_path_finds_its_labels_beside_it(tmp_path):
    write_pair(tmp_path, "t10k", make_images(10), labels_for(10), gz=True)
    ds = load_dataset(str(tmp_path / "t10k-images-idx3-ubyte.gz"), test_fraction=0.3)
    assert (ds.n_train, ds.n_test) == (7, 3) and ds.has_labels


def test_an_images_file_without_labels_names_the_missing_file(tmp_path):
    write_idx(tmp_path / "t10k-images-idx3-ubyte", make_images(4))
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte"):
        load_dataset(str(tmp_path / "t10k-images-idx3-ubyte"))
    with pytest.raises(DataError, match="no t10k-labels-idx1-ubyte"):
        load_dataset(str(tmp_path))


def test_label_count_mismatch_is_a_data_error(tmp_path):
    write_idx(tmp_path / "t10k-images-idx3-ubyte", make_images(5))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels_for(4))
    with pytest.raises(DataError, match=r"4 labels but .* 5 images"):
        load_dataset(str(tmp_path))


def test_empty_folder_and_missing_folder_are_data_errors(tmp_path):
    with pytest.raises(DataError, match="no MNIST-format IDX files"):
        load_dataset(f"mnist:{tmp_path}")
    with pytest.raises(DataError, match="missing does not exist"):
        load_dataset(f"mnist:{tmp_path / 'missing'}")


def test_mnist_uses_the_env_var_folder(tmp_path, monkeypatch):
    write_pair(tmp_path, "t10k", make_images(10), labels_for(10), gz=False)
    monkeypatch.setenv("SAE_EXPLORER_MNIST_DIR", str(tmp_path))
    assert load_dataset("mnist").n_train == 8


def test_mnist_not_on_the_machine_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.delenv("SAE_EXPLORER_MNIST_DIR", raising=False)
    monkeypatch.setenv("SAE_EXPLORER_CACHE", str(tmp_path))
    with pytest.raises(DataError, match=r"SAE_EXPLORER_MNIST_DIR.*download=True"):
        load_dataset("mnist")


def test_mnist_max_samples_keeps_the_official_split_proportions(tmp_path):
    write_pair(tmp_path, "train", make_images(60), labels_for(60), gz=False)
    write_pair(tmp_path, "t10k", make_images(20), labels_for(20), gz=False)
    ds = load_dataset(f"mnist:{tmp_path}", max_samples=40)
    assert (ds.n_train, ds.n_test) == (30, 10)


def test_an_uploaded_idx_images_file_loads_without_labels(tmp_path):
    data = write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", make_images(10)).read_bytes()
    ds = load_file_bytes(data, "t10k-images-idx3-ubyte.gz")
    assert ds.image_shape == (6, 5) and not ds.has_labels and ds.x_train.max() <= 1


# --- unusable paths ----------------------------------------------------------------------------
# ``Path.is_dir()`` answers False for a missing path but raises OSError for a name too long for
# the file system (ENAMETOOLONG); the probes turn that into a DataError that says what is wrong.

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
    at = open_app(TRAIN_PAGE)
    set_widgets(at, train_source="mnist", train_folder_mnist=LONG).run()
    messages = errors(at)
    assert any("too long" in m for m in messages) and not any("unexpected" in m for m in messages)


# --- the real MNIST test split ------------------------------------------------------------------


@pytest.fixture
def real_mnist() -> Path:
    return require_shared_mnist()


def test_real_mnist_test_split_is_the_published_file(real_mnist):
    raw = gzip.decompress((real_mnist / "t10k-images-idx3-ubyte.gz").read_bytes())
    assert hashlib.md5(raw).hexdigest() == "2646ac647ad5339dbf082846283269ea"
    images = read_idx(real_mnist / "t10k-images-idx3-ubyte.gz")
    assert images.shape == (10_000, 28, 28)
    labels = read_idx(real_mnist / "t10k-labels-idx1-ubyte.gz")
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_real_mnist_loads_as_a_split_labelled_image_dataset(real_mnist):
    ds = load_dataset(f"mnist:{real_mnist}")
    assert (ds.n_train, ds.n_test, ds.d_in, ds.image_shape) == (8000, 2000, 784, (28, 28))
    assert ds.x_train.dtype == np.float32 and ds.x_train.min() >= 0 and ds.x_train.max() == 1
    assert set(np.unique(ds.y_test)) == set(range(10))
    assert "10000 images" in ds.description
