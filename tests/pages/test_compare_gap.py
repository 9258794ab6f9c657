"""Compare page, "Amortisation gap": the current model's three encoders at equal L0 (AppTest)."""

from __future__ import annotations

import torch

from sae_core.ui.compare.gap import GAP_KEY
from sae_core.ui.state import AppState, set_current
from tests.helpers.app import chart_spec, click, compare_app, make_current

torch.set_num_threads(1)


def test_measure_shows_the_three_encoders_with_f1_on_synthetic_data() -> None:
    state = AppState()
    current = make_current("synthetic", method="topk", d_sae=32, epochs=2, max_samples=1200)
    set_current(state, current)
    at = compare_app(state)
    assert at.number_input(key="cmp_gap_k").value >= 1
    at.number_input(key="cmp_gap_k").set_value(3)
    click(at, "cmp_gap_go")
    assert not at.error, [e.value for e in at.error]
    table = at.session_state[GAP_KEY]["table"]
    assert table["encoder"].tolist() == ["sae", "mp", "omp"]
    assert (table["l0"][1:] <= 3).all() and table["f1"].notna().all()
    spec = chart_spec(at, "cmp_gap_chart")
    assert len(spec["data"]) == 3  # FVE, time and F1 panels
    assert any("amortisation gap" in m.value for m in at.markdown)


def test_without_a_model_the_section_only_explains_itself() -> None:
    at = compare_app(AppState())
    assert not [b for b in at.button if b.key == "cmp_gap_go"]
    assert any("pursuit and OMP" in c.value for c in at.caption)
