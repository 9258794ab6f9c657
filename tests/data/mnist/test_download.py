"""The MNIST download, against a local HTTP server on 127.0.0.1 serving files the test makes."""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from sae_core.data import download_mnist, load_dataset
from sae_core.data.mnist.download import CHECKSUMS
from sae_core.data.mnist.idx import STANDARD_NAMES, write_idx
from sae_core.errors import ConfigError, DataError
from tests.helpers.browser import free_port

FILE_NAMES = [f"{name}.gz" for name in STANDARD_NAMES.values()]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch):
    for name in (
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def served(tmp_path) -> Iterator[tuple[str, dict[str, str]]]:
    """(base URL, checksums) of a tiny MNIST-format set served from a thread on 127.0.0.1."""
    folder = tmp_path / "served"
    rng = np.random.default_rng(0)
    for name, n in zip(FILE_NAMES, (20, 20, 8, 8), strict=True):
        if "images" in name:
            write_idx(folder / name, rng.integers(0, 256, (n, 4, 4), dtype=np.uint8))
        else:
            write_idx(folder / name, (np.arange(n) % 2).astype(np.uint8))
    checksums = {n: hashlib.md5((folder / n).read_bytes()).hexdigest() for n in FILE_NAMES}
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", checksums
    server.shutdown()
    server.server_close()


def test_download_fetches_verifies_and_loads(served, tmp_path):
    url, checksums = served
    folder = download_mnist("mnist", tmp_path / "cache", base_url=url, checksums=checksums)
    assert folder == tmp_path / "cache" / "mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILE_NAMES)  # no temp files left
    ds = load_dataset(f"mnist:{folder}")
    assert (ds.n_train, ds.n_test, ds.image_shape) == (20, 8, (4, 4))


def test_download_keeps_verified_files_without_asking_the_server_again(served, tmp_path):
    url, checksums = served
    download_mnist("mnist", tmp_path, base_url=url, checksums=checksums)
    dead = f"http://127.0.0.1:{free_port()}/"
    assert download_mnist("mnist", tmp_path, base_url=dead, checksums=checksums).is_dir()


def test_checksum_mismatch_is_a_data_error_and_leaves_no_file(served, tmp_path):
    url, checksums = served
    wrong = {**checksums, FILE_NAMES[0]: "0" * 32}
    with pytest.raises(DataError, match=r"checksum mismatch.*train-images-idx3-ubyte.gz"):
        download_mnist("mnist", tmp_path, base_url=url, checksums=wrong)
    assert not (tmp_path / "mnist" / FILE_NAMES[0]).exists()
    assert not list((tmp_path / "mnist").glob(".*part"))


def test_missing_file_on_the_server_is_a_data_error(served, tmp_path):
    url, _ = served
    with pytest.raises(DataError, match=r"could not download extra.gz.*404"):
        download_mnist("mnist", tmp_path, base_url=url, checksums={"extra.gz": "0" * 32})


def test_unreachable_server_is_a_data_error_that_suggests_a_folder(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/"
    with pytest.raises(DataError, match=r"could not download.*mnist:FOLDER"):
        download_mnist("mnist", tmp_path, base_url=url, timeout=2)


def test_mnist_download_option_fills_the_cache(served, tmp_path, monkeypatch):
    url, checksums = served
    monkeypatch.delenv("SAE_EXPLORER_MNIST_DIR", raising=False)
    monkeypatch.setattr("sae_core.data.mnist.download.MIRRORS", {"mnist": (url,)})
    monkeypatch.setattr("sae_core.data.mnist.download.CHECKSUMS", {"mnist": checksums})
    ds = load_dataset("mnist", cache_dir=str(tmp_path), download=True)
    assert ds.n_train == 20
    assert load_dataset("mnist", cache_dir=str(tmp_path)).n_test == 8  # now found in the cache


def test_default_cache_comes_from_the_environment(served, tmp_path, monkeypatch):
    url, checksums = served
    monkeypatch.setenv("SAE_EXPLORER_CACHE", str(tmp_path / "env-cache"))
    folder = download_mnist("fashion-mnist", base_url=url, checksums=checksums)
    assert folder == tmp_path / "env-cache" / "fashion-mnist"


def test_builtin_checksums_are_the_published_md5s():
    assert CHECKSUMS["mnist"]["train-images-idx3-ubyte.gz"] == "f68b3c2dcbeaaa9fbdd348bbdeb94873"
    assert CHECKSUMS["fashion-mnist"]["t10k-labels-idx1-ubyte.gz"] == (
        "bb300cfdad3c16e7a12a480ee83fd310"
    )
    assert all(len(table) == 4 for table in CHECKSUMS.values())


def test_unknown_kind_is_a_config_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="kind='kmnist'"):
        download_mnist("kmnist", tmp_path)
