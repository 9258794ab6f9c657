"""The Train page says so when it takes an uploaded CSV's "label" column as the labels."""

from __future__ import annotations

import io

import numpy as np

from tests.helpers.app import TRAIN_PAGE, app_state, click, open_app, set_widgets


def _labelled_csv() -> bytes:
    rng = np.random.default_rng(0)
    buffer = io.StringIO()
    table = np.column_stack([rng.random((120, 4)), rng.integers(0, 3, 120)])
    np.savetxt(buffer, table, delimiter=",", fmt="%.5f", header="a,b,c,d,label", comments="")
    return buffer.getvalue().encode()


def test_an_uploaded_label_column_is_used_as_labels_and_the_page_says_how_to_choose():
    at = open_app(TRAIN_PAGE)
    set_widgets(at, train_source="file").run()
    at.get_by_key("train_upload").set_value(("labelled.csv", _labelled_csv(), "text/csv"))
    set_widgets(at, train_epochs=1, train_d_sae=8, train_batch=32).run()
    notices = [str(i.value) for i in at.info if "used as the labels" in str(i.value)]
    assert len(notices) == 1 and "label_column=none" in notices[0]
    click(at, "train_go")
    current = app_state(at).current
    assert current is not None and current.dataset.d_in == 4 and current.dataset.has_labels

    set_widgets(at, train_label_column="none").run()
    assert not any("used as the labels" in str(i.value) for i in at.info)
