"""The Train page, driven through the whole app with AppTest (small data, few epochs)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from sae_core.config import METHODS
from sae_core.data import load_dataset
from sae_core.errors import TrainingDivergedError
from sae_core.runs import list_runs
from sae_core.ui.training_loop import RUNNING_KEY, TrainRequest
from tests.conftest import require_shared_mnist
from tests.helpers.app import (
    TRAIN_PAGE,
    app_state,
    chart_spec,
    click,
    decode_array,
    errors,
    open_app,
    set_widgets,
    trained_app,
)


def _csv_bytes(x: np.ndarray, y: np.ndarray | None = None) -> bytes:
    buffer = io.StringIO()
    table = x if y is None else np.column_stack([x, y])
    np.savetxt(buffer, table, delimiter=",", fmt="%.5f")
    return buffer.getvalue().encode()


def test_page_without_a_model_says_what_to_do():
    at = open_app(TRAIN_PAGE)
    assert app_state(at).current is None
    assert any("No model yet" in str(i.value) for i in at.info)
    assert at.get_by_key("train_preview") is not None  # digits preview drawn


def test_default_training_on_digits_reaches_fve_0_9_with_curves_and_formulas():
    at = trained_app()
    current = app_state(at).current
    assert current.data.spec == "digits" and current.sae_config.method == "l1"
    assert current.metrics.fve >= 0.9
    assert current.steps == len(current.history) == 240  # 20 epochs × ceil(1438 / 128)
    spec = chart_spec(at, "train_history")
    loss = next(t for t in spec["data"] if t["xaxis"] in ("x", None))
    steps = decode_array(loss["x"])
    assert len(steps) >= len(current.history)
    np.testing.assert_array_equal(steps, current.history["step"].to_numpy())
    assert at.get("progress")[0].value == 100
    labels = [m.label for m in at.metric]
    assert "FVE (variance explained)" in labels and "Probe accuracy (latents)" in labels
    latex = [str(e.value) for e in at.latex]
    assert any(r"\mathrm{FVE}" in t for t in latex) and any(r"\sum_j |f_j|" in t for t in latex)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_trains_from_the_page(method):
    at = trained_app(train_method=method, train_epochs=1, train_d_sae=32, train_k=4)
    current = app_state(at).current
    assert current.sae_config.method == method and current.steps == 12
    assert np.isfinite(current.metrics.mse)
    if method == "topk":
        assert current.metrics.l0 <= 4 + 1e-9


def test_jumprelu_trains_toward_the_target_l0_set_beside_lambda():
    at = trained_app(train_method="jumprelu", train_target_l0=6, train_epochs=1, train_d_sae=32)
    assert at.number_input(key="train_target_l0").value == 6
    current = app_state(at).current
    assert current.sae_config.target_l0 == 6.0
    set_widgets(at, train_method="none").run()  # no sparsity knob: not drawn
    assert not [w for w in at.number_input if w.key == "train_target_l0"]


def test_lambda_methods_take_a_target_l0_through_the_controller_and_draw_lambdas_path():
    at = trained_app(train_method="l1", train_target_l0=8, train_epochs=5, train_d_sae=32)
    assert at.number_input(key="train_target_l0").value == 8
    current = app_state(at).current
    assert current.sae_config.target_l0 == 8.0 and current.history["lam"].nunique() > 1
    assert current.summary()["lam"] == current.model.cfg.lam != current.sae_config.lam


def test_patches_source_trains_with_zca_whitening():
    at = trained_app(
        train_source="patches",
        train_n_patches=1000,
        train_whitening="zca",
        train_epochs=1,
        train_d_sae=32,
    )
    current = app_state(at).current
    assert current.dataset.d_in == 64 and current.dataset.image_shape == (8, 8)
    assert current.dataset.n_train + current.dataset.n_test == 1000


def test_synthetic_source_shows_recovery_metrics():
    at = trained_app(
        train_source="synthetic",
        train_n_samples=1024,
        train_n_features=16,
        train_syn_d_in=8,
        train_epochs=2,
        train_d_sae=32,
    )
    current = app_state(at).current
    assert current.dataset.d_in == 8 and current.metrics.mmcs is not None
    labels = [m.label for m in at.metric]
    assert "MMCS" in labels and "Features recovered" in labels


def test_mnist_from_the_shared_folder_trains():
    folder = require_shared_mnist()
    at = trained_app(
        train_source="mnist",
        train_folder_mnist=str(folder),
        train_max_samples=1000,
        train_epochs=1,
        train_d_sae=16,
    )
    current = app_state(at).current
    assert current.dataset.d_in == 784 and current.dataset.image_shape == (28, 28)
    assert current.dataset.n_train + current.dataset.n_test == 1000


def test_mnist_without_a_folder_explains_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.delenv("SAE_EXPLORER_MNIST_DIR", raising=False)
    monkeypatch.setenv("SAE_EXPLORER_CACHE", str(tmp_path))
    at = open_app(TRAIN_PAGE)
    set_widgets(at, train_source="mnist", train_folder_mnist=str(tmp_path / "nothing")).run()
    assert not at.exception
    assert any("Loading data failed" in e for e in errors(at))


def test_uploaded_csv_trains_and_a_bad_file_keeps_the_model():
    rng = np.random.default_rng(0)
    at = open_app(TRAIN_PAGE)
    set_widgets(at, train_source="file").run()
    good = _csv_bytes(rng.random((200, 6)), rng.integers(0, 3, 200))
    at.get_by_key("train_upload").set_value(("good.csv", good, "text/csv"))
    set_widgets(at, train_label_column="last", train_epochs=2, train_d_sae=8, train_batch=32)
    at.run()
    click(at, "train_go")
    first = app_state(at).current
    assert first is not None and first.dataset.d_in == 6 and first.dataset.has_labels
    bad_files = {"nan.csv": b"1,2,3\n4,nan,6\n7,8,9\n" * 5, "ragged.csv": b"1,2,3\n4,5\n6,7,8\n"}
    for name, content in bad_files.items():
        at.get_by_key("train_upload").set_value((name, content, "text/csv"))
        set_widgets(at, train_label_column="")
        at.run()
        click(at, "train_go")
        assert any("Loading data failed" in e for e in errors(at)), name
        assert app_state(at).current is first


def test_invalid_combinations_show_an_error_and_keep_the_model():
    at = trained_app(train_epochs=1)
    first = app_state(at).current
    set_widgets(at, train_method="l1", train_d_sae=32, train_dead="auxk").run()
    click(at, "train_go")
    assert any("auxk" in e for e in errors(at))
    set_widgets(at, train_dead="none", train_batch=4096).run()
    click(at, "train_go")
    assert any("batch size" in e for e in errors(at))
    assert app_state(at).current is first


def test_diverged_training_shows_its_message_and_keeps_the_model(monkeypatch):
    at = trained_app(train_epochs=1)
    first = app_state(at).current

    def diverge(self):
        raise TrainingDivergedError("the loss became nan at step 1: lower the learning rate")

    monkeypatch.setattr("sae_core.training.trainer.Trainer.step", diverge)
    set_widgets(at, train_lam=0.01).run()
    click(at, "train_go")
    assert any("the loss became nan" in e for e in errors(at))
    assert app_state(at).current is first


def test_step_play_pause_and_reset_move_the_step_count():
    at = open_app(TRAIN_PAGE)
    set_widgets(at, train_epochs=1, train_step_size=1).run()  # 12 steps in all
    click(at, "train_step")
    state = app_state(at)
    assert state.trainer.step_count == 1 and state.current.steps == 1
    assert not state.current.finished
    set_widgets(at, train_step_size=10).run()
    click(at, "train_step")
    assert app_state(at).trainer.step_count == 11 and app_state(at).current.steps == 11
    click(at, "train_pause")
    assert not app_state(at).playing and app_state(at).trainer.step_count == 11
    assert any("Paused at step 11" in str(c.value) for c in at.caption)
    click(at, "train_play")  # a 0.3 s slice finishes the last step
    state = app_state(at)
    assert state.trainer.step_count == 12 and state.current.finished and not state.playing
    shown = state.current
    click(at, "train_reset")
    assert app_state(at).trainer.step_count == 0 and app_state(at).current is shown


def test_train_as_i_move_retrains_when_a_setting_changes():
    at = trained_app(train_epochs=2, train_d_sae=32)
    assert not at.toggle(key="train_live").disabled
    at.toggle(key="train_live").set_value(True).run()
    set_widgets(at, train_lam=0.01).run()
    current = app_state(at).current
    assert current.sae_config.lam == 0.01 and current.finished


def test_train_as_i_move_is_disabled_for_slow_settings():
    at = open_app(TRAIN_PAGE)
    set_widgets(at, train_d_sae=4096, train_epochs=200).run()
    assert at.toggle(key="train_live").disabled


def test_save_run_writes_a_run_and_refuses_a_bad_name(_isolated_runs_root):
    at = trained_app(train_epochs=1)
    set_widgets(at, train_run_name="../escape").run()
    click(at, "train_save")
    assert any("not allowed" in e for e in errors(at))
    assert not _isolated_runs_root.exists() or not any(_isolated_runs_root.iterdir())
    set_widgets(at, train_run_name="my-first-run").run()
    click(at, "train_save")
    assert (_isolated_runs_root / "my-first-run" / "weights.safetensors").is_file()
    assert list(list_runs()["name"]) == ["my-first-run"]
    assert app_state(at).current.saved_as == "my-first-run"


def test_downloads_are_offered_and_saelens_explains_sigmoid_models():
    at = trained_app(train_epochs=1)
    keys = {b.key for b in at.get("download_button")}
    assert keys == {
        "train_dl_model",
        "train_dl_saelens",
        "train_dl_metrics",
        "train_dl_history",
        "charts_html",  # the sidebar's: this page's charts as HTML
    }
    assert not at.get_by_key("train_dl_saelens").disabled
    set_widgets(at, train_method="kl").run()
    click(at, "train_go")
    assert at.get_by_key("train_dl_saelens").disabled
    assert any("sigmoid" in str(c.value) for c in at.caption)


def test_a_run_interrupted_by_a_click_shows_its_partial_model_as_paused():
    at = open_app(TRAIN_PAGE)
    set_widgets(at, train_epochs=1, train_step_size=1).run()
    click(at, "train_step")
    state = app_state(at)
    for _ in range(4):  # steps a Train run took before a click stopped its script
        state.trainer.step()
    data, sae_config, train_config = state.trainer_key
    at.session_state[RUNNING_KEY] = TrainRequest(
        data, state.current.dataset, sae_config, train_config
    )
    at.run()
    assert app_state(at).current.steps == 5 and not app_state(at).current.finished
    assert any("Paused at step 5" in str(c.value) for c in at.caption)


def test_dense_l1_codes_get_a_hint_to_raise_lambda() -> None:
    at = trained_app(train_lam=0.001, train_epochs=2)
    hints = [i.value for i in at.info if "dense" in i.value]
    assert hints and "Raise λ (try 0.01)" in hints[0]


def test_k_follows_the_hidden_size_down():
    at = open_app(TRAIN_PAGE)
    set_widgets(at, train_method="topk").run()
    set_widgets(at, train_k=24).run()
    set_widgets(at, train_d_sae=16).run()
    slider = at.slider(key="train_k")
    assert (slider.value, slider.max) == (16, 16)
    click(at, "train_go")
    assert not errors(at)
    current = app_state(at).current
    assert (current.sae_config.d_sae, current.sae_config.k) == (16, 16)
    set_widgets(at, train_d_sae=1).run()
    assert "train_k" not in [s.key for s in at.slider]
    assert any("k = 1" in c.value for c in at.caption)
    set_widgets(at, train_d_sae=64).run()
    slider = at.slider(key="train_k")
    assert (slider.value, slider.max) == (1, 64)


def test_a_changed_file_uploaded_under_the_same_name_is_new_data():
    rng = np.random.default_rng(0)
    small, large = rng.random((300, 6)), 100 * rng.random((300, 6)) + 50
    at = open_app(TRAIN_PAGE)
    set_widgets(at, train_source="file").run()
    at.get_by_key("train_upload").set_value(("data.csv", _csv_bytes(small), "text/csv"))
    set_widgets(at, train_epochs=2, train_d_sae=8, train_batch=32).run()
    click(at, "train_step")
    first = app_state(at).current
    assert first is not None and first.dataset.x_train.mean() < 1
    at.get_by_key("train_upload").set_value(("data.csv", _csv_bytes(large), "text/csv")).run()
    click(at, "train_step")
    state = app_state(at)
    # the live trainer and the shown model both moved to the new contents
    assert float(state.trainer.x.mean()) > 50
    assert state.current is not first and state.current.dataset.x_train.mean() > 50
    assert state.current.data.upload_digest != first.data.upload_digest
    assert not errors(at)


def test_a_saved_run_refuses_a_same_name_upload_with_other_contents():
    rng = np.random.default_rng(1)
    at = open_app(TRAIN_PAGE)
    set_widgets(at, train_source="file").run()
    at.get_by_key("train_upload").set_value(
        ("data.csv", _csv_bytes(rng.random((200, 6))), "text/csv")
    )
    set_widgets(at, train_epochs=1, train_d_sae=8, train_batch=32).run()
    click(at, "train_go")
    at.switch_page("app_pages/compare.py").run()
    at.session_state["cmp_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    at.text_input(key="cmp_save_name").set_value("run-a")
    at.button(key="cmp_save").click().run()
    assert list(list_runs()["name"]) == ["run-a"]
    at.switch_page(TRAIN_PAGE).run()
    other = _csv_bytes(rng.random((200, 6)) + 5)
    at.get_by_key("train_upload").set_value(("data.csv", other, "text/csv"))
    click(at, "train_go")
    shown = app_state(at).current
    at.switch_page("app_pages/compare.py").run()
    names = at.dataframe[0].value["name"].tolist()
    at.session_state["cmp_table"] = {
        "selection": {"rows": [names.index("run-a")], "columns": [], "cells": []}
    }
    at.run()
    at.button(key="cmp_load").click().run()
    assert any("different contents" in e for e in errors(at))
    assert app_state(at).current is shown


def test_preprocessing_choice_changes_the_training_data():
    rng = np.random.default_rng(2)
    raw = 200 * rng.random((300, 6)) + 1000  # raw values far from unit scale
    at = open_app(TRAIN_PAGE)
    set_widgets(at, train_source="file").run()
    at.get_by_key("train_upload").set_value(("big.csv", _csv_bytes(raw), "text/csv"))
    set_widgets(at, train_epochs=2, train_d_sae=8, train_batch=32).run()
    assert at.selectbox(key="train_preprocess").value == "default"
    click(at, "train_go")
    raw_model = app_state(at).current
    assert raw_model.dataset.x_train.mean() > 900  # the file source keeps raw values
    set_widgets(at, train_preprocess="standardise").run()
    click(at, "train_go")
    current = app_state(at).current
    x = current.dataset.x_train
    assert abs(x.mean()) < 1e-3 and np.allclose(x.std(axis=0), 1, atol=1e-3)
    assert current.data.options["preprocess"] == "standardise"
    assert current.metrics.fve > raw_model.metrics.fve
    assert at.query_params.get("pre") == "standardise"  # the link keeps the choice


def test_split_controls_set_the_held_out_share_and_the_split_seed():
    at = trained_app(train_test_fraction=0.5, train_split_seed=3, train_epochs=1)
    data = app_state(at).current.dataset
    assert data.n_test == pytest.approx(0.5 * (data.n_train + data.n_test), abs=1)
    expected = load_dataset("digits", test_fraction=0.5, seed=3)
    np.testing.assert_array_equal(data.x_test, expected.x_test)
    assert at.query_params.get("tf") == "0.5" and at.query_params.get("ss") == "3"
    set_widgets(at, train_source="mnist").run()  # the official split: no share control
    assert "train_test_fraction" not in [s.key for s in at.select_slider]


def test_synthetic_magnitude_choice_reaches_the_generator():
    at = open_app(TRAIN_PAGE)
    set_widgets(at, train_source="synthetic").run()
    set_widgets(at, train_magnitude="constant", train_epochs=1, train_n_samples=1024).run()
    click(at, "train_go")
    current = app_state(at).current
    assert current.data.options["magnitude"] == "constant"
    expected = load_dataset("synthetic", **current.data.options)
    np.testing.assert_array_equal(current.dataset.x_train, expected.x_train)
    assert "train_split_seed" not in [n.key for n in at.number_input]  # its Data seed splits


def test_initialisation_options_reach_the_config_and_the_snippet():
    at = trained_app(train_enc_init=False, train_bdec_init=False, train_epochs=1)
    cfg = app_state(at).current.sae_config
    assert not cfg.init_encoder_from_decoder and not cfg.init_b_dec_from_mean
    assert at.query_params.get("einit") == "0" and at.query_params.get("binit") == "0"
    code = "\n".join(str(c.value) for c in at.code)
    assert "init_encoder_from_decoder=False" in code and "init_b_dec_from_mean=False" in code


def test_standardising_a_barely_varying_column_warns_on_the_train_page():
    from sae_core.data import load_file_bytes

    rng = np.random.default_rng(3)
    x = rng.random((300, 5))
    x[:, 4] = 0.5  # constant in training...
    ids = np.arange(300)
    held_out = load_file_bytes(_csv_bytes(x, ids), "edge.csv", label_column="last").y_test
    x[held_out[0], 4] = 100.0  # ...but not in one held-out row (the split is seeded)
    at = open_app(TRAIN_PAGE)
    set_widgets(at, train_source="file").run()
    at.get_by_key("train_upload").set_value(("edge.csv", _csv_bytes(x, ids), "text/csv"))
    set_widgets(at, train_label_column="last", train_preprocess="standardise").run()
    assert any("barely vary" in w.value for w in at.warning)
    set_widgets(at, train_preprocess="scale01").run()
    assert not any("barely vary" in w.value for w in at.warning)


def test_play_on_a_fast_run_shows_it_in_frames():
    from sae_core.ui.training_loop import PLAY_FRAMES

    at = open_app(TRAIN_PAGE)
    set_widgets(at, train_epochs=5).run()  # 60 steps: one 0.3 s slice would do them all
    click(at, "train_play")
    state = app_state(at)
    assert state.trainer.step_count == 60 and state.current.finished and not state.playing
    per_frame = -(-60 // PLAY_FRAMES)
    # shown once per frame at least (a frame under load can also end at its 0.3 s deadline)
    assert state.snapshots_taken >= -(-60 // per_frame) >= 20
