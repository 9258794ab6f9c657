"""Pages on a network's activations show the input images behind the samples, with labels."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sae_core.ui.state import Current
from tests.helpers.app import app_state, app_with_model, chart_spec, make_current, trained_app


@pytest.fixture(scope="module")
def net_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Current]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SAE_EXPLORER_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield make_current("net:digits", method="topk", d_sae=64, epochs=2)


def _image_traces(spec: dict[str, object]) -> set[str]:
    return {t["type"] for t in spec["data"]}  # type: ignore[index]


def test_a_latent_card_shows_the_input_images_of_its_top_samples(net_model: Current) -> None:
    at = app_with_model(net_model, "app_pages/filters.py")
    assert not at.exception, [e.value for e in at.exception]
    top = chart_spec(at, "filt_latent_top")
    assert "Top-activating inputs" in top["layout"]["title"]["text"]
    assert "heatmap" in _image_traces(top)  # 8×8 pictures, not activation lines
    assert all(" y=" in note["text"] for note in top["layout"]["annotations"])


def test_reconstructions_add_the_input_images_of_the_shown_samples(net_model: Current) -> None:
    at = app_with_model(net_model, "app_pages/reconstructions.py")
    assert not at.exception, [e.value for e in at.exception]
    assert "heatmap" in _image_traces(chart_spec(at, "recon_inputs"))


def test_the_train_page_trains_on_network_activations_and_shows_the_accuracy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAE_EXPLORER_CACHE", str(tmp_path))
    at = trained_app(train_source="net")
    current = app_state(at).current
    assert current is not None and current.dataset.readout is not None
    assert current.metrics.loss_recovered is not None
    shown = " ".join(str(m.value) for m in (*at.caption, *at.markdown, *at.info))
    assert "classifier test accuracy" in shown
    labels = [m.label for m in at.metric]
    assert labels.index("Loss recovered") == labels.index("FVE (variance explained)") + 2
