"""What the charts and panels call a number is what the code computes (gap report #3, #9, #12).

- The training history's ``dead_fraction`` counts latents silent for ``dead_window`` training
  steps; the chart says so, and the final metrics show SAE_NOTES' held-out dead fraction.
- Shrinkage's norm ratio is one definition (a ratio of means) in the metrics, the Activations
  chart and the Train panel.
- With tied weights the objective shows weight decay counted once, as training counts it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from sae_core import methods
from sae_core.analysis.metrics import EvalMetrics, compute_shrinkage, evaluate
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.figures import make_history_figure, make_shrinkage_figure
from sae_core.figures.theme import fmt_number
from sae_core.training.autograd_step import AutogradEngine
from sae_core.training.fit import train
from sae_core.training.trainer import Trainer
from sae_core.ui.metrics_panel import metric_rows, objective_latex
from sae_core.ui.state import current_from_result, make_choice
from sae_core.ui.views import fmt
from tests.helpers.app import app_with_model, chart_spec, make_current, open_app

torch.set_num_threads(1)


def history_frame(steps: int = 30) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "step": np.arange(1, steps + 1),
            "loss": np.linspace(2, 1, steps),
            "mse": np.linspace(1, 0.5, steps),
            "l0": np.linspace(20, 5, steps),
            "dead_fraction": np.zeros(steps),
        }
    )


def silent_trace(fig):  # the dead_fraction panel is the fourth: x4 / y4
    return next(t for t in fig.data if t.yaxis == "y4")


# ------------------------------------------------------------------ #3: the not-fired curve


def test_history_chart_names_its_window_instead_of_calling_the_curve_dead_fraction() -> None:
    fig = make_history_figure(history_frame(), dead_window=50)
    assert fig.layout.yaxis4.title.text == "latents not fired (of d_sae)"
    titles = [a.text for a in fig.layout.annotations]
    assert "dead fraction" not in titles and "not fired in the last 50 steps" in titles
    hover = silent_trace(fig).hovertemplate
    assert "last 50 training steps" in hover and "held-out dead fraction" in hover
    subtitle = fig.layout.title.text
    assert "last 50 training steps" in subtitle and "p_j = 0 on the test split" in subtitle


def test_history_chart_without_the_window_names_the_setting_not_a_guess() -> None:
    fig = make_history_figure(history_frame())
    titles = [a.text for a in fig.layout.annotations]
    assert "not fired in the last dead_window steps" in titles
    assert "dead fraction" not in fig.layout.title.text.split("<br>")[0]
    without = make_history_figure(history_frame(), show_dead=False)
    assert "<sup>" not in without.layout.title.text  # no curve, nothing to explain


def test_short_run_curve_reads_zero_while_the_metrics_show_the_held_out_dead_fraction() -> None:
    """The report's case: digits, L1 λ=2, d_sae 128, 5 epochs (60 steps < dead_window 200)."""
    dataset = load_dataset("digits")
    sae = SAEConfig(d_in=dataset.d_in, d_sae=128, method="l1", lam=2.0)
    result = train(sae, dataset, TrainConfig(epochs=5), probe=False)
    assert result.history["dead_fraction"].max() == 0.0  # the window never filled
    held_out = evaluate(result.model, dataset, probe=False).dead_fraction
    assert held_out > 0.3
    row = next(r for r in metric_rows(result.metrics) if r.key == "dead_fraction")
    assert row.value == fmt(100 * held_out, "{:.1f}%")
    assert "held-out" in row.help and "not fired in the last" in row.help
    fig = make_history_figure(result.history, dead_window=result.train_config.dead_window)
    assert "not fired in the last 200 steps" in [a.text for a in fig.layout.annotations]


def test_dead_window_training_results_are_unchanged_by_the_chart() -> None:
    """The label is display only: same seed, same history, same held-out metrics."""
    dataset = load_dataset("digits")
    sae = SAEConfig(d_in=dataset.d_in, d_sae=32, method="topk", k=4)
    tc = TrainConfig(epochs=2, dead_remedy="auxk", dead_window=5)
    runs = [train(sae, dataset, tc, probe=False) for _ in range(2)]
    make_history_figure(runs[0].history, dead_window=tc.dead_window)
    pd.testing.assert_frame_equal(runs[0].history, runs[1].history)
    assert runs[0].metrics == runs[1].metrics


def test_train_page_chart_explains_the_curve_beside_the_held_out_metric() -> None:
    current = make_current("digits", d_sae=64, epochs=2, lam=2.0)
    at = app_with_model(current, "app_pages/train.py")
    spec = chart_spec(at, "train_history")
    assert spec["layout"]["yaxis4"]["title"]["text"] == "latents not fired (of d_sae)"
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert any(t.startswith("not fired in the last") for t in titles)
    assert "p_j = 0 on the test split" in spec["layout"]["title"]["text"]
    dead = next(m for m in at.metric if m.label == "Dead latents")
    assert dead.value == fmt(100 * current.metrics.dead_fraction, "{:.1f}%")


# ------------------------------------------------------------------ #9: one norm ratio


def test_shrinkage_chart_reports_the_metrics_ratio_of_means_not_a_mean_of_ratios() -> None:
    x = np.array([[1.0, 0.0], [0.0, 10.0], [0.0, 0.0]])  # norms 1, 10 and an all-zero sample
    x_hat = np.array([[0.5, 0.0], [0.0, 10.0], [0.0, 0.0]])  # norms 0.5, 10, 0
    gamma, norm_ratio = compute_shrinkage(x, x_hat)
    assert norm_ratio == pytest.approx(10.5 / 11)  # not (0.5 + 1) / 2 = 0.75
    fig = make_shrinkage_figure(np.linalg.norm(x, axis=1), np.linalg.norm(x_hat, axis=1), gamma)
    assert f"E‖x̂‖ / E‖x‖ = {fmt_number(norm_ratio)}" in fig.layout.title.text
    zero = make_shrinkage_figure(np.zeros(3), np.zeros(3), math.nan)
    assert "E‖x̂‖ / E‖x‖ = nan" in zero.layout.title.text


def test_train_metrics_panel_shows_the_norm_ratio_beside_gamma() -> None:
    metrics = EvalMetrics(
        mse=0.1, fve=0.9, l0=5.0, dead_fraction=0.1, dense_fraction=0.0, gamma=0.8, norm_ratio=0.87
    )
    rows = metric_rows(metrics)
    keys = [r.key for r in rows]
    assert keys[keys.index("gamma") + 1] == "norm_ratio"
    assert rows[keys.index("norm_ratio")].value == "0.870"


def test_activations_page_shows_the_same_norm_ratio_as_the_metrics() -> None:
    current = make_current("digits", d_sae=32, epochs=3, lam=0.3)
    at = app_with_model(current, "app_pages/activations.py")
    shown = next(m.value for m in at.metric if m.label == "Norm ratio")
    assert shown == fmt(current.metrics.norm_ratio)
    title = chart_spec(at, "act_shrinkage")["layout"]["title"]["text"]
    assert f"E‖x̂‖ / E‖x‖ = {fmt_number(current.metrics.norm_ratio)}" in title


# ------------------------------------------------------------------ #12: tied weight decay


def test_tied_objective_counts_the_shared_weight_matrix_once() -> None:
    tied = objective_latex(SAEConfig(d_in=4, d_sae=3, tied=True, weight_decay=1e-3))
    untied = objective_latex(SAEConfig(d_in=4, d_sae=3, weight_decay=1e-3))
    assert r"\lambda_w \lVert W_{dec}\rVert_F^2" in tied and r"\lVert W_{enc}\rVert_F^2" not in tied
    assert r"\lVert W_{enc}\rVert_F^2 + \lVert W_{dec}\rVert_F^2" in untied
    assert r"\lambda_w" not in objective_latex(SAEConfig(d_in=4, d_sae=3, tied=True))


def test_tied_training_loss_adds_weight_decay_on_w_dec_once_as_displayed() -> None:
    """Oracle for the displayed formula: the trainer's loss equals recon + λR + λ_w‖W_dec‖²."""
    torch.manual_seed(0)
    x = torch.randn(16, 4)
    cfg = SAEConfig(d_in=4, d_sae=3, method="l1", lam=0.5, tied=True, weight_decay=0.1)
    trainer = Trainer(cfg, TrainConfig(steps=1, batch_size=16, device="cpu"), x.numpy())
    assert isinstance(trainer.engine, AutogradEngine)  # tied weights train with autograd
    terms = trainer.engine.objective(x, trainer.lams, None)
    W_dec, latents = trainer.params["W_dec"][0], terms.latents
    penalty = methods.get("l1").penalty(latents, W_dec.T, cfg.rho)
    expected = terms.recon + 0.5 * penalty + 0.1 * W_dec.square().sum()
    assert terms.loss.item() == pytest.approx(expected.item(), rel=1e-6)


def test_train_page_shows_the_tied_weight_decay_for_a_tied_model() -> None:
    dataset = load_dataset("digits")
    sae = SAEConfig(d_in=dataset.d_in, d_sae=32, tied=True, weight_decay=1e-3)
    result = train(sae, dataset, TrainConfig(epochs=1), probe=False)
    current = current_from_result(make_choice("digits"), dataset, result)
    at = app_with_model(current, "app_pages/train.py")
    latex = [str(e.value) for e in at.latex]
    assert any(r"\lambda_w \lVert W_{dec}\rVert_F^2" in t for t in latex)
    assert not any(r"\lVert W_{enc}\rVert_F^2 + \lVert W_{dec}" in t for t in latex)


def test_learn_page_shows_both_weight_decay_forms() -> None:
    at = open_app("app_pages/learn.py")
    latex = [str(e.value) for e in at.latex]
    assert any(r"\lVert W_{enc}\rVert_F^2 + \lVert W_{dec}\rVert_F^2" in t for t in latex)
    assert any(r"\lambda_w \lVert W_{dec}\rVert_F^2" in t and "tied" in t for t in latex)
