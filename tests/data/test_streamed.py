"""A streamed .npy: the same split and scaling as load_dataset, and a Trainer that trains on it
exactly as on the same batches held in memory."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from sae_core.analysis.metrics import evaluate
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.data.streamed import load_streamed
from sae_core.errors import ConfigError, DataError
from sae_core.training.trainer import Trainer


def _file(tmp_path: Path, n: int = 3000, d: int = 16) -> tuple[Path, np.ndarray]:
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((n, d)) * rng.uniform(0.5, 4, d) + rng.uniform(-3, 3, d)).astype(
        np.float32
    )
    path = tmp_path / "acts.npy"
    np.save(path, x)
    return path, x


@pytest.mark.parametrize("preprocess", ["none", "standardise", "scale01+centre"])
def test_split_scaling_and_held_out_rows_equal_load_dataset(
    tmp_path: Path, preprocess: str
) -> None:
    path, _ = _file(tmp_path)
    stream = load_streamed(
        path, preprocess=preprocess, test_fraction=0.25, seed=3, max_samples=2500
    )
    oracle = load_dataset(
        str(path), preprocess=preprocess, test_fraction=0.25, seed=3, max_samples=2500
    )
    assert (stream.n_train, stream.n_test, stream.d_in) == (oracle.n_train, oracle.n_test, 16)
    assert stream.name == oracle.name
    np.testing.assert_allclose(stream.dataset.x_test, oracle.x_test, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(stream.mean(), oracle.x_train.mean(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(stream.read(stream.train_rows), oracle.x_train, rtol=1e-5, atol=1e-5)
    assert stream.dataset.preprocessing.steps == oracle.preprocessing.steps
    assert f"{oracle.n_train} train / {oracle.n_test} test (seed 3)" in stream.dataset.description


def test_only_samples_are_held_in_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sae_core.data.streamed.REFERENCE_ROWS", 100)
    monkeypatch.setattr("sae_core.data.streamed.EVAL_ROWS", 50)
    path, x = _file(tmp_path)
    stream = load_streamed(path)
    assert stream.dataset.x_train.shape == (100, 16) and stream.dataset.x_test.shape == (50, 16)
    rows = {tuple(r) for r in x[stream.test_rows]}
    assert all(tuple(r) in rows for r in stream.dataset.x_test)  # held-out rows, unscaled
    assert stream.n_train == 2400 and stream.n_test == 600


def test_a_nan_anywhere_is_named_by_its_row_and_progress_is_reported(tmp_path: Path) -> None:
    path, x = _file(tmp_path)
    x[2222, 5] = np.nan
    np.save(path, x)
    with pytest.raises(DataError, match=r"acts.npy has a NaN or infinite value at row 2222, col"):
        load_streamed(path)
    x[2222, 5] = 0
    np.save(path, x)
    seen: list[tuple[int, int]] = []
    load_streamed(path, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (3000, 3000) and all(t == 3000 for _, t in seen)


class _ListSource:
    """A BatchSource replaying recorded batches (the plain path's own)."""

    def __init__(self, x: np.ndarray, batches: list[np.ndarray]) -> None:
        self.x, self.recorded = x, batches

    @property
    def n_samples(self) -> int:
        return len(self.x)

    def reference(self) -> np.ndarray:
        return self.x

    def mean(self) -> np.ndarray:
        return torch.from_numpy(self.x).mean(0).numpy()  # torch's sum order, as the Trainer's

    def batches(self, batch_size: int, seed: int) -> Iterator[np.ndarray]:
        return iter(self.recorded)


def test_a_batch_source_trains_exactly_as_the_same_batches_in_memory() -> None:
    x = np.random.default_rng(2).random((300, 12), dtype=np.float32)
    cfg, tc = SAEConfig(d_in=12, d_sae=24, lam=0.05), TrainConfig(epochs=3, batch_size=64)
    plain = Trainer(cfg, tc, x)
    recorded: list[np.ndarray] = []
    take = plain._batch

    def recording() -> torch.Tensor:
        batch = take()
        recorded.append(batch.numpy().copy())
        return batch

    plain._batch = recording  # type: ignore[method-assign]
    plain.run()
    streamed = Trainer(cfg, tc, _ListSource(x, recorded))
    assert streamed.total_steps == plain.total_steps == 3 * math.ceil(300 / 64)
    streamed.run()
    for name, param in plain.params.items():
        torch.testing.assert_close(streamed.params[name], param, rtol=0, atol=0)
    assert streamed.history["loss"].tolist() == plain.history["loss"].tolist()


def test_the_trainer_streams_a_file_epoch_by_epoch_and_learns(tmp_path: Path) -> None:
    path, _ = _file(tmp_path)
    stream = load_streamed(path, preprocess="standardise", block_rows=128, window_blocks=3)
    tc = TrainConfig(epochs=4, batch_size=100)
    trainer = Trainer(SAEConfig(d_in=16, d_sae=32, lam=0.01), tc, stream)
    assert trainer.steps_per_epoch == math.ceil(2400 / 100) and trainer.total_steps == 96
    trainer.run()
    assert trainer.history["epoch"].iloc[-1] == 4.0
    assert evaluate(trainer.model(), stream.dataset, probe=False).fve > 0.9
    trainer.reset()  # the same seed streams the same batches again
    again = Trainer(SAEConfig(d_in=16, d_sae=32, lam=0.01), tc, stream)
    trainer.run(5)
    again.run(5)
    torch.testing.assert_close(trainer.params["W_dec"], again.params["W_dec"], rtol=0, atol=0)
    with pytest.raises(ConfigError, match="give every model one seed"):
        Trainer([SAEConfig(d_in=16, d_sae=32)] * 2, tc, stream, seeds=[0, 1])
