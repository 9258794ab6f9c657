"""Compare page, "Load a SAELens SAE": an exported SAE plus activations becomes the current model
that every analysis page shows; a bad file is one message and the session keeps its model. Also
the metrics panel's training and inference L0 for BatchTopK (Train page)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from sae_core.runs.saelens import export_saelens
from sae_core.ui.state import AppState, set_current
from tests.helpers.app import (
    TRAIN_PAGE,
    app_state,
    app_with_model,
    click,
    compare_app,
    errors,
    make_current,
    set_widgets,
)
from tests.helpers.models import random_model

torch.set_num_threads(1)
ANALYSIS_PAGES = (
    "app_pages/reconstructions.py",
    "app_pages/activations.py",
    "app_pages/filters.py",
    "app_pages/train.py",
    "app_pages/learn.py",
)


def exported_sae_and_activations(tmp_path: Path) -> tuple[Path, Path]:
    folder = export_saelens(random_model("jumprelu", d_in=16, d_sae=24), tmp_path / "sae")
    acts = tmp_path / "acts.npy"
    np.save(acts, np.random.default_rng(1).normal(size=(300, 16)).astype(np.float32))
    return folder, acts


def test_an_exported_sae_and_npy_become_the_current_model_on_every_analysis_page(
    tmp_path: Path,
) -> None:
    folder, acts = exported_sae_and_activations(tmp_path)
    at = compare_app()
    set_widgets(at, cmp_saelens_path=str(folder), cmp_saelens_data_path=str(acts)).run()
    click(at, "cmp_saelens_load")
    assert not errors(at), errors(at)
    current = app_state(at).current
    assert current is not None
    assert current.sae_config.method == "jumprelu" and current.sae_config.d_sae == 24
    assert current.dataset.d_in == 16 and np.isfinite(current.metrics.fve)
    assert 0 < current.metrics.l0 <= 24
    assert any("Loaded the SAELens SAE" in str(s.value) for s in at.success)
    assert any(row["id"] == current.id for row in app_state(at).session_runs)
    for page in ANALYSIS_PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not errors(at), (page, errors(at))


def test_a_malformed_zip_is_one_message_and_the_current_model_stays(tmp_path: Path) -> None:
    _, acts = exported_sae_and_activations(tmp_path)
    bad = tmp_path / "sae.zip"
    bad.write_bytes(b"PK\x03\x04 this is not a zip")
    state = AppState()
    before = make_current("digits", method="l1", d_sae=16, epochs=1)
    set_current(state, before)
    at = compare_app(state)
    set_widgets(at, cmp_saelens_path=str(bad), cmp_saelens_data_path=str(acts)).run()
    click(at, "cmp_saelens_load")
    shown = errors(at)
    assert len(shown) == 1 and "not a readable zip" in shown[0], shown
    assert app_state(at).current is before and len(app_state(at).session_runs) == 1


def test_activations_of_another_width_name_both_widths(tmp_path: Path) -> None:
    folder, _ = exported_sae_and_activations(tmp_path)
    acts = tmp_path / "narrow.npy"
    np.save(acts, np.zeros((50, 5), dtype=np.float32))
    at = compare_app()
    set_widgets(at, cmp_saelens_path=str(folder), cmp_saelens_data_path=str(acts)).run()
    click(at, "cmp_saelens_load")
    shown = errors(at)
    assert len(shown) == 1 and "d_in = 16" in shown[0] and "has 5" in shown[0], shown
    assert app_state(at).current is None


def test_a_batchtopk_model_shows_training_and_inference_l0_on_the_train_page() -> None:
    current = make_current("synthetic", method="batchtopk", d_sae=32, epochs=2)
    at = app_with_model(current, TRAIN_PAGE)
    shown = {m.label: m.value for m in at.metric}
    assert shown["L0 in training (last step)"] == f"{current.history['l0'].iloc[-1]:.2f}"
    assert shown["L0 at inference (held-out)"] == f"{current.metrics.l0:.2f}"


def test_a_topk_model_shows_one_l0() -> None:
    at = app_with_model(make_current("synthetic", method="topk", d_sae=32, epochs=1), TRAIN_PAGE)
    assert "L0 at inference (held-out)" not in {m.label for m in at.metric}
