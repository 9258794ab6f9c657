"""Synthetic data's Zipf, correlated and hierarchical firing, and the ground truth it keeps."""

from __future__ import annotations

import numpy as np
import pytest

from sae_core.data import SOURCES, load_dataset, option_default
from sae_core.data.preprocessing import STREAM_SYNTHETIC, rng_for
from sae_core.data.synthetic import (
    CHILD_FIRE,
    HIERARCHY_CHILDREN,
    SyntheticSpec,
    generate_synthetic,
    make_features,
    make_synthetic,
)
from sae_core.errors import ConfigError


def _plain_model(spec: SyntheticSpec, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The generator as it was before the structure options, written out again."""
    rng = rng_for(seed, STREAM_SYNTHETIC)
    features = make_features(spec.n_features, spec.d_in, spec.feature_seed)
    shape = (spec.n_samples, spec.n_features)
    fires = rng.random(shape, dtype=np.float32) < spec.firing_probability
    magnitudes = 1 - rng.random(shape, dtype=np.float32)
    x = (fires * magnitudes) @ features
    x += np.float32(spec.noise) * rng.standard_normal(x.shape, dtype=np.float32)
    return x, fires


@pytest.mark.parametrize("off", [{}, {"zipf": 0.0, "correlation": 0.0, "hierarchy": 0}])
def test_default_options_keep_the_data_bit_identical(off: dict) -> None:
    spec = SyntheticSpec(n_samples=3000, noise=0.05, **off)
    expected_x, expected_fires = _plain_model(spec, seed=7)
    data = generate_synthetic(spec, rng_for(7, STREAM_SYNTHETIC))
    assert data.x.tobytes() == np.ascontiguousarray(expected_x).tobytes()
    assert np.array_equal(data.active, expected_fires)
    assert data.children == {}
    x, _ = make_synthetic(spec, rng_for(7, STREAM_SYNTHETIC))
    assert x.tobytes() == data.x.tobytes()


@pytest.mark.parametrize(
    "options", [{}, {"zipf": 1.5}, {"correlation": 0.7}, {"hierarchy": 5, "zipf": 0.5}]
)
def test_the_kept_activity_is_exactly_what_built_each_test_sample(options: dict) -> None:
    ds = load_dataset("synthetic", magnitude="constant", n_samples=2000, **options)
    assert ds.feature_activity is not None and ds.feature_activity.dtype == bool
    assert ds.feature_activity.shape == (ds.n_test, 64)
    rebuilt = ds.feature_activity.astype(np.float32) @ ds.features
    np.testing.assert_allclose(ds.x_test, rebuilt, atol=1e-5)


def test_activity_follows_the_samples_through_subsampling() -> None:
    ds = load_dataset("synthetic", magnitude="constant", max_samples=500, seed=3)
    assert ds.feature_activity is not None and ds.feature_activity.shape[0] == ds.n_test
    np.testing.assert_allclose(ds.x_test, ds.feature_activity @ ds.features, atol=1e-5)


def test_zipf_probabilities_fall_as_a_power_and_keep_the_mean_active_count() -> None:
    spec = SyntheticSpec(n_features=50, mean_active=2.0, zipf=1.2, n_samples=40_000)
    p = spec.feature_probabilities()
    ranks = np.arange(1, 51, dtype=np.float64)
    np.testing.assert_allclose(p / p[0], ranks**-1.2)
    assert p.sum() == pytest.approx(2.0)
    steep = SyntheticSpec(n_features=50, mean_active=10.0, zipf=2.0).feature_probabilities()
    assert steep.max() == 1.0 and steep.sum() == pytest.approx(10.0)  # capped, sum kept
    uncapped = steep < 1
    np.testing.assert_allclose(
        steep[uncapped] / steep[uncapped][0], (ranks[uncapped] / ranks[uncapped][0]) ** -2.0
    )
    active = generate_synthetic(spec, np.random.default_rng(0)).active
    np.testing.assert_allclose(active.mean(axis=0), p, atol=4 * np.sqrt(p.max() / 40_000))


def test_correlated_pairs_fire_together_with_correlation_rho_and_keep_their_rates() -> None:
    spec = SyntheticSpec(n_features=8, p_fire=0.2, correlation=0.6, n_samples=100_000)
    active = generate_synthetic(spec, np.random.default_rng(1)).active.astype(np.float64)
    corr = np.corrcoef(active.T)
    for a in range(0, 8, 2):
        assert corr[a, a + 1] == pytest.approx(0.6, abs=0.02)
        assert abs(corr[a, (a + 2) % 8]) < 0.02  # different pairs stay independent
    np.testing.assert_allclose(active.mean(axis=0), 0.2, atol=0.006)


def test_children_fire_only_with_their_parent_and_half_the_time_it_fires() -> None:
    spec = SyntheticSpec(n_features=20, hierarchy=4, mean_active=4.0, n_samples=60_000)
    data = generate_synthetic(spec, np.random.default_rng(2))
    assert data.children == {0: (4, 5), 1: (6, 7), 2: (8, 9), 3: (10, 11)}
    assert all(len(c) == HIERARCHY_CHILDREN for c in data.children.values())
    for parent, children in data.children.items():
        on = data.active[:, parent]
        for child in children:
            assert not np.any(data.active[:, child] & ~on)
            assert data.active[on, child].mean() == pytest.approx(CHILD_FIRE, abs=0.05)


def test_the_hierarchy_is_kept_with_the_dataset() -> None:
    ds = load_dataset("synthetic", hierarchy=3)
    assert ds.feature_children == {0: (3, 4), 1: (5, 6), 2: (7, 8)}
    assert load_dataset("synthetic").feature_children is None
    assert load_dataset("digits").feature_activity is None


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"zipf": -1}, "zipf"),
        ({"zipf": 9.0}, "zipf"),
        ({"correlation": 1.0}, "correlation"),
        ({"hierarchy": 30, "n_features": 64}, "hierarchy"),
        ({"hierarchy": 1.5}, "hierarchy"),
    ],
)
def test_out_of_range_structure_options_are_refused_by_name(options: dict, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        SyntheticSpec(**options)


def test_the_registry_reads_the_new_options_defaults_and_bounds_from_the_spec() -> None:
    source = SOURCES["synthetic"]
    spec = SyntheticSpec()
    for name in ("zipf", "correlation", "hierarchy"):
        assert name in source.options
        assert option_default("synthetic", name) == getattr(spec, name)
    assert source.option("zipf").bounds == (0.0, 4.0)
    assert "0..0.99" in source.option("correlation").help_line
