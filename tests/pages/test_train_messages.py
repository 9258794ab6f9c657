"""What the Train page says about uploaded files, failed trainings and bad models."""

from __future__ import annotations

import dataclasses
import io

import numpy as np

from tests.helpers.app import (
    TRAIN_PAGE,
    app_state,
    app_with_model,
    click,
    errors,
    make_current,
    open_app,
    set_widgets,
)


def _csv(x: np.ndarray) -> bytes:
    buffer = io.StringIO()
    np.savetxt(buffer, x, delimiter=",", fmt="%.6e")
    return buffer.getvalue().encode()


def _uploaded(name: str, x: np.ndarray) -> object:
    at = open_app(TRAIN_PAGE)
    set_widgets(at, train_source="file").run()
    at.get_by_key("train_upload").set_value((name, _csv(x), "text/csv"))
    set_widgets(at, train_epochs=2, train_d_sae=8, train_batch=32).run()
    assert not at.exception
    return at


def test_before_training_an_upload_the_results_area_names_the_file_not_digits() -> None:
    at = _uploaded("mine.csv", np.random.default_rng(0).random((200, 5)))
    text = " ".join(str(i.value) for i in at.info if "No model yet" in str(i.value))
    assert "mine.csv" in text and "digits" not in text.lower(), text


def test_a_first_training_that_diverges_at_once_does_not_claim_a_restored_model() -> None:
    x = 1e30 * (1 + np.random.default_rng(1).random((200, 4)))  # squares overflow float32
    at = _uploaded("huge.csv", x)
    click(at, "train_go")
    message = " ".join(errors(at))
    assert "too large" in message and "nothing was trained" in message, message
    assert "last good state" not in message
    assert app_state(at).current is None


def test_values_beyond_float32_name_the_preprocessing_as_the_menu_does() -> None:
    x = np.full((50, 3), 1e39) * (1 + np.random.default_rng(2).random((50, 3)))
    at = _uploaded("beyond.csv", x)
    message = " ".join(errors(at))
    assert '"scale to [0, 1] per dimension"' in message, message
    assert "preprocess=scale01" not in message


def test_a_negative_fve_gets_a_warning_that_explains_it() -> None:
    current = make_current("digits", d_sae=8, epochs=1)
    current.metrics = dataclasses.replace(current.metrics, fve=-29.7)
    at = app_with_model(current, TRAIN_PAGE)
    warnings = " ".join(str(w.value) for w in at.warning)
    assert "FVE is -29.7" in warnings and "worse than predicting the mean" in warnings
    sidebar = " ".join(str(c.value) for c in at.sidebar.caption)
    assert "worse than predicting the mean" in sidebar
