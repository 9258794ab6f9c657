"""CSV header guessing with a label column (QA #2): class names in the label column are data.

A headerless CSV whose last column holds class names used to lose its first row, taken as a
header because 'cat' is not a number. The guess now looks at the feature cells only.
"""

from __future__ import annotations

import numpy as np
import pytest

from sae_core.data import load_file_bytes
from sae_core.tabular import parse_table

ANIMALS = ["0.1,0.2,0.3,cat", "0.4,0.5,0.6,dog", "0.7,0.8,0.9,cat", "0.2,0.1,0.0,dog"] * 5


def csv(rows: list[str]) -> bytes:
    return "\n".join(rows).encode()


@pytest.mark.parametrize(
    "label_column", ["last", -1, 3, "3", "-1"], ids=["last", "-1", "3", "'3'", "'-1'"]
)
def test_headerless_csv_with_class_names_keeps_its_first_row(label_column: int | str) -> None:
    table = parse_table(csv(ANIMALS), "animals.csv", label_column=label_column)
    assert table.x.shape == (20, 3)
    np.testing.assert_allclose(table.x[0], [0.1, 0.2, 0.3])
    assert table.y is not None and table.y.tolist()[:4] == [0, 1, 0, 1]  # cat=0, dog=1


def test_a_class_whose_only_sample_is_the_first_row_is_kept() -> None:
    rows = ["0.9,0.9,0.9,bird", *ANIMALS]
    dataset = load_file_bytes(csv(rows), "animals.csv", label_column="last")
    assert dataset.n_train + dataset.n_test == 21
    labels = np.concatenate([dataset.y_train, dataset.y_test])
    assert sorted(set(labels.tolist())) == [0, 1, 2]  # bird, cat, dog


def test_label_column_first_with_class_names_and_no_header() -> None:
    rows = [",".join([row.split(",")[-1], *row.split(",")[:-1]]) for row in ANIMALS]
    table = parse_table(csv(rows), "animals.csv", label_column="first")
    assert table.x.shape == (20, 3) and table.y is not None and table.y[0] == 0


def test_a_real_header_with_word_feature_names_is_still_detected() -> None:
    rows = ["height,width,depth,species", *ANIMALS]
    table = parse_table(csv(rows), "animals.csv", label_column="last")
    assert table.x.shape == (20, 3)
    np.testing.assert_allclose(table.x[0], [0.1, 0.2, 0.3])


def test_a_header_named_by_the_label_option_is_detected_even_with_numeric_feature_names() -> None:
    rows = ["0,1,2,species", *ANIMALS]
    table = parse_table(csv(rows), "animals.csv", label_column="species")
    assert table.x.shape == (20, 3) and table.y is not None and table.y[0] == 0


def test_a_word_on_top_of_a_numeric_label_column_is_a_header() -> None:
    # pandas writes DataFrame(x).assign(label=y) with the header 0,1,2,label
    rows = ["0,1,2,label", "0.1,0.2,0.3,4", "0.4,0.5,0.6,7", "0.7,0.8,0.9,4"]
    table = parse_table(csv(rows), "p.csv", label_column="last")
    assert table.x.shape == (3, 3) and table.y is not None and table.y.tolist() == [4, 7, 4]


def test_has_header_still_overrides_the_guess() -> None:
    forced = parse_table(csv(ANIMALS), "animals.csv", label_column="last", has_header=True)
    assert forced.x.shape == (19, 3)


def test_without_a_label_column_a_word_in_the_first_row_still_means_a_header() -> None:
    rows = ["a,b,c", "1,2,3", "4,5,6"]
    assert parse_table(csv(rows), "t.csv").x.shape == (2, 3)
    assert parse_table(csv(rows[1:]), "t.csv").x.shape == (2, 3)
