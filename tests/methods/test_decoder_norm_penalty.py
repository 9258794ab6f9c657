"""The decoder-norm-scaled L1 (SAEConfig.decoder_norm_penalty, SAELens's ``standard``): the
penalty's invariance to rescaling atoms and codes, its initialisation, its checks, the engine it
trains with and its export."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from sae_core import methods
from sae_core.cli.parser import build_parser
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.errors import ConfigError
from sae_core.methods import PenaltyContext
from sae_core.model import init_weights
from sae_core.runs.saelens import export_saelens
from sae_core.training.autograd_step import AutogradEngine
from sae_core.training.fit import train
from sae_core.training.trainer import Trainer

torch.set_num_threads(1)


def penalty(latents: torch.Tensor, W_dec: torch.Tensor, scaled: bool) -> float:
    cfg = SAEConfig(d_in=W_dec.shape[1], d_sae=W_dec.shape[0], decoder_norm_penalty=scaled)
    context = PenaltyContext(
        x=torch.zeros(latents.shape[0], W_dec.shape[1]),
        pre_acts=latents,
        latents=latents,
        x_hat=latents @ W_dec,
        W_enc=W_dec.t(),
        W_dec=W_dec,
        params={},
        cfg=cfg,
    )
    return float(methods.get(cfg.method).compute_penalty(context))


def test_rescaling_atoms_by_c_and_codes_by_1_over_c_leaves_the_scaled_penalty_unchanged() -> None:
    gen = torch.Generator().manual_seed(0)
    f = torch.rand(9, 5, generator=gen, dtype=torch.float64)
    W_dec = torch.randn(5, 3, generator=gen, dtype=torch.float64)
    c = 4.0
    x_hat, rescaled = f @ W_dec, (f / c) @ (W_dec * c)
    torch.testing.assert_close(x_hat, rescaled)  # the same model, seen from outside
    assert penalty(f / c, W_dec * c, True) == pytest.approx(penalty(f, W_dec, True))
    assert penalty(f / c, W_dec * c, False) == pytest.approx(penalty(f, W_dec, False) / c)
    # and by hand: Σ_j f_j ‖W_dec[j]‖, batch mean
    expected = (f * W_dec.norm(dim=-1)).sum(-1).mean()
    assert penalty(f, W_dec, True) == pytest.approx(float(expected))


def test_the_option_starts_from_small_atoms_and_an_encoder_equal_to_their_transpose() -> None:
    cfg = SAEConfig(d_in=6, d_sae=10, decoder_norm_penalty=True, init_encoder_from_decoder=False)
    w = init_weights(cfg, torch.Generator().manual_seed(0))
    torch.testing.assert_close(w["W_dec"].norm(dim=-1), torch.full((10,), 0.1))
    torch.testing.assert_close(w["W_enc"], w["W_dec"].t())


def test_only_l1_methods_take_the_option_and_never_with_unit_norm_atoms() -> None:
    assert [m.name for m in methods.all_methods() if m.l1_penalty] == ["l1"]
    with pytest.raises(ConfigError, match="needs an L1 penalty"):
        SAEConfig(d_in=4, method="l2", decoder_norm_penalty=True)
    with pytest.raises(ConfigError, match="unit_norm_decoder"):
        SAEConfig(d_in=4, decoder_norm_penalty=True, unit_norm_decoder=True)
    args = build_parser().parse_args(["train", "--data", "digits", "--penalty-decoder-norm"])
    assert args.penalty_decoder_norm


def test_the_option_trains_with_autograd_and_its_loss_is_the_scaled_penalty() -> None:
    x = np.random.default_rng(0).random((64, 6)).astype(np.float32)
    cfg = SAEConfig(d_in=6, d_sae=10, lam=0.5, decoder_norm_penalty=True)
    trainer = Trainer(cfg, TrainConfig(steps=2, batch_size=16, device="cpu"), x)
    assert isinstance(trainer.engine, AutogradEngine)  # the NumPy step knows only plain L1
    model = trainer.model(0)
    batch = torch.tensor(x[:16])
    f = model.encode(batch).detach().double()
    objective = trainer.engine.objective(batch, trainer.lams, None)
    assert float(objective.penalty[0].detach()) == pytest.approx(
        penalty(f, model.W_dec.detach().double(), True), rel=1e-5
    )


def test_the_option_exports_as_a_standard_sae(tmp_path: Path) -> None:
    data = load_dataset("synthetic", n_features=12, d_in=6, mean_active=2, n_samples=256)
    cfg = SAEConfig(d_in=6, d_sae=10, decoder_norm_penalty=True)
    model = train(cfg, data, TrainConfig(steps=5, batch_size=32, device="cpu"), probe=False).model
    folder = export_saelens(model, tmp_path / "s")
    saved = json.loads((folder / "cfg.json").read_text())
    assert saved["architecture"] == "standard"
    assert saved["metadata"]["sae_explorer"]["sae"]["decoder_norm_penalty"] is True
