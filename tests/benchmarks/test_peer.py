"""The SAELens peer benchmark: its scoring, its skip row without the sae-lens venv, and the
peer script's errors (no timing assertions; the full comparison runs in ``make bench``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks import peer
from benchmarks.common import FAIL, PASS, SKIP


def test_without_the_saelens_venv_the_row_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(peer, "PEER_PYTHON", tmp_path / "absent" / "python")
    (row,) = peer.run(quick=True)
    assert row.status == SKIP
    assert row.measured == "skipped: run make test-saelens first"
    assert row.target == peer.TARGET


def test_scores_of_the_true_dictionary_are_perfect_and_of_noise_are_not() -> None:
    rng = np.random.default_rng(0)
    features = rng.standard_normal((64, 32)).astype(np.float32)
    x = rng.standard_normal((200, 32)).astype(np.float32)
    # the features themselves, shuffled, rescaled and padded with spare latents
    W_dec = np.concatenate([3 * features[rng.permutation(64)], rng.standard_normal((64, 32))])
    exact = peer.scores(features, x, W_dec.astype(np.float32), x.copy())
    assert exact["fve"] == pytest.approx(1.0)
    assert exact["mcc"] == pytest.approx(1.0, abs=1e-6)
    assert exact["recovered"] == 64
    noise = peer.scores(
        features, x, rng.standard_normal((128, 32)).astype(np.float32), np.zeros_like(x)
    )
    # predicting zeros explains none of the variance around the mean, and worse than the mean
    assert noise["fve"] < 0
    assert noise["mcc"] < 0.7 and noise["recovered"] < 5


INFO = {"n_features": 64, "active": 3.96, "n_train": 1000, "n_test": 100}
INFO |= {"our_steps": 977, "peer_steps": 977}


def side(ms: list[float], fve: float, mcc: float) -> peer.Side:
    return peer.Side(
        cpu_per_step=[m / 1e3 for m in ms],
        wall_per_step=[2 * m / 1e3 for m in ms],
        fve=fve,
        mcc=mcc,
        recovered=60,
    )


def test_the_row_passes_on_the_median_round_ratio_at_equal_or_better_quality() -> None:
    # per-round ratios 2.0, 4.0, 3.5: median 3.5
    row = peer.make_row(side([2, 1, 2], 0.83, 0.99), side([4, 4, 7], 0.82, 0.97), INFO)
    assert row.status == PASS
    assert row.margin == pytest.approx(3.5 / 3)
    assert row.measured.startswith("3.5× less time (2.00 vs 4.00 ms); FVE 0.830 vs 0.820")
    assert "{" not in "".join(row.details)  # every placeholder filled in
    assert "3.96 active per sample; 1000 train / 100 held-out" in row.details[0]
    assert "ours: 2.00 ms CPU/step (4.00 ms wall)" in row.details[2]


def test_the_row_fails_when_slower_than_the_target_or_worse_in_quality() -> None:
    slow = peer.make_row(side([2], 0.83, 0.99), side([5], 0.82, 0.97), INFO)
    assert slow.status == FAIL and slow.margin == pytest.approx(2.5 / 3)
    worse = peer.make_row(side([1], 0.80, 0.99), side([5], 0.82, 0.97), INFO)
    assert worse.status == FAIL
    assert worse.margin == pytest.approx(0.80 / 0.82)  # the quality shortfall, not the speed


@pytest.mark.skipif(not peer.PEER_PYTHON.exists(), reason="needs make test-saelens")
def test_a_failing_peer_command_raises_with_its_last_line(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"peer_saelens\.py train failed \(1\): .*No such file"):
        peer.peer("train", str(tmp_path / "no-data"), "0.003", timeout=300)
