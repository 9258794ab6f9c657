"""A CSV column named like a label is used as the labels, not trained on, and the user is told."""

from __future__ import annotations

import numpy as np
import pytest

from sae_core.data import load_dataset, load_file_bytes
from sae_core.data.files.tabular import parse_table
from tests.helpers.files import all_labels, all_rows

ROWS = ["1,2,0", "3,4,1", "5,6,0", "7,8,1", "9,10,0", "11,12,1"]


def _csv(header: str, rows: list[str] = ROWS) -> bytes:
    return "\n".join([header, *rows]).encode()


@pytest.mark.parametrize("name", ["label", "y", "target", "class", "Label", "TARGET", '"class"'])
def test_a_column_named_like_a_label_becomes_the_labels_with_a_notice(name: str) -> None:
    ds = load_file_bytes(_csv(f"a,b,{name}"), "data.csv")
    assert ds.d_in == 2 and ds.has_labels
    assert sorted(all_labels(ds).tolist()) == [0, 0, 0, 1, 1, 1]
    assert {tuple(r) for r in all_rows(ds)} == {(1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12)}
    (notice,) = ds.notices
    assert "column 3" in notice and "used as the labels" in notice
    assert "label_column" in notice and "label_column=none" in notice
    assert notice in ds.description


def test_the_label_named_column_may_come_first_and_hold_class_names() -> None:
    rows = ["cat,1,2", "dog,3,4", "cat,5,6", "dog,7,8"]
    table = parse_table(_csv("Class,a,b", rows), "pets.csv")
    assert table.x.tolist() == [[1, 2], [3, 4], [5, 6], [7, 8]]
    assert table.y is not None and table.y.tolist() == [0, 1, 0, 1]
    assert "column 1 ('Class')" in table.notices[0]


def test_label_column_none_trains_on_every_column_and_says_nothing() -> None:
    for option in ("none", "None"):
        table = parse_table(_csv("a,b,label"), "data.csv", label_column=option)
        assert table.x.shape == (6, 3) and table.y is None and table.notices == ()


def test_an_explicit_label_column_wins_over_the_name_and_needs_no_notice() -> None:
    table = parse_table(_csv("a,label,c"), "data.csv", label_column="c")
    assert table.x[:, 1].tolist() == [2, 4, 6, 8, 10, 12]
    assert table.y is not None and table.notices == ()


def test_a_label_named_column_of_non_integers_stays_a_feature_and_says_why() -> None:
    rows = ["1,2,0.25", "3,4,0.5", "5,6,0.75", "7,8,1.5"]
    table = parse_table(_csv("a,b,target", rows), "reg.csv")
    assert table.x.shape == (4, 3) and table.y is None
    (notice,) = table.notices
    assert "column 3 ('target') is named like a label but is trained on as a feature" in notice
    assert "not an integer class number" in notice


def test_a_second_label_named_column_is_named_in_the_notice_and_kept() -> None:
    table = parse_table(_csv("y,x,label"), "data.csv")
    assert table.x.shape == (6, 2) and table.y is not None
    assert "column 3 ('label') also named like a label" in table.notices[0]


def test_files_without_a_header_or_with_one_column_keep_their_columns() -> None:
    assert parse_table("\n".join(ROWS).encode(), "plain.csv").x.shape == (6, 3)
    only = parse_table(b"label\n1\n2\n3\n", "one.csv")
    assert only.x.shape == (3, 1) and only.notices == ()


def test_other_file_types_and_other_headers_are_unaffected() -> None:
    assert parse_table(_csv("a,b,c"), "data.csv").notices == ()
    assert parse_table(_csv("a,b,labels_x"), "data.csv").y is None


def test_the_notice_reaches_a_dataset_loaded_from_a_path(tmp_path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(_csv("a,b,label"))
    ds = load_dataset(str(path))
    assert ds.d_in == 2 and ds.has_labels and len(ds.notices) == 1
    assert np.all(np.isin(ds.y_train, [0, 1]))
