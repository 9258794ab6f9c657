"""``net:digits``: a small MLP's hidden activations as data, trained once and cached on disk."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sae_core.data import load_dataset
from sae_core.data import network as network_module
from sae_core.data.dataset import Dataset
from sae_core.errors import ConfigError, DataError
from tests.helpers.env import require_shared_mnist

FAST = {"epochs": 5}  # enough for the shapes; the accuracy test trains the default network


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One temporary network cache for the module (never the user's ~/.cache)."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SAE_EXPLORER_CACHE", str(folder))
        yield folder


@pytest.fixture(scope="module")
def net(cache: Path) -> Dataset:
    return load_dataset("net:digits")


def test_net_digits_holds_relu_activations_on_the_digits_split(net: Dataset) -> None:
    digits = load_dataset("digits")
    assert (net.d_in, net.n_train, net.n_test) == (64, digits.n_train, digits.n_test)
    assert net.x_train.min() >= 0  # ReLU outputs
    assert net.y_test is not None and digits.y_test is not None
    np.testing.assert_array_equal(net.y_test, digits.y_test)
    assert net.input_shape == (8, 8) and net.inputs_test is not None
    np.testing.assert_allclose(net.inputs_test, digits.x_test, atol=1e-6)  # digits / 16


def test_the_default_classifier_is_accurate_and_says_so(net: Dataset) -> None:
    assert net.readout is not None and net.y_test is not None
    accuracy = np.mean(net.readout.logits(net.x_test).argmax(1) == net.y_test)
    assert accuracy > 0.9
    assert f"test accuracy {accuracy:.1%}" in net.description


def test_the_network_is_cached_by_its_setup_and_reloads_identically(
    cache: Path, net: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert list((cache / "networks").glob("*.npz"))

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached network was trained again")

    monkeypatch.setattr(network_module, "train_classifier", no_training)
    again = load_dataset("net")
    np.testing.assert_array_equal(again.x_test, net.x_test)


def test_a_cache_dir_option_keeps_networks_there(tmp_path: Path) -> None:
    load_dataset("net:digits", cache_dir=str(tmp_path), width=8, **FAST)
    assert len(list((tmp_path / "networks").glob("*.npz"))) == 1


def test_the_second_layer_and_width_are_options(cache: Path) -> None:
    data = load_dataset("net:digits", width=16, layer=2, **FAST)
    assert data.d_in == 16
    assert data.readout is not None and len(data.readout.weights) == 1


def test_max_samples_shrinks_both_splits_and_their_inputs(cache: Path) -> None:
    data = load_dataset("net:digits", max_samples=100, **FAST)
    assert data.n_train + data.n_test == 100
    assert data.inputs_train is not None and len(data.inputs_train) == data.n_train


def test_a_layer_that_does_not_exist_is_a_clear_error(cache: Path) -> None:
    with pytest.raises(ConfigError, match=r"layer=3 does not exist.*choose 1\.\.2"):
        load_dataset("net:digits", layer=3)
    with pytest.raises(ConfigError, match="width"):
        load_dataset("net:digits", width=0)


def test_an_unknown_base_data_set_is_a_clear_error(cache: Path) -> None:
    with pytest.raises(DataError, match="net:cifar is not available: choose net:digits"):
        load_dataset("net:cifar")


def test_a_dataset_rejects_inputs_that_do_not_match_its_samples(net: Dataset) -> None:
    assert net.inputs_test is not None
    with pytest.raises(DataError, match="inputs_test"):
        replace(net, inputs_test=net.inputs_test[:-1])
    with pytest.raises(DataError, match="input_shape"):
        replace(net, input_shape=(4, 4))


def test_net_mnist_reads_a_folder_and_keeps_28_by_28_inputs(cache: Path) -> None:
    folder = require_shared_mnist()
    data = load_dataset(f"net:mnist:{folder}", width=16, epochs=1, max_samples=500)
    assert data.d_in == 16 and data.input_shape == (28, 28)
    assert data.inputs_test is not None and data.inputs_test.shape == (data.n_test, 784)
    assert "trained on MNIST" in data.description
