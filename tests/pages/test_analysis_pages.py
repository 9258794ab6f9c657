"""Reconstructions, Activations, Filters and Ground-truth pages, driven through the real app.

Models are trained directly (a second or less) and put into the session as the shown model, so
these tests do not depend on the Train page. Chart contents are checked against independent
numpy computations from the model itself.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from sae_core.analysis.metrics import compute_mmcs, recovered_count
from sae_core.figures.mosaic import Layout
from tests.helpers.app import app_with_model, chart_spec, decode_array, make_current, open_app

torch.set_num_threads(1)

PAGES = ("reconstructions", "activations", "filters", "ground_truth")


@pytest.fixture(scope="module")
def digits_model() -> Any:
    return make_current("digits", d_sae=96, epochs=3)


@pytest.fixture(scope="module")
def synthetic_model() -> Any:
    return make_current("synthetic", d_sae=48, epochs=5, n_samples=1200, n_features=24, d_in=16)


def direct_outputs(current: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x_test, latents, x_hat) straight from the torch model, not from the page's caches."""
    x = current.dataset.x_test
    with torch.no_grad():
        latents = current.model.encode(torch.as_tensor(x))
        x_hat = current.model.decode(latents)
    return x, latents.numpy(), x_hat.numpy()


def page(current: Any, name: str) -> AppTest:
    return app_with_model(current, f"app_pages/{name}.py")


def metric_value(at: AppTest, label: str) -> str:
    return next(str(m.value) for m in at.metric if m.label == label)


def trace_sum(spec: dict[str, Any]) -> float:
    return float(sum(decode_array(t["y"]).sum() for t in spec["data"] if t["type"] == "bar"))


def shown_samples(at: AppTest) -> np.ndarray:
    return at.dataframe[0].value["sample"].to_numpy()


def test_every_analysis_page_without_a_model_says_to_train_first() -> None:
    at = open_app()
    for name in PAGES:
        at.switch_page(f"app_pages/{name}.py").run()
        assert not at.exception
        assert any("No model yet" in str(i.value) for i in at.info), name
        assert not at.get("plotly_chart"), name
        assert any(link.proto.label == "Open Train" for link in at.get("page_link")), name


def test_reconstruction_grid_shows_exactly_the_chosen_number_of_samples(digits_model: Any) -> None:
    at = page(digits_model, "reconstructions")
    at.slider(key="recon_n").set_value(5).run()
    assert not at.exception
    spec = chart_spec(at, "recon_grid")
    pairs, diffs = (decode_array(t["z"]) for t in spec["data"])  # two mosaics
    # originals over reconstructions, differences below: 5 cells of 8×8 in each row
    assert pairs.shape[1] == diffs.shape[1] == Layout.for_images(5, 8, 8, 5, False).shape[1]
    assert np.isfinite(diffs).sum() == 5 * 64 and np.isfinite(pairs).sum() == 2 * 5 * 64
    assert len(recon_heads(spec)) == 5
    assert len(shown_samples(at)) == 5


def recon_heads(spec: dict[str, Any]) -> list[str]:
    """The per-sample headings ("#id MSE …") above the reconstruction mosaic."""
    return [a["text"] for a in spec["layout"]["annotations"] if a["text"].startswith("#")]


def test_worst_mode_shows_the_largest_error_samples(digits_model: Any) -> None:
    x, _, x_hat = direct_outputs(digits_model)
    errors = ((x.astype(np.float64) - x_hat) ** 2).mean(axis=1)
    at = page(digits_model, "reconstructions")
    at.radio(key="recon_mode").set_value("worst")
    at.slider(key="recon_n").set_value(6).run()
    expected = np.argsort(-errors, kind="stable")[:6]
    np.testing.assert_array_equal(shown_samples(at), expected)
    np.testing.assert_allclose(at.dataframe[0].value["mse"], errors[expected], rtol=1e-5)
    titles = recon_heads(chart_spec(at, "recon_grid"))
    assert [int(re.search(r"#(\d+)", t).group(1)) for t in titles] == expected.tolist()


def test_by_label_mode_shows_only_samples_of_that_label(digits_model: Any) -> None:
    at = page(digits_model, "reconstructions")
    at.radio(key="recon_mode").set_value("label").run()
    at.selectbox(key="recon_label").set_value(3)
    at.slider(key="recon_n").set_value(10).run()
    assert not at.exception
    ids = shown_samples(at)
    assert len(ids) == 10
    assert set(digits_model.dataset.y_test[ids].tolist()) == {3}
    assert set(at.dataframe[0].value["label"].tolist()) == {3}


def test_activation_histograms_count_every_latent_and_every_sample(digits_model: Any) -> None:
    _, latents, _ = direct_outputs(digits_model)
    at = page(digits_model, "activations")
    assert not at.exception
    assert trace_sum(chart_spec(at, "act_frequency")) == digits_model.sae_config.d_sae
    assert trace_sum(chart_spec(at, "act_l0")) == digits_model.dataset.n_test
    assert trace_sum(chart_spec(at, "act_values")) == np.count_nonzero(latents)
    dead = int(np.count_nonzero((latents > 0).sum(axis=0) == 0))
    assert metric_value(at, "Dead latents") == f"{dead} of 96"
    assert metric_value(at, "L0, mean") == f"{(latents > 0).sum(axis=1).mean():.2f}"
    assert not [c for c in at.get("plotly_chart") if "act_rho" in str(c.proto.id)]


def test_kl_model_shows_mean_activation_against_the_target() -> None:
    kl_model = make_current("digits", method="kl", lam=1.0, d_sae=32, epochs=2)
    _, latents, _ = direct_outputs(kl_model)
    at = page(kl_model, "activations")
    assert not at.exception
    points = decode_array(chart_spec(at, "act_rho")["data"][0]["y"])
    np.testing.assert_allclose(np.sort(points), np.sort(latents.mean(axis=0)), rtol=1e-5)


def test_atom_grid_shows_one_page_of_atoms_in_the_chosen_order(digits_model: Any) -> None:
    at = page(digits_model, "filters")
    at.selectbox(key="filt_order").set_value("norm")
    at.number_input(key="filt_page").set_value(2).run()
    assert not at.exception
    W_dec = digits_model.model.W_dec.detach().numpy()
    expected = np.argsort(-np.linalg.norm(W_dec, axis=1), kind="stable")[64:96]
    names = [note["text"] for note in chart_spec(at, "filt_atoms")["layout"]["annotations"]]
    assert [int(re.match(r"#(\d+)", n).group(1)) for n in names] == expected.tolist()


def test_selecting_a_latent_shows_its_atom_activations_examples_and_neighbours(
    digits_model: Any,
) -> None:
    _, latents, _ = direct_outputs(digits_model)
    j = int(np.argsort(-(latents > 0).sum(axis=0), kind="stable")[3])
    at = page(digits_model, "filters")
    at.number_input(key="filt_latent").set_value(j).run()
    assert not at.exception
    hist = chart_spec(at, "filt_latent_hist")
    assert "#" + str(j) in hist["layout"]["title"]["text"]
    assert trace_sum(hist) == np.count_nonzero(latents[:, j])
    top = [note["text"] for note in chart_spec(at, "filt_latent_top")["layout"]["annotations"]]
    expected = np.argsort(-latents[:, j], kind="stable")[: len(top)]
    assert [int(re.search(r"#(\d+)", n).group(1)) for n in top] == expected.tolist()
    labels = chart_spec(at, "filt_latent_labels")["data"][0]
    assert decode_array(labels["y"]).sum() == np.count_nonzero(latents[:, j])
    for key in ("filt_latent_atom", "filt_latent_quantiles", "filt_latent_nearest"):
        assert chart_spec(at, key)["data"]


def test_non_image_data_draws_lines_and_heat_maps(synthetic_model: Any) -> None:
    at = page(synthetic_model, "reconstructions")
    assert {t["type"] for t in chart_spec(at, "recon_grid")["data"]} == {"scatter"}
    at.switch_page("app_pages/activations.py").run()
    assert not at.exception and chart_spec(at, "act_heatmap")["data"][0]["type"] == "heatmap"
    at.switch_page("app_pages/filters.py").run()
    assert not at.exception
    assert chart_spec(at, "filt_atoms")["data"][0]["type"] == "heatmap"
    assert {t["type"] for t in chart_spec(at, "filt_latent_top")["data"]} == {"scatter"}
    assert {t["type"] for t in chart_spec(at, "filt_latent_atom")["data"]} == {"scatter"}


def test_ground_truth_page_reports_the_models_mmcs_and_recovered_count(
    synthetic_model: Any,
) -> None:
    features = synthetic_model.dataset.features
    W_dec = synthetic_model.model.W_dec.detach().numpy()
    at = page(synthetic_model, "ground_truth")
    assert not at.exception
    assert metric_value(at, "MMCS") == f"{compute_mmcs(features, W_dec):.3f}"
    at.slider(key="gt_threshold").set_value(0.6).run()
    expected = recovered_count(features, W_dec, threshold=0.6)
    assert metric_value(at, "Recovered features") == f"{expected} of {len(features)}"
    z = decode_array(chart_spec(at, "gt_heatmap")["data"][0]["z"])
    assert z.shape == (len(features), W_dec.shape[0])


def test_ground_truth_page_explains_that_digits_have_no_ground_truth(digits_model: Any) -> None:
    at = page(digits_model, "ground_truth")
    assert not at.exception
    assert any("no ground truth" in str(i.value) for i in at.info)
    assert not at.get("plotly_chart")


def test_reconstructions_show_original_units_and_can_switch_to_model_units(
    digits_model: Any,
) -> None:
    # digits is scaled to [0, 1] for the model; its pixels are 0..16 (the preprocessing record)
    at = page(digits_model, "reconstructions")
    at.radio(key="recon_mode").set_value("worst")
    at.slider(key="recon_n").set_value(4).run()
    ids = shown_samples(at)
    pairs = decode_array(chart_spec(at, "recon_grid")["data"][0]["z"])
    raw = digits_model.dataset.preprocessing.to_raw(digits_model.dataset.x_test[ids])
    assert np.nanmax(pairs) >= raw.max() > 8  # originals (and reconstructions) in pixel values
    assert (
        "Values in original units; MSE is per element"
        in chart_spec(at, "recon_grid")["layout"]["title"]["text"]
    )
    at.radio(key="recon_units").set_value("model").run()
    pairs = decode_array(chart_spec(at, "recon_grid")["data"][0]["z"])
    assert np.nanmax(pairs) <= 1.5
    np.testing.assert_array_equal(shown_samples(at), ids)  # same samples, other units


def test_filters_example_samples_are_in_original_units(digits_model: Any) -> None:
    at = page(digits_model, "filters")
    spec = chart_spec(at, "filt_latent_top")
    assert "original units" in spec["layout"]["title"]["text"]
    values = np.concatenate([decode_array(t["z"]).ravel() for t in spec["data"] if "z" in t])
    assert np.nanmax(values) > 8  # pixel values, not the model's [0, 1]


def test_ground_truth_page_shows_per_feature_f1_and_absorption_on_hierarchical_data() -> None:
    current = make_current(
        "synthetic", d_sae=48, epochs=5, n_samples=1200, n_features=24, d_in=16, hierarchy=4
    )
    at = page(current, "ground_truth")
    assert not at.exception
    x, latents, _ = direct_outputs(current)
    features, active = current.dataset.features, current.dataset.feature_activity
    W_dec = current.model.W_dec.detach().numpy()
    # independent: matched latent by brute force over the Hungarian optimum is costly, so take
    # the matching the MCC uses and recount precision/recall with plain loops
    from scipy.optimize import linear_sum_assignment

    abs_cos = np.abs(
        (features / np.linalg.norm(features, axis=1, keepdims=True))
        @ (W_dec / np.linalg.norm(W_dec, axis=1, keepdims=True)).T
    )
    rows, cols = linear_sum_assignment(-abs_cos)
    f1s = []
    for g, j in zip(rows, cols, strict=True):
        on, fires = active[:, g], latents[:, j] > 0
        if not on.any():
            continue
        tp = float(np.sum(on & fires))
        p = tp / fires.sum() if fires.any() else 0.0
        r = tp / on.sum()
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
    assert metric_value(at, "Mean F1") == f"{np.mean(f1s):.3f}"
    assert metric_value(at, "Absorption") != "—"
    bars = chart_spec(at, "gt_f1")["data"][0]
    assert len(decode_array(bars["y"])) == len(f1s)
    assert len(at.dataframe) == 2  # matched pairs, then the per-feature table
    assert x.shape[0] == active.shape[0]
