"""Built-in sources, the registry, spec parsing, and the common split and preprocessing."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits

from sae_core.data import SOURCES, DataSpec, load_dataset, load_file_bytes, parse_data_spec
from sae_core.data.preprocessing import apply_preprocess, split_indices, standardise_warning
from sae_core.errors import ConfigError, DataError
from tests.helpers.files import all_labels, all_rows, npz_bytes


def assert_model_ready(ds) -> None:
    for x in (ds.x_train, ds.x_test):
        assert x.dtype == np.float32 and x.flags.c_contiguous and x.ndim == 2
        assert np.isfinite(x).all()
    assert ds.x_train.shape[1] == ds.x_test.shape[1]


# --- registry and specs ---------------------------------------------------------------------


def test_registry_lists_every_source_with_help_for_each_option():
    assert list(SOURCES)[:3] == ["digits", "patches", "synthetic"]
    assert {"mnist", "fashion-mnist", "idx", "file"} <= set(SOURCES)
    for name, source in SOURCES.items():
        assert source.name == name and source.title and source.description and source.needs
        assert len(source.option_help) == len(source.options)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("digits", DataSpec("digits")),
        (" Patches ", DataSpec("patches")),
        ("synthetic", DataSpec("synthetic")),
        ("mnist", DataSpec("mnist")),
        ("mnist:/data/m", DataSpec("mnist", "/data/m")),
        ("fashion-mnist", DataSpec("fashion-mnist")),
        ("fashion-mnist:/data/f", DataSpec("fashion-mnist", "/data/f")),
    ],
)
def test_named_specs_parse_to_their_source(spec, expected):
    assert parse_data_spec(spec) == expected


def test_paths_parse_by_what_they_are(tmp_path):
    csv = tmp_path / "x.csv"
    csv.write_text("1,2\n3,4\n")
    images = tmp_path / "t10k-images-idx3-ubyte.gz"
    images.write_bytes(b"")
    assert parse_data_spec(str(csv)) == DataSpec("file", str(csv))
    assert parse_data_spec(f"file:{csv}") == DataSpec("file", str(csv))
    assert parse_data_spec(str(tmp_path)) == DataSpec("idx", str(tmp_path))
    assert parse_data_spec(str(images)) == DataSpec("idx", str(images))
    assert str(parse_data_spec(f"mnist:{tmp_path}")) == f"mnist:{tmp_path}"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("dgits", "unknown data 'dgits'"),
        ("", "is invalid"),
        ("/no/such/file.csv", "does not exist"),
        ("digits:/x", "takes no path"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec, message):
    with pytest.raises((ConfigError, DataError), match=message):
        parse_data_spec(spec)


def test_unsupported_existing_file_names_the_accepted_types(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(DataError, match=r"unsupported file type.*\.csv"):
        parse_data_spec(str(path))


def test_options_for_another_source_are_named_in_the_error():
    with pytest.raises(ConfigError, match="patch_size do not apply to data source 'digits'"):
        load_dataset("digits", patch_size=8)
    with pytest.raises(ConfigError, match=r"bogus.*accepts n_features"):
        load_dataset("synthetic", bogus=1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"test_fraction": 1.0}, "test_fraction"),
        ({"seed": -1}, "seed"),
        ({"max_samples": 1}, "max_samples"),
        ({"preprocess": "normalise"}, "preprocess='normalise'"),
    ],
)
def test_bad_common_options_name_the_option(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        load_dataset("digits", **kwargs)


# --- digits -----------------------------------------------------------------------------------


def test_digits_are_8x8_labelled_and_scaled_to_unit_range():
    ds = load_dataset("digits")
    assert_model_ready(ds)
    assert (ds.n_train, ds.n_test, ds.d_in) == (1438, 359, 64)
    assert ds.image_shape == (8, 8) and ds.features is None
    assert ds.y_train.dtype == np.int64 and set(np.unique(ds.y_test)) == set(range(10))
    assert ds.x_train.min() == 0 and ds.x_train.max() == 1
    assert ds.preprocessing.steps == ("scale01",)
    # Oracle: undoing the scaling gives the scikit-learn rows the split chose.
    bunch = load_digits()
    train, test = split_indices(1797, 0.2, 0, bunch.target)
    np.testing.assert_allclose(ds.preprocessing.to_raw(ds.x_test), bunch.data[test], atol=1e-5)
    np.testing.assert_array_equal(ds.y_train, bunch.target[train])


def test_digits_are_read_from_scikit_learn_once_per_process(monkeypatch):
    import sklearn.datasets

    first = load_dataset("digits")

    def read_again(*args, **kwargs):
        raise AssertionError("the digits were read from scikit-learn again")

    monkeypatch.setattr(sklearn.datasets, "load_digits", read_again)
    again = load_dataset("digits")
    np.testing.assert_array_equal(first.x_test, again.x_test)


def test_same_seed_gives_identical_split_and_another_seed_differs():
    a, b, c = (load_dataset("digits", seed=s) for s in (3, 3, 4))
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.y_test, c.y_test)


def test_split_is_stratified_by_label():
    ds = load_dataset("digits", test_fraction=0.25)
    counts = np.bincount(all_labels(ds))
    np.testing.assert_allclose(np.bincount(ds.y_test), counts * 0.25, atol=1)


def test_max_samples_subsamples_deterministically():
    a = load_dataset("digits", max_samples=100, seed=1)
    b = load_dataset("digits", max_samples=100, seed=1)
    assert a.n_train + a.n_test == 100
    np.testing.assert_array_equal(a.x_test, b.x_test)


# --- preprocessing ----------------------------------------------------------------------------


@pytest.fixture
def identified_rows():
    """Rows whose label is their index, so a test can find each row's original values."""
    rng = np.random.default_rng(0)
    x = rng.normal(5, 3, size=(50, 4)) * np.array([1, 10, 100, 0.1])
    return x, npz_bytes(x=x, y=np.arange(50))


@pytest.mark.parametrize(
    "preprocess", ["none", "scale01", "standardise", "centre", "scale01+centre", "standardize"]
)
def test_to_raw_undoes_every_preprocessing(identified_rows, preprocess):
    x, data = identified_rows
    ds = load_file_bytes(data, "rows.npz", preprocess=preprocess)
    atol = 1e-6 * np.ptp(x)  # float32 resolution of the scaled values, in raw units
    np.testing.assert_allclose(ds.preprocessing.to_raw(ds.x_train), x[ds.y_train], atol=atol)
    np.testing.assert_allclose(ds.preprocessing.to_raw(ds.x_test), x[ds.y_test], atol=atol)


def test_standardise_uses_training_statistics_only(identified_rows):
    x, data = identified_rows
    ds = load_file_bytes(data, "rows.npz", preprocess="standardise")
    train = x[ds.y_train]
    np.testing.assert_allclose(ds.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(ds.x_train.std(axis=0), 1, atol=1e-5)
    expected_test = (x[ds.y_test] - train.mean(axis=0)) / train.std(axis=0)
    np.testing.assert_allclose(ds.x_test, expected_test, rtol=1e-4, atol=1e-5)


def test_standardise_leaves_a_constant_column_finite():
    x = np.ones((20, 3))
    x[:, 1] = np.arange(20)
    ds = load_file_bytes(npz_bytes(x=x), "c.npz", preprocess="standardise")
    assert np.isfinite(ds.x_train).all() and np.all(ds.x_train[:, 0] == 0)


def test_preprocessing_identity_is_known_and_to_raw_inverts_standardise() -> None:
    raw = load_dataset("digits", preprocess="none")
    assert raw.preprocessing.is_identity
    z = load_dataset("digits", preprocess="standardise")
    assert not z.preprocessing.is_identity
    back = z.preprocessing.to_raw(z.x_test)
    assert back.dtype == np.float32
    np.testing.assert_allclose(back, raw.x_test, atol=1e-4)


def test_standardising_a_barely_varying_dimension_is_named_in_a_warning() -> None:
    rng = np.random.default_rng(0)
    train = rng.normal(0, 1, (500, 4))
    train[:, 3] = rng.normal(0, 1e-3, 500)  # a near-constant column (an MNIST border pixel)
    test = rng.normal(0, 1, (100, 4))
    _, x_test, record = apply_preprocess(train, test, ("standardise",))
    warning = standardise_warning(record.steps, x_test)
    assert warning is not None and warning.startswith("1 dimension(s) barely vary")
    _, scaled, rec = apply_preprocess(train, test, ("scale01",))
    assert standardise_warning(rec.steps, scaled) is None
    healthy = rng.normal(0, 1, (500, 4))
    _, z, rec = apply_preprocess(healthy, healthy[:50], ("standardise",))
    assert standardise_warning(rec.steps, z) is None


# --- patches ----------------------------------------------------------------------------------


def test_patches_are_centred_per_patch_with_unit_std():
    ds = load_dataset("patches")
    assert_model_ready(ds)
    assert (ds.n_train + ds.n_test, ds.d_in, ds.image_shape) == (10_000, 64, (8, 8))
    assert ds.y_train is None
    np.testing.assert_allclose(ds.x_train.mean(axis=1), 0, atol=1e-5)
    assert ds.x_train.std() == pytest.approx(1, abs=1e-4)
    assert "centred" in ds.description and "8×8" in ds.description


@pytest.mark.parametrize("size", [12, 16])
def test_patch_size_sets_dimension_and_image_shape(size):
    ds = load_dataset("patches", patch_size=size, n_patches=500)
    assert ds.d_in == size * size and ds.image_shape == (size, size)


@pytest.mark.parametrize("whitening", ["zca", "pca"])
def test_whitening_decorrelates_the_training_patches(whitening):
    ds = load_dataset("patches", whitening=whitening, n_patches=4000, eps=1e-4)
    moments = ds.x_train.T.astype(np.float64) @ ds.x_train / ds.n_train
    eigenvalues = np.linalg.eigvalsh(moments)
    # One direction (the patch mean) was removed; the others come out with unit variance.
    np.testing.assert_allclose(eigenvalues[1:], 1, atol=0.02)
    assert whitening.upper() in ds.description
    assert ds.image_shape == ((8, 8) if whitening == "zca" else None)


def test_patches_depend_only_on_the_seed():
    a, b = load_dataset("patches", n_patches=200), load_dataset("patches", n_patches=200)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, load_dataset("patches", n_patches=200, seed=1).x_train)


@pytest.mark.parametrize(
    ("option", "message"),
    [({"patch_size": 1}, "patch_size"), ({"whitening": "zka"}, "whitening"), ({"eps": 0}, "eps")],
)
def test_bad_patch_options_are_config_errors(option, message):
    with pytest.raises(ConfigError, match=message):
        load_dataset("patches", **option)


# --- synthetic --------------------------------------------------------------------------------


def test_synthetic_keeps_unit_ground_truth_features():
    ds = load_dataset("synthetic", n_features=32, d_in=16, n_samples=1000, mean_active=3)
    assert_model_ready(ds)
    assert ds.features.shape == (32, 16) and ds.features.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ds.features, axis=1), 1, atol=1e-6)
    assert ds.y_train is None and ds.image_shape is None
    assert ds.n_train + ds.n_test == 1000


def test_synthetic_samples_are_sparse_combinations_of_the_features():
    ds = load_dataset(
        "synthetic", n_features=32, d_in=16, n_samples=4000, p_fire=0.1, magnitude="constant"
    )
    # Oracle: with constant magnitudes each sample is a 0/1 combination; least squares on the
    # overcomplete features is ambiguous, so check energy instead: E‖x‖² = Σ p‖g‖² + cross terms.
    g = ds.features.astype(np.float64)
    gram = g @ g.T
    p = 0.1
    expected = p * np.trace(gram) + p * p * (gram.sum() - np.trace(gram))
    x = all_rows(ds)
    assert (x**2).sum(axis=1).mean() == pytest.approx(expected, rel=0.05)


def test_synthetic_noise_and_feature_seed():
    clean = load_dataset("synthetic", n_samples=500)
    noisy = load_dataset("synthetic", n_samples=500, noise=0.5)
    assert (noisy.x_train - clean.x_train).std() == pytest.approx(0.5, rel=0.05)
    np.testing.assert_array_equal(clean.features, load_dataset("synthetic", seed=7).features)
    assert not np.array_equal(clean.features, load_dataset("synthetic", feature_seed=1).features)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"p_fire": 0.1, "mean_active": 2}, "not both"),
        ({"p_fire": 1.5}, "p_fire"),
        ({"magnitude": "gaussian"}, "magnitude"),
        ({"n_samples": 10**7, "n_features": 1000}, "too large"),
    ],
)
def test_bad_synthetic_options_are_config_errors(option, message):
    with pytest.raises(ConfigError, match=message):
        load_dataset("synthetic", **option)
