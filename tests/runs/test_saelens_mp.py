"""``export RUN --encoder mp``: the decoder as SAELens's ``matching_pursuit`` SAE (layout, and a
NumPy re-implementation of SAELens's pursuit reconstructing as ours; SAELens itself in
test_saelens.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from sae_core.analysis.pursuit import decode_codes, encode_with
from sae_core.errors import ConfigError
from sae_core.runs.saelens_mp import export_saelens_mp, mp_steps
from tests.helpers.cli import cli_error
from tests.helpers.models import random_model


def saelens_mp_oracle(cfg: dict, w: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """SAELens 6's matching pursuit, in NumPy: ``max_iterations`` steps each adding the row with
    the largest positive projection of the residual of x − b_dec (no early stop here)."""
    residual = x - w["b_dec"]
    acts = np.zeros((len(x), cfg["d_sae"]))
    rows = np.arange(len(x))
    for _ in range(cfg["max_iterations"]):
        proj = np.maximum(residual @ w["W_dec"].T, 0.0)
        best = proj.argmax(axis=1)
        acts[rows, best] += proj[rows, best]
        residual = residual - proj[rows, best][:, None] * w["W_dec"][best]
    return acts


def test_the_mp_export_reconstructs_as_our_matching_pursuit(tmp_path: Path) -> None:
    model = random_model("topk", d_in=6, d_sae=5)
    out = export_saelens_mp(model, tmp_path, 3)
    cfg = json.loads((out / "cfg.json").read_text())
    weights = load_file(str(out / "sae_weights.safetensors"))
    assert cfg["architecture"] == "matching_pursuit" and cfg["d_sae"] == 10
    assert (cfg["max_iterations"], cfg["residual_threshold"]) == (3, 0.0)
    assert cfg["stop_on_duplicate_support"] is False and cfg["apply_b_dec_to_input"] is True
    assert set(weights) == {"W_dec", "b_dec"} and weights["W_dec"].shape == (10, 6)
    np.testing.assert_allclose(np.linalg.norm(weights["W_dec"], axis=1), 1.0, atol=1e-6)
    x = np.random.default_rng(1).normal(size=(40, 6)) * 2
    acts = saelens_mp_oracle(cfg, {k: v.astype(np.float64) for k, v in weights.items()}, x)
    ours = encode_with(model, x, "mp", 3)
    recon = acts @ weights["W_dec"].astype(np.float64) + weights["b_dec"]
    np.testing.assert_allclose(recon, decode_codes(model, ours), atol=1e-5)
    norms = model.W_dec.detach().numpy().astype(np.float64)
    signed = (acts[:, :5] - acts[:, 5:]) / np.linalg.norm(norms, axis=1)
    np.testing.assert_allclose(signed, ours, atol=1e-5)  # latent j: +atom j; 5 + j: −atom j


def test_the_steps_default_to_the_runs_l0_and_must_be_positive() -> None:
    assert mp_steps(None, {"l0": 3.6}) == 4 and mp_steps(2, None) == 2
    with pytest.raises(ConfigError, match="give the pursuit's steps with --k"):
        mp_steps(None, {})
    with pytest.raises(ConfigError, match="at least one step"):
        mp_steps(0, None)


def test_the_cli_exports_a_run_as_matching_pursuit(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sae_core.cli.commands import main

    monkeypatch.setenv("SAE_EXPLORER_RUNS", str(tmp_path / "runs"))
    run_dir = tmp_path / "runs" / "tk"
    train = ["--data", "digits", "--method", "topk", "--k", "4", "--hidden", "16", "--epochs", "1"]
    assert main(["train", *train, "--out", str(run_dir)]) == 0
    mp = ["--encoder", "mp", "--k", "4", "--out", str(tmp_path / "mp")]
    assert main(["export", str(run_dir), *mp]) == 0
    assert "matching_pursuit, 4 steps" in capsys.readouterr().out
    cfg = json.loads((tmp_path / "mp" / "cfg.json").read_text())
    assert (cfg["architecture"], cfg["d_sae"], cfg["max_iterations"]) == ("matching_pursuit", 32, 4)
    assert cfg["metadata"]["dataset_path"] == "digits"
    error = cli_error(capsys, "export", str(run_dir), "--k", "3", "--out", str(tmp_path / "x"))
    assert "needs --encoder mp" in error
