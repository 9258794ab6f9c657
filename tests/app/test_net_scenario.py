"""The scenario "Features inside a network" reports loss recovered and names a pure latent (its
time is a benchmark: ``python -m benchmarks.run --only scenarios``, never asserted here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sae_core.app.net_scenario import class_purity
from sae_core.app.scenarios import SCENARIOS
from tests.helpers.app import TRAIN_PAGE, app_state, click, open_app


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAE_EXPLORER_CACHE", str(tmp_path / "cache"))  # a cold network


def test_class_purity_by_hand() -> None:
    latents = np.array([[1.0, 0.0, 0.0], [2.0, 1.0, 0.0], [0.0, 1.0, 0.0], [3.0, 0.0, 0.0]])
    labels = np.array([0, 0, 1, 0])
    table = class_purity(latents, labels)
    assert table["latent"].tolist() == [0, 1, 2]  # pure, half and half, dead last
    assert table["purity"].iloc[0] == 1.0 and table["fires_on"].iloc[0] == 3
    assert table["purity"].iloc[1] == 0.5 and np.isnan(table["purity"].iloc[2])
    assert table["top_class"].iloc[0] == 0


def test_features_inside_a_network_returns_its_table_and_headline() -> None:
    result = SCENARIOS["net_features"].run()
    assert result.dataset.readout is not None and result.data_spec == "net:digits"
    assert result.show.sae_config.k == 8
    assert result.headline["loss recovered"] >= 0.9
    assert result.headline["L0"] <= 16
    table = result.table
    assert list(table.columns) == [
        "latent", "fires_on", "top_class", "purity", "changed_when_ablated"
    ]  # fmt: skip
    assert len(table) > 0 and table["purity"].is_monotonic_decreasing
    best = int(table["latent"].iloc[0])
    assert result.latent == best
    assert f"purity of latent #{best}" in result.headline
    assert f"Latent #{best}" in result.conclusion
    assert f"{result.headline['loss recovered']:.0%}" in result.conclusion


def test_its_card_on_start_shows_the_network_model() -> None:
    at = click(open_app(), "home_run_net_features")
    assert not at.exception and not at.error
    current = app_state(at).current
    assert current is not None and current.dataset.readout is not None
    at.switch_page("app_pages/filters.py").run()
    assert not at.exception
    result = at.session_state["home_results"]["net_features"]
    assert at.number_input(key="filt_latent").value == result.latent  # the named latent
    assert f"Latent #{result.latent}" in result.conclusion
    assert [s for s in at.slider if s.key == "filt_steer"]
    at.switch_page(TRAIN_PAGE).run()
    assert not at.exception
    assert at.selectbox(key="train_source").value == "net"
