"""Trainer behaviour: determinism, learning, NaN safety, stacking, remedies."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sae_core.config import SAEConfig, TrainConfig
from sae_core.errors import ConfigError, DataError, TrainingDivergedError
from sae_core.training.trainer import HISTORY_COLUMNS, Trainer


def superposition(n: int = 4000, n_features: int = 32, d_in: int = 16, seed: int = 0):
    rng = np.random.default_rng(seed)
    features = rng.standard_normal((n_features, d_in))
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    codes = (rng.random((n, n_features)) < 0.05) * rng.random((n, n_features))
    return (codes @ features).astype(np.float32), features


def mmcs(features: np.ndarray, W_dec: np.ndarray) -> float:
    W = W_dec / np.linalg.norm(W_dec, axis=1, keepdims=True)
    return float((features @ W.T).max(1).mean())


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    from sklearn.datasets import load_digits

    return (load_digits().data / 16).astype(np.float32)


def test_same_seed_gives_bit_identical_weights_and_history(digits: np.ndarray) -> None:
    cfg, tc = SAEConfig(d_in=64, d_sae=32), TrainConfig(steps=30, seed=3)
    a, b = Trainer(cfg, tc, digits), Trainer(cfg, tc, digits)
    a.run()
    b.run()
    assert torch.equal(a.model().W_dec, b.model().W_dec)
    assert a.history.equals(b.history)
    c = Trainer(cfg, tc.replace(seed=4), digits)
    c.run()
    assert not torch.equal(a.model().W_dec, c.model().W_dec)


def test_history_has_one_row_per_step_with_the_documented_columns(digits: np.ndarray) -> None:
    t = Trainer(SAEConfig(d_in=64, d_sae=16), TrainConfig(epochs=2, batch_size=256), digits)
    history = t.run()
    assert list(history.columns) == list(HISTORY_COLUMNS)
    assert t.total_steps == 2 * int(np.ceil(len(digits) / 256)) == len(history)
    assert history["step"].tolist() == list(range(1, t.total_steps + 1))
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]
    assert t.done and t.progress == 1.0


def test_step_by_step_equals_run_all_at_once(digits: np.ndarray) -> None:
    cfg, tc = SAEConfig(d_in=64, d_sae=16), TrainConfig(steps=12)
    a, b = Trainer(cfg, tc, digits), Trainer(cfg, tc, digits)
    for _ in range(12):
        a.step()
    b.run(5)
    b.run()
    assert torch.equal(a.model().W_enc, b.model().W_enc)


def test_callback_returning_false_stops_training_early(digits: np.ndarray) -> None:
    t = Trainer(SAEConfig(d_in=64, d_sae=16), TrainConfig(steps=100), digits)
    t.run(callback=lambda tr: tr.step_count < 7)
    assert t.step_count == 7 and not t.done


def test_reset_returns_to_the_seeded_start(digits: np.ndarray) -> None:
    t = Trainer(SAEConfig(d_in=64, d_sae=16), TrainConfig(steps=10), digits)
    start = t.model().W_dec.clone()
    t.run()
    t.reset()
    assert t.step_count == 0 and t.history.empty
    assert torch.equal(t.model().W_dec, start)


def test_default_config_reaches_fve_above_0_9_on_digits(digits: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    order = rng.permutation(len(digits))
    x_train, x_test = digits[order[:1400]], digits[order[1400:]]
    t = Trainer(SAEConfig(d_in=64), TrainConfig(), x_train)
    t.run()
    x_hat = t.model()(torch.from_numpy(x_test)).detach().numpy()
    fve = 1 - ((x_test - x_hat) ** 2).sum() / ((x_test - x_test.mean(0)) ** 2).sum()
    assert fve >= 0.9


def test_l0_falls_as_l1_lambda_rises_over_a_decade_grid(digits: np.ndarray) -> None:
    l0s = []
    for lam in (0.01, 0.1, 1.0):
        t = Trainer(SAEConfig(d_in=64, d_sae=64, lam=lam), TrainConfig(epochs=8), digits)
        t.run()
        l0s.append((t.model().encode(torch.from_numpy(digits)) > 0).sum(-1).float().mean().item())
    assert l0s[0] > l0s[1] > l0s[2]


@pytest.mark.parametrize(("method", "lam"), [("topk", 0.0), ("l1", 0.3)])
def test_sae_recovers_32_superposed_features_in_16_dims(method: str, lam: float) -> None:
    x, features = superposition()
    cfg = SAEConfig(d_in=16, d_sae=64, method=method, lam=lam, k=2)
    t = Trainer(cfg, TrainConfig(epochs=20, batch_size=128), x)
    t.run()
    assert mmcs(features, t.model().W_dec.detach().numpy()) >= 0.9


def test_divergence_stops_with_a_clear_error_and_keeps_the_last_good_model(
    digits: np.ndarray,
) -> None:
    t = Trainer(SAEConfig(d_in=64, d_sae=16, lam=0.0), TrainConfig(steps=200, lr=0.01), digits)
    t.run(60)
    good = t.model().W_dec.clone()
    with torch.no_grad():  # force the next step's loss to inf
        t.params["W_dec"].fill_(float("inf"))
    with pytest.raises(TrainingDivergedError, match="lower the learning rate"):
        t.step()
    restored = t.model().W_dec
    assert torch.isfinite(restored).all()
    assert (restored - good).abs().max() < 1.0  # the snapshot from step 50, not garbage


def test_an_absurd_learning_rate_raises_diverged_not_nan_weights(digits: np.ndarray) -> None:
    t = Trainer(
        SAEConfig(d_in=64, d_sae=16, lam=1e6), TrainConfig(steps=300, lr=10.0), digits * 1e3
    )
    with pytest.raises(TrainingDivergedError, match="lower the learning rate"):
        t.run()
    assert torch.isfinite(t.model().W_dec).all()


def test_divergence_on_huge_values_points_at_the_data_scale(digits: np.ndarray) -> None:
    t = Trainer(SAEConfig(d_in=64, d_sae=16), TrainConfig(steps=20, lr=1e-4), digits * 1e20)
    with pytest.raises(TrainingDivergedError, match=r"max \|x\| = 1e\+20.*standardise"):
        t.run()


def test_stacked_sweep_matches_models_trained_one_by_one(digits: np.ndarray) -> None:
    lams = [0.01, 0.1, 1.0]
    tc = TrainConfig(steps=40)
    cfgs = [SAEConfig(d_in=64, d_sae=32, lam=lam) for lam in lams]
    stacked = Trainer(cfgs, tc, digits, seeds=[0, 1, 2])
    stacked.run()
    for i, cfg in enumerate(cfgs):
        alone = Trainer(cfg, tc.replace(seed=i), digits)
        alone.run()
        torch.testing.assert_close(
            stacked.model(i).W_dec, alone.model().W_dec, atol=2e-4, rtol=1e-3
        )
        np.testing.assert_allclose(
            stacked.history.query("model == @i")["loss"].to_numpy(),
            alone.history["loss"].to_numpy(),
            rtol=1e-3,
        )


def test_stacked_models_must_share_a_shape(digits: np.ndarray) -> None:
    with pytest.raises(ConfigError, match="differ only in lam"):
        Trainer([SAEConfig(d_in=64, d_sae=8), SAEConfig(d_in=64, d_sae=16)], TrainConfig(), digits)


def test_unit_norm_decoder_stays_unit_norm_during_training(digits: np.ndarray) -> None:
    t = Trainer(SAEConfig(d_in=64, d_sae=16, unit_norm_decoder=True), TrainConfig(steps=20), digits)
    t.run()
    torch.testing.assert_close(t.model().W_dec.norm(dim=-1), torch.ones(16))


def test_resampling_brings_dead_latents_back(digits: np.ndarray) -> None:
    cfg = SAEConfig(d_in=64, d_sae=128, lam=1.0)
    tc = TrainConfig(epochs=40, lr=1e-2, dead_window=30, resample_every=60, dead_remedy="resample")
    plain = Trainer(cfg, tc.replace(dead_remedy="none"), digits)
    plain.run()
    remedied = Trainer(cfg, tc, digits)
    remedied.run()

    def dead(t: Trainer) -> int:
        return int(((t.model().encode(torch.from_numpy(digits)) > 0).sum(0) == 0).sum())

    assert dead(plain) > 40
    assert dead(remedied) < 0.7 * dead(plain)


def test_lambda_warmup_leaves_fewer_dead_latents(digits: np.ndarray) -> None:
    cfg, tc = SAEConfig(d_in=64, d_sae=128, lam=1.0), TrainConfig(epochs=20, lr=1e-2)
    counts = []
    for warmup in (0, 150):
        t = Trainer(cfg, tc.replace(lam_warmup_steps=warmup), digits)
        t.run()
        counts.append(int(((t.model().encode(torch.from_numpy(digits)) > 0).sum(0) == 0).sum()))
    assert counts[1] < counts[0] / 2


def test_auxk_is_refused_for_penalty_methods_and_resample_for_topk(digits: np.ndarray) -> None:
    with pytest.raises(ConfigError, match="auxk"):
        Trainer(SAEConfig(d_in=64, method="l1"), TrainConfig(dead_remedy="auxk"), digits)
    with pytest.raises(ConfigError, match="resample"):
        Trainer(SAEConfig(d_in=64, method="topk"), TrainConfig(dead_remedy="resample"), digits)


def test_lambda_warmup_ramps_the_recorded_lambda(digits: np.ndarray) -> None:
    t = Trainer(
        SAEConfig(d_in=64, d_sae=8, lam=1.0), TrainConfig(steps=20, lam_warmup_steps=10), digits
    )
    lam = t.run()["lam"].to_numpy()
    assert lam[0] == pytest.approx(0.0) and lam[5] == pytest.approx(0.5) and lam[-1] == 1.0


@pytest.mark.parametrize(
    ("x", "message"),
    [
        (np.zeros((10, 5), np.float32), "d_in is 64"),
        (np.full((10, 64), np.nan, np.float32), "NaN"),
        (np.zeros(64, np.float32), "matrix"),
    ],
)
def test_bad_training_data_is_refused_with_a_clear_message(x: np.ndarray, message: str) -> None:
    with pytest.raises(DataError, match=message):
        Trainer(SAEConfig(d_in=64), TrainConfig(), x)


def test_batch_larger_than_the_data_is_refused(digits: np.ndarray) -> None:
    with pytest.raises(ConfigError, match="batch_size=5000 exceeds"):
        Trainer(SAEConfig(d_in=64), TrainConfig(batch_size=5000), digits)


def test_stacked_models_resample_exactly_as_they_would_alone(digits: np.ndarray) -> None:
    lams, seeds = [0.5, 1.0, 2.0], [3, 4, 5]
    tc = TrainConfig(steps=80, dead_remedy="resample", dead_window=10, resample_every=30)
    cfgs = [SAEConfig(d_in=64, d_sae=24, lam=lam) for lam in lams]
    stacked = Trainer(cfgs, tc, digits, seeds=seeds)
    stacked.run()
    for i, cfg in enumerate(cfgs):
        alone = Trainer(cfg, tc.replace(seed=seeds[i]), digits)
        alone.run()
        torch.testing.assert_close(
            stacked.model(i).W_dec, alone.model().W_dec, atol=1e-4, rtol=1e-3
        )


def test_batches_are_each_epoch_permutations_rows_in_order(digits: np.ndarray) -> None:
    # 1797 rows, batch 100: 18 batches an epoch, the last one short
    t = Trainer(SAEConfig(d_in=64, d_sae=16), TrainConfig(epochs=3, batch_size=100), digits)
    x = torch.from_numpy(digits)
    for epoch in range(3):
        rows = []
        for pos in range(t.steps_per_epoch):
            batch = t._batch()
            assert t._perms is not None
            expected = x[t._perms[0, pos * 100 : (pos + 1) * 100]]  # plain indexing, row by row
            assert torch.equal(batch, expected), (epoch, pos)
            rows.append(t._perms[0, pos * 100 : (pos + 1) * 100])
            t.step_count += 1
        # an epoch's batches hold every row exactly once
        assert sorted(torch.cat(rows).tolist()) == list(range(len(digits)))
    t.reset()  # mid-run reset: the first epoch's batches again
    first = Trainer(SAEConfig(d_in=64, d_sae=16), TrainConfig(epochs=3, batch_size=100), digits)
    assert torch.equal(t._batch(), first._batch())


def test_dead_fraction_in_the_history_is_the_share_of_silent_latents(digits: np.ndarray) -> None:
    # 256 latents, 2 per sample, batches of 32: most latents are silent for 2 steps running
    tc = TrainConfig(steps=40, dead_window=2, batch_size=32)
    t = Trainer(SAEConfig(d_in=64, d_sae=256, method="topk", k=2), tc, digits)
    t.run()
    expected = float((t.steps_since_fired[0] >= 2).float().mean())
    assert 0.5 < expected < 1
    assert t.history["dead_fraction"].iloc[-1] == expected
