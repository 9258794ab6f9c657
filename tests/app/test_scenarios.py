"""Every guided scenario runs and its live numbers show the effect it claims."""

from __future__ import annotations

import pytest

from sae_core.app.scenarios import SCENARIOS


@pytest.fixture(scope="module")
def results():
    return {key: scenario.run() for key, scenario in SCENARIOS.items()}


def test_there_are_six_scenarios_each_with_text_and_a_target_page() -> None:
    assert len(SCENARIOS) >= 6
    for s in SCENARIOS.values():
        assert s.title and s.summary and len(s.look_at) > 60 and s.page.startswith("app_pages/")


def test_tradeoff_l0_falls_and_fvu_rises_with_lambda(results) -> None:
    table = results["tradeoff"].table.sort_values("lam")
    assert table["l0"].is_monotonic_decreasing and table["fvu"].is_monotonic_increasing


def test_remedies_bring_dead_latents_back(results) -> None:
    h = results["dead"].headline
    assert h["dead, no remedy"] > 20
    assert h["dead, resampling"] < h["dead, no remedy"]
    assert h["dead, λ warm-up"] < h["dead, no remedy"] / 2


def test_l1_shrinks_and_topk_does_not_at_the_same_l0(results) -> None:
    h = results["shrinkage"].headline
    assert abs(h["L0 L1"] - h["L0 TopK"]) <= 1.0
    assert h["γ L1"] < h["γ TopK"] and abs(h["γ TopK"] - 1) < 0.02


def test_superposition_is_recovered_with_enough_latents(results) -> None:
    h = results["superposition"].headline
    assert h["MMCS d_sae=256"] > 0.9 > h["MMCS d_sae=32"]


def test_l2_and_contractive_keep_l0_high(results) -> None:
    h = results["not_sparsity"].headline
    assert h["L0 L2 λ=0.3"] > 2 * h["L0 L1 λ=0.3"]
    assert h["L0 contractive λ=0.3"] > 2 * h["L0 L1 λ=0.3"]
    table = results["not_sparsity"].table
    assert (table["penalty_end"] < table["penalty_start"]).all()


def test_gabor_scenario_learns_a_usable_dictionary_of_patches(results) -> None:
    r = results["gabor"]
    assert r.dataset.image_shape == (8, 8) and r.headline["FVE"] > 0.4
    # structured atoms, not pixel noise (the review found noise with ε = 0.1)
    assert r.headline["atom smoothness"] > 0.15 > abs(r.headline["random atoms' smoothness"])


def test_conclusions_quote_the_live_numbers(results) -> None:
    r = results["tradeoff"]
    assert f"{r.table['l0'].iloc[0]:.1f}" in r.conclusion
