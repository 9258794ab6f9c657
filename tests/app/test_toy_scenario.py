"""The scenario "Superposition in two dimensions" shows both geometries (its time is a benchmark:
``python -m benchmarks.run --only scenarios``, never asserted here)."""

from __future__ import annotations

from sae_core.app.scenarios import SCENARIOS
from sae_core.data.toy.model import trained_toy
from tests.helpers.app import TRAIN_PAGE, click, open_app


def test_superposition_in_two_dimensions_shows_two_then_five_features() -> None:
    trained_toy.cache_clear()  # a cold run, as a first click would be
    result = SCENARIOS["superposition_2d"].run()
    assert result.headline["represented (dense)"] == 2
    assert result.headline["represented (sparse)"] == 5
    assert result.headline["dims per feature (sparse)"] < 0.5
    assert result.dataset.features is not None and result.dataset.features.shape == (5, 2)
    assert f"{result.headline['dims per feature (sparse)']:.2f}" in result.conclusion


def test_its_card_on_start_runs_and_opens_toy_data_on_train() -> None:
    at = click(open_app(), "home_run_superposition_2d")
    assert not at.exception and not at.error
    at.switch_page(TRAIN_PAGE).run()
    assert not at.exception
    assert at.selectbox(key="train_source").value == "toy"
    assert at.number_input(key="train_toy_n_features").value == 5
