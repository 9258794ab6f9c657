"""User files (CSV, NPY, NPZ) from paths and uploads: good ones load, bad ones say why."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sae_core.data import load_dataset, load_file_bytes
from sae_core.data.files import tabular
from sae_core.data.files.tabular import parse_table
from sae_core.errors import ConfigError, DataError, SAEExplorerError
from tests.helpers.files import (
    all_labels,
    all_rows,
    csv_bytes,
    lines_bytes,
    npy_bytes,
    npz_bytes,
    zip_bytes,
)


def load_csv(text: str, **options):
    return load_file_bytes(text.encode(), "data.csv", **options)


# --- good files -------------------------------------------------------------------------------


def test_csv_with_header_and_label_column_by_name(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,10,0\n")
    ds = load_dataset(str(path), label_column="label", test_fraction=0.4)
    assert ds.d_in == 2 and ds.has_labels and ds.image_shape is None
    assert ds.name == f"file:{path}" and ds.preprocessing.steps == ()
    rows = {tuple(r) for r in all_rows(ds)}
    assert rows == {(1, 2), (3, 4), (5, 6), (7, 8), (9, 10)}
    assert all(y == (x[0] // 2) % 2 for x, y in zip(ds.x_train, ds.y_train, strict=True))


@pytest.mark.parametrize("separator", [",", ";", "\t", " "])
def test_csv_separators_are_detected(separator):
    text = "\n".join(separator.join(str(v) for v in row) for row in [[1, 2, 3], [4, 5, 6]])
    ds = load_csv(text)
    assert ds.d_in == 3 and sorted(all_rows(ds)[:, 0]) == [1, 4]


def test_csv_header_is_detected_or_forced():
    assert load_csv("x,y\n1,2\n3,4\n").n_train + 1 == 2
    assert load_csv("1,2\n3,4\n5,6\n").n_train + load_csv("1,2\n3,4\n5,6\n").n_test == 3
    forced = load_csv("0,1\n3,4\n5,6\n", has_header=True)
    assert forced.n_train + forced.n_test == 2


def test_csv_label_column_variants():
    text = "1,2,7\n3,4,8\n5,6,7\n7,8,8\n"
    for option in ("last", -1, 2, "2"):
        ds = load_csv(text, label_column=option, test_fraction=0.5)
        assert ds.d_in == 2 and set(all_labels(ds)) == {7, 8}
    first = load_csv(text, label_column="first", test_fraction=0.5)
    assert set(all_labels(first)) == {1, 3, 5, 7}


def test_csv_class_names_become_numbered_labels():
    ds = load_csv("x,kind\n1,dog\n2,cat\n3,dog\n4,cat\n", label_column="kind", test_fraction=0.5)
    labels = dict(zip(all_rows(ds)[:, 0], all_labels(ds), strict=True))
    assert labels == {1: 1, 2: 0, 3: 1, 4: 0}
    assert "cat=0, dog=1" in ds.description


def test_csv_pandas_index_column_is_dropped():
    ds = load_csv(",a,b\n0,1.5,2\n1,3,4\n2,5,6\n")
    assert ds.d_in == 2 and "row index" in ds.description


def test_csv_image_shape_from_option():
    text = "\n".join(",".join(["1"] * 6) for _ in range(3))
    assert load_csv(text, image_shape="2x3").image_shape == (2, 3)
    assert load_csv(text, image_shape=(3, 2)).image_shape == (3, 2)
    square = "\n".join(",".join(["1"] * 9) for _ in range(3))
    assert load_csv(square, image_shape="auto").image_shape == (3, 3)


def test_latin1_csv_loads_and_says_so():
    data = "caf\xe9,b\n1,2\n3,4\n".encode("latin-1")
    ds = load_file_bytes(data, "l.csv")
    assert ds.d_in == 2 and "not valid UTF-8" in ds.description and "Latin-1" in ds.description


def test_npy_matrix_and_image_stack():
    matrix = np.arange(12, dtype=np.int16).reshape(4, 3)
    ds = load_file_bytes(npy_bytes(matrix), "m.npy", test_fraction=0.5)
    np.testing.assert_array_equal(np.sort(all_rows(ds), axis=0), matrix)
    stack = np.zeros((5, 4, 3), dtype=np.float32)
    assert load_file_bytes(npy_bytes(stack), "s.npy").image_shape == (4, 3)


def test_fortran_ordered_npy_keeps_its_values():
    matrix = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    ds = load_file_bytes(npy_bytes(matrix), "f.npy", test_fraction=0.5)
    np.testing.assert_array_equal(np.sort(all_rows(ds), axis=0), matrix)


def test_npz_with_x_and_labels_and_a_single_array(tmp_path):
    x = np.random.default_rng(0).normal(size=(10, 3))
    ds = load_file_bytes(npz_bytes(x=x, labels=np.arange(10) % 2, extra=np.ones(2)), "d.npz")
    assert ds.has_labels and "ignored arrays extra" in ds.description
    path = tmp_path / "one.npz"
    path.write_bytes(npz_bytes(whatever=x))
    assert load_dataset(str(path)).d_in == 3


def test_npy_label_column_is_taken_from_the_matrix():
    matrix = np.column_stack([np.arange(6.0), np.arange(6) % 3])
    ds = load_file_bytes(npy_bytes(matrix), "m.npy", label_column="last")
    assert ds.d_in == 1 and set(all_labels(ds)) == {0, 1, 2}


# --- bad files: each says what is wrong -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("  \n\n", "is empty"),
        ("a,b,c\n", "header row but no data rows"),
        ("1,2,3\n", "1 row"),
        ("1,2,3\n4,5\n6,7,8\n", "line 2 has 2 fields but the first line has 3"),
        ("a,b\n1,2\n3,x\n", r"line 3, column 2 \('b'\) holds 'x'"),
        ("1,2\n3,\n", "line 2, column 2 is empty"),
        ("a,b\n1,nan\n2,3\ninf,4\n", r"2 NaN or infinite value\(s\), the first at line 2"),
        ("1,2,0.5\n3,4,1\n", "label 0.5 at line 1 is not an integer"),
    ],
)
def test_bad_csv_content_is_explained(text, message):
    label = "last" if "0.5" in text else None
    with pytest.raises(DataError, match=message):
        load_csv(text, label_column=label)


@pytest.mark.parametrize(
    ("options", "message", "error"),
    [
        ({"label_column": "y"}, "names a column but data.csv has no header", DataError),
        ({"label_column": 5}, "out of range", DataError),
        ({"label_column": 1.5}, "label_column=1.5", ConfigError),
        ({"image_shape": "3x3"}, "9 pixels but data.csv has 2", DataError),
        ({"image_shape": "tall"}, "image_shape='tall'", ConfigError),
        ({"has_header": "yes"}, "has_header", ConfigError),
        ({"whitening": "zca"}, "whitening do not apply", ConfigError),
    ],
)
def test_bad_file_options_are_explained(options, message, error):
    with pytest.raises(error, match=message):
        load_csv("1,2\n3,4\n", **options)


def test_named_label_column_that_does_not_exist_lists_the_columns():
    with pytest.raises(DataError, match="no column 'y': its columns are a, b"):
        load_csv("a,b\n1,2\n3,4\n", label_column="y")


def test_too_many_columns_is_a_data_error(monkeypatch):
    monkeypatch.setattr("sae_core.data.files.checks.MAX_COLUMNS", 3)
    with pytest.raises(DataError, match="4 columns, more than the 3 allowed"):
        load_csv("1,2,3,4\n5,6,7,8\n")


def test_file_larger_than_the_limit_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(tabular, "MAX_FILE_BYTES", 10)
    path = tmp_path / "big.csv"
    path.write_text("1,2,3\n4,5,6\n")
    with pytest.raises(DataError, match="more than the 0 MB allowed"):
        load_dataset(str(path))
    with pytest.raises(DataError, match="more than"):
        load_file_bytes(path.read_bytes(), "big.csv")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (npy_bytes(np.array([1, 2], dtype=object)), "Python objects"),
        (npy_bytes(np.arange(5.0)), r"shape \(5,\): need a 2-D"),
        (npy_bytes(np.zeros((2, 2, 2, 2))), r"shape \(2, 2, 2, 2\)"),
        (npy_bytes(np.array(["a", "b"]).reshape(2, 1)), "<U1 values"),
        (npy_bytes(np.array([[1 + 1j], [2]])), "complex128"),
        (npy_bytes(np.zeros((3, 2)))[:-5], "truncated"),
        (b"\x93NUMPY junk", "not a valid .npy"),
        (npy_bytes(np.array([[1.0, np.inf], [np.nan, 2], [3, 4]])), r"2 NaN.*index \[0, 1\]"),
    ],
)
def test_bad_npy_files_are_explained(data, message):
    with pytest.raises(DataError, match=message):
        load_file_bytes(data, "bad.npy")


def test_npy_non_integral_label_column_is_explained():
    data = npy_bytes(np.array([[1.0, 0.5], [2.0, 1.0], [3, 0]]))
    with pytest.raises(DataError, match=r"label 0.5 at index 0 is not an integer"):
        load_file_bytes(data, "bad.npy", label_column=-1)


def test_3d_stack_with_label_column_is_explained():
    with pytest.raises(DataError, match=r"3-D image stack.*save labels as y"):
        load_file_bytes(npy_bytes(np.zeros((3, 2, 2))), "s.npy", label_column=0)


def test_pickled_npz_member_is_refused():
    with pytest.raises(DataError, match="Python objects"):
        load_file_bytes(npz_bytes(x=np.array([{}, {}], dtype=object)), "p.npz")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (npz_bytes(), "holds no arrays"),
        (npz_bytes(a=np.ones((2, 2)), b=np.ones((2, 2))), "holds arrays a, b but none named x"),
        (b"PK\x03\x04 broken", "not a valid .npz"),
        (npz_bytes(x=np.ones((3, 2)), y=np.array([0, 1])), r"labels have shape \(2,\)"),
        (npz_bytes(x=np.ones((3, 2)), y=np.array([0, 1, 0.5])), "not an integer"),
    ],
)
def test_bad_npz_files_are_explained(data, message):
    with pytest.raises(DataError, match=message):
        load_file_bytes(data, "bad.npz")


def test_npz_member_that_inflates_too_far_is_refused(monkeypatch):
    monkeypatch.setattr("sae_core.data.files.npyfile.MAX_ARRAY_BYTES", 100)
    with pytest.raises(DataError, match="inflates to"):
        load_file_bytes(npz_bytes(x=np.zeros((10, 10))), "big.npz")


def test_unsupported_upload_type_is_explained():
    with pytest.raises(DataError, match=r"unsupported file type '\.xlsx'"):
        load_file_bytes(b"PK", "sheet.xlsx")


# --- header guessing with a label column ------------------------------------------------------
# Class names in the label column are data, not a header: the guess looks at the feature cells
# only (a headerless CSV whose last column held 'cat' used to lose its first row).

ANIMALS = ["0.1,0.2,0.3,cat", "0.4,0.5,0.6,dog", "0.7,0.8,0.9,cat", "0.2,0.1,0.0,dog"] * 5


@pytest.mark.parametrize(
    "label_column", ["last", -1, 3, "3", "-1"], ids=["last", "-1", "3", "'3'", "'-1'"]
)
def test_headerless_csv_with_class_names_keeps_its_first_row(label_column: int | str) -> None:
    table = parse_table(lines_bytes(ANIMALS), "animals.csv", label_column=label_column)
    assert table.x.shape == (20, 3)
    np.testing.assert_allclose(table.x[0], [0.1, 0.2, 0.3])
    assert table.y is not None and table.y.tolist()[:4] == [0, 1, 0, 1]  # cat=0, dog=1


def test_a_class_whose_only_sample_is_the_first_row_is_kept() -> None:
    rows = ["0.9,0.9,0.9,bird", *ANIMALS]
    dataset = load_file_bytes(lines_bytes(rows), "animals.csv", label_column="last")
    assert dataset.n_train + dataset.n_test == 21
    labels = all_labels(dataset)
    assert sorted(set(labels.tolist())) == [0, 1, 2]  # bird, cat, dog


def test_label_column_first_with_class_names_and_no_header() -> None:
    rows = [",".join([row.split(",")[-1], *row.split(",")[:-1]]) for row in ANIMALS]
    table = parse_table(lines_bytes(rows), "animals.csv", label_column="first")
    assert table.x.shape == (20, 3) and table.y is not None and table.y[0] == 0


def test_a_real_header_with_word_feature_names_is_still_detected() -> None:
    rows = ["height,width,depth,species", *ANIMALS]
    table = parse_table(lines_bytes(rows), "animals.csv", label_column="last")
    assert table.x.shape == (20, 3)
    np.testing.assert_allclose(table.x[0], [0.1, 0.2, 0.3])


def test_a_header_named_by_the_label_option_is_detected_even_with_numeric_feature_names() -> None:
    rows = ["0,1,2,species", *ANIMALS]
    table = parse_table(lines_bytes(rows), "animals.csv", label_column="species")
    assert table.x.shape == (20, 3) and table.y is not None and table.y[0] == 0


def test_a_word_on_top_of_a_numeric_label_column_is_a_header() -> None:
    # pandas writes DataFrame(x).assign(label=y) with the header 0,1,2,label
    rows = ["0,1,2,label", "0.1,0.2,0.3,4", "0.4,0.5,0.6,7", "0.7,0.8,0.9,4"]
    table = parse_table(lines_bytes(rows), "p.csv", label_column="last")
    assert table.x.shape == (3, 3) and table.y is not None and table.y.tolist() == [4, 7, 4]


def test_has_header_still_overrides_the_guess() -> None:
    forced = parse_table(lines_bytes(ANIMALS), "animals.csv", label_column="last", has_header=True)
    assert forced.x.shape == (19, 3)


def test_without_a_label_column_a_word_in_the_first_row_still_means_a_header() -> None:
    rows = ["a,b,c", "1,2,3", "4,5,6"]
    assert parse_table(lines_bytes(rows), "t.csv").x.shape == (2, 3)
    assert parse_table(lines_bytes(rows[1:]), "t.csv").x.shape == (2, 3)


# --- properties -------------------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
matrices = arrays(np.float64, st.tuples(st.integers(2, 12), st.integers(1, 6)), elements=finite)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(matrix=matrices)
def test_any_finite_matrix_round_trips_through_csv(matrix):
    table = tabular.parse_table(csv_bytes(matrix), "m.csv", has_header=False)
    np.testing.assert_array_equal(table.x, matrix)


@settings(max_examples=60, deadline=None)
@given(matrix=matrices, dtype=st.sampled_from([np.float64, np.float32]))
def test_any_finite_matrix_round_trips_through_npy(matrix, dtype):
    with np.errstate(over="ignore"):
        matrix = matrix.astype(dtype)
    if not np.isfinite(matrix).all():  # float64 values beyond float32's range
        return
    table = tabular.parse_table(npy_bytes(matrix), "m.npy")
    np.testing.assert_array_equal(table.x, matrix)


@settings(max_examples=300, deadline=None)
@given(
    data=st.one_of(
        st.binary(max_size=300),
        st.text(alphabet='0123456789,.;\t -+eEinfa"\n\r_x', max_size=200).map(str.encode),
    ),
    filename=st.sampled_from(["j.csv", "j.tsv", "j.npy", "j.npz", "t10k-images-idx3-ubyte.gz"]),
    label_column=st.sampled_from([None, "last", 0]),
)
def test_junk_bytes_only_ever_raise_data_errors(data, filename, label_column):
    options = {} if "idx" in filename else {"label_column": label_column}
    try:
        ds = load_file_bytes(data, filename, **options)
    except SAEExplorerError as exc:
        assert isinstance(exc, DataError), exc
        assert "bad.npy" not in str(exc) and str(exc)
    else:
        assert np.isfinite(ds.x_train).all() and ds.n_train >= 1 and ds.n_test >= 1


@settings(max_examples=100, deadline=None)
@given(data=st.binary(min_size=1, max_size=200))
def test_junk_inside_a_zip_only_raises_data_errors(data):
    with pytest.raises(DataError):
        load_file_bytes(zip_bytes({"x.npy": b"\x93NUMPY" + data}), "z.npz")
