"""A latent card on a network's activations can ablate or steer the latent (ui.steer_view)."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from sae_core.analysis.latents import top_activating
from sae_core.analysis.steer import changed_count, steer_latent
from sae_core.ui.state import Current
from tests.helpers.app import app_with_model, make_current

FILTERS = "app_pages/filters.py"


@pytest.fixture(scope="module")
def net_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Current]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SAE_EXPLORER_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield make_current("net:digits", method="topk", d_sae=64, epochs=2)


def _summary(at: object) -> str:
    captions = [str(c.value) for c in at.caption]  # type: ignore[attr-defined]
    return next(c for c in captions if "change predicted class" in c)


def _steer_table(at: object) -> pd.DataFrame:
    tables = [d.value for d in at.dataframe]  # type: ignore[attr-defined]
    return next(t for t in tables if "predicted with SAE" in t.columns)


def test_the_card_says_how_many_top_samples_change_class(net_model: Current) -> None:
    at = app_with_model(net_model, FILTERS)
    slider = at.slider(key="filt_steer")
    assert slider.value == 0.0 and slider.max == 5.0
    j = int(at.number_input(key="filt_latent").value or 0)
    top = top_activating(net_model.latents, j, n=16)["sample"].to_numpy()
    ds = net_model.dataset
    assert ds.readout is not None
    for factor in (0.0, 5.0):
        at.slider(key="filt_steer").set_value(factor).run()
        assert not at.exception, [e.value for e in at.exception]
        expected = steer_latent(
            ds.readout,
            net_model.latents,
            net_model.x_hat,
            net_model.W_dec,
            j,
            top,
            factor,
            labels=ds.y_test,
            to_raw=ds.preprocessing.to_raw,
        )
        assert f"{changed_count(expected)} of its {len(top)} top samples" in _summary(at)
        shown = _steer_table(at)
        assert list(shown.columns) == [
            "sample",
            "label",
            "predicted with SAE",
            "predicted, latent changed",
        ]
        assert shown["predicted, latent changed"].tolist() == expected["predicted_changed"].tolist()


def test_input_space_data_has_no_steering() -> None:
    at = app_with_model(make_current("digits", d_sae=16, epochs=1), FILTERS)
    assert not at.exception
    assert not [s for s in at.slider if s.key == "filt_steer"]
