"""Learn's metric glass box: every FVE definition's value for the shown model, with its formula."""

from __future__ import annotations

import numpy as np

from sae_core.analysis.definitions import (
    FVE_DEFINITIONS,
    SHRINKAGE_DEFINITIONS,
    fve_definitions,
    shrinkage_definitions,
)
from sae_core.ui.explain import NO_MODEL_TEXT
from tests.helpers.app import app_with_model, make_current, open_app

LEARN_PAGE = "app_pages/learn.py"


def _latex(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(e.value).strip("$\n") for e in at.latex]


def test_the_learn_page_shows_the_four_fve_values_of_the_shown_model() -> None:
    current = make_current("digits", epochs=2)
    at = app_with_model(current, LEARN_PAGE)
    expected = fve_definitions(current.dataset.x_test, current.x_hat)
    shown = at.dataframe[0].value
    assert shown["definition"].tolist() == [d.name for d in FVE_DEFINITIONS]
    np.testing.assert_allclose(shown["value"], expected["value"], rtol=1e-12)
    np.testing.assert_allclose(shown["value"][0], current.metrics.fve, rtol=1e-12)
    expected_shrink = shrinkage_definitions(current.dataset.x_test, current.x_hat)
    np.testing.assert_allclose(at.dataframe[1].value["value"], expected_shrink["value"])
    text = " ".join(str(m.value) for m in at.markdown)
    for definition, value in zip(FVE_DEFINITIONS, expected["value"], strict=True):
        assert f"**{definition.name}** = {value:.4f}" in text
    latex = _latex(at)
    assert all(d.latex in latex for d in FVE_DEFINITIONS + SHRINKAGE_DEFINITIONS)


def test_without_a_model_the_learn_page_says_so_and_shows_the_formulas_only() -> None:
    at = open_app(LEARN_PAGE)
    assert NO_MODEL_TEXT in [str(i.value) for i in at.info]
    assert not at.dataframe
    latex = _latex(at)
    assert all(d.latex in latex for d in FVE_DEFINITIONS + SHRINKAGE_DEFINITIONS)
