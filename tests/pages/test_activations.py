"""Activations page on tiny test splits (QA #3): every chart is drawn, whatever the split size.

A slider with min_value == max_value raises in Streamlit, so the "Samples (rows)" slider must
not be drawn when the test split has 10 samples or fewer.
"""

from __future__ import annotations

from typing import Any

import torch

from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.training.fit import train
from sae_core.ui.state import Current, current_from_result, make_choice
from tests.helpers.app import app_with_model, chart_spec, decode_array, errors

torch.set_num_threads(1)


def tiny_model(n_samples: int, method: str = "kl") -> Current:
    """A model on synthetic data whose test split holds ``n_samples // 5`` samples."""
    options: dict[str, Any] = {"n_samples": n_samples, "n_features": 8, "d_in": 8}
    dataset = load_dataset("synthetic", **options)
    sae_cfg = SAEConfig(d_in=dataset.d_in, d_sae=16, method=method)
    result = train(sae_cfg, dataset, TrainConfig(epochs=2, batch_size=8), probe=False)
    return current_from_result(make_choice("synthetic", **options), dataset, result)


def heatmap_rows(at: Any) -> int:
    z = decode_array(chart_spec(at, "act_heatmap")["data"][0]["z"])
    return len(z)


def test_a_ten_sample_test_split_draws_every_chart_with_all_rows_and_no_slider() -> None:
    current = tiny_model(50)
    assert current.dataset.n_test == 10
    at = app_with_model(current, "app_pages/activations.py")
    assert not at.exception and errors(at) == []
    for key in ("act_values", "act_l0", "act_frequency", "act_shrinkage", "act_heatmap", "act_rho"):
        chart_spec(at, key)  # raises KeyError when the chart is missing
    assert heatmap_rows(at) == 10
    assert not [s for s in at.slider if s.key == "act_heat_samples"]
    assert any("all 10 test samples" in c.value for c in at.caption)


def test_a_six_sample_test_split_shows_all_six_rows() -> None:
    at = app_with_model(tiny_model(30, method="l1"), "app_pages/activations.py")
    assert not at.exception and errors(at) == []
    assert heatmap_rows(at) == 6


def test_a_twelve_sample_test_split_keeps_the_slider_capped_at_twelve() -> None:
    current = tiny_model(60)
    assert current.dataset.n_test == 12
    at = app_with_model(current, "app_pages/activations.py")
    assert not at.exception and errors(at) == []
    slider = at.slider(key="act_heat_samples")
    assert slider.max == 12 and slider.value == 12
    assert heatmap_rows(at) == 12
    slider.set_value(10).run()
    assert not at.exception and heatmap_rows(at) == 10
