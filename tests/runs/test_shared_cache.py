"""The shared model cache: digests, LRU byte budget, one training per set-up, broken entries."""

from __future__ import annotations

import itertools
import threading
from typing import Any

import pandas as pd
import pytest
import torch

from sae_core.analysis.metrics import EvalMetrics
from sae_core.config import SAEConfig, TrainConfig
from sae_core.errors import TrainingDivergedError
from sae_core.runs.shared_cache import (
    Declined,
    Progress,
    SharedModelCache,
    TrainedModel,
    setup_digest,
)
from tests.helpers.models import random_model

SAE = SAEConfig(d_in=6, d_sae=5, method="l1", lam=0.01, k=2)
TRAIN = TrainConfig(epochs=2)


def entry(
    seed: int = 0, *, d_sae: int = 5, rows: int = 3, link_key: str | None = None
) -> TrainedModel:
    """A small entry; its size grows with ``d_sae`` and the history's ``rows``."""
    model = random_model(d_sae=d_sae, seed=seed)
    history = pd.DataFrame({"step": range(rows), "loss": [1.0 / (i + 1) for i in range(rows)]})
    metrics = EvalMetrics(
        mse=0.1 * (seed + 1),
        fve=0.5,
        l0=2.0,
        dead_fraction=0.0,
        dense_fraction=0.0,
        gamma=1.0,
        norm_ratio=1.0,
    )
    return TrainedModel(
        data="digits",
        sae_config=model.cfg,
        train_config=TRAIN,
        model=model,
        history=history,
        metrics=metrics,
        train_seconds=0.5,
        steps=rows,
        link_key=link_key,
    )


def digest(**changes: object) -> str:
    base: dict[str, object] = {
        "data_spec": "digits",
        "data_options": {"preprocess": "scale01"},
        "sae_config": SAE,
        "train_config": TRAIN,
        "upload_name": None,
        "upload_digest": None,
        "data_shape": (1437, 360, 6),
    }
    return setup_digest(**{**base, **changes})  # type: ignore[arg-type]


def test_equal_set_ups_share_a_digest_and_every_difference_gives_another() -> None:
    variants = {
        "same": {},
        "spec": {"data_spec": "patches"},
        "options": {"data_options": {"preprocess": "standardize"}},
        "split": {"data_options": {"preprocess": "scale01", "test_fraction": 0.3}},
        "upload": {"upload_name": "a.csv", "upload_digest": "00ff"},
        "upload_contents": {"upload_name": "a.csv", "upload_digest": "00fe"},
        "upload_name": {"upload_name": "a.npy", "upload_digest": "00ff"},
        "shape": {"data_shape": (1437, 360, 7)},
        "lam": {"sae_config": SAE.replace(lam=0.02)},
        "method": {"sae_config": SAE.replace(method="topk")},
        "width": {"sae_config": SAE.replace(d_sae=6)},
        "seed": {"train_config": TRAIN.replace(seed=1)},
        "epochs": {"train_config": TRAIN.replace(epochs=3)},
        "batch": {"train_config": TRAIN.replace(batch_size=32)},
    }
    digests = {name: digest(**change) for name, change in variants.items()}
    assert digest() == digests["same"] == digest(data_options={"preprocess": "scale01"})
    assert len(set(digests.values())) == len(variants)  # no two different set-ups collide
    assert all(len(d) == 32 and int(d, 16) >= 0 for d in digests.values())


def test_a_grid_of_set_ups_never_collides() -> None:
    lams, widths, seeds = (0.01, 0.03, 0.1), (4, 5, 8), (0, 1, 2)
    grid = [
        digest(sae_config=SAE.replace(lam=lam, d_sae=h), train_config=TRAIN.replace(seed=s))
        for lam, h, s in itertools.product(lams, widths, seeds)
    ]
    assert len(set(grid)) == len(grid) == 27


def test_a_trained_set_up_is_returned_from_memory_without_training_again() -> None:
    cache = SharedModelCache(budget_bytes=10**7)
    calls: list[int] = []

    def train(progress: Progress) -> TrainedModel:
        calls.append(1)
        return entry(0)

    first = cache.get_or_train("a", train)
    second = cache.get_or_train("a", train)
    assert (first.source, second.source) == ("trained", "memory")
    assert second.entry is first.entry and len(calls) == 1
    assert cache.stats.trained == 1 and cache.stats.hits == 1


def test_a_second_caller_waits_for_the_training_in_progress_instead_of_training() -> None:
    cache = SharedModelCache(budget_bytes=10**7, poll_seconds=0.01)
    started, release = threading.Event(), threading.Event()
    trained: list[str] = []
    seen: list[tuple[int, int]] = []

    def slow_train(progress: Progress) -> TrainedModel:
        trained.append(threading.current_thread().name)
        progress.step, progress.total = 3, 10
        started.set()
        assert release.wait(30)
        return entry(0)

    def on_wait(progress: Progress) -> None:
        seen.append((progress.step, progress.total))
        release.set()  # the waiter has seen the progress: let the training finish

    results: dict[str, object] = {}
    owner = threading.Thread(
        target=lambda: results.update(owner=cache.get_or_train("a", slow_train)), name="owner"
    )
    owner.start()
    assert started.wait(30)
    waiter = cache.get_or_train("a", slow_train, on_wait=on_wait)
    owner.join(30)
    assert trained == ["owner"]  # one training for both
    assert waiter.source == "waited" and waiter.entry is results["owner"].entry  # type: ignore[attr-defined]
    assert seen and seen[0] == (3, 10)
    assert cache.training("a") is None


class Interrupted(BaseException):
    """What Streamlit raises in a script whose user clicked (StopException, RerunException)."""


def _owner_then_waiters(
    cache: SharedModelCache, owner_train: Any, n_waiters: int, waiter_train: Any
) -> tuple[list[BaseException], list[object]]:
    """``owner_train`` holds the claim until ``n_waiters`` callers wait on it; then it ends.
    Returns (the owner's exception, if any; each waiter's outcome or exception)."""
    waiting = threading.Barrier(n_waiters + 1)
    released = threading.Event()
    owner_errors: list[BaseException] = []
    results: list[object] = []
    lock = threading.Lock()

    def owner() -> None:
        try:
            cache.get_or_train("a", lambda p: owner_train(p, waiting))
        except BaseException as exc:
            owner_errors.append(exc)
        finally:
            released.set()

    def on_wait(progress: Progress, seen: list[int]) -> None:
        if not seen:
            seen.append(1)
            waiting.wait(30)

    def waiter() -> None:
        seen: list[int] = []
        try:
            out: object = cache.get_or_train("a", waiter_train, on_wait=lambda p: on_wait(p, seen))
        except BaseException as exc:
            out = exc
        with lock:
            results.append(out)

    owner_thread = threading.Thread(target=owner)
    owner_thread.start()
    while cache.training("a") is None:  # the owner holds the claim before anyone waits
        assert owner_thread.is_alive() or released.is_set()
        threading.Event().wait(0.001)
    threads = [threading.Thread(target=waiter) for _ in range(n_waiters)]
    for thread in threads:
        thread.start()
    for thread in [owner_thread, *threads]:
        thread.join(30)
    return owner_errors, results


def _owner(result: Any) -> Any:
    def train(progress: Progress, waiting: threading.Barrier) -> TrainedModel:
        progress.step, progress.total = 1, 4
        waiting.wait(30)  # every waiter is waiting on this training
        if isinstance(result, BaseException):
            raise result
        return result

    return train


@pytest.mark.parametrize("budget", [0, 10], ids=["budget-0", "too-big-to-keep"])
def test_waiters_get_the_finished_model_even_when_the_cache_does_not_keep_it(
    budget: int,
) -> None:
    cache = SharedModelCache(budget_bytes=budget, poll_seconds=0.01)
    made = entry(4)
    again: list[int] = []
    errors, outcomes = _owner_then_waiters(
        cache, _owner(made), 3, lambda p: again.append(1) or entry(5)
    )
    assert errors == [] and again == []  # one training for all four sessions
    assert [o.source for o in outcomes] == ["waited"] * 3  # type: ignore[attr-defined]
    assert all(o.entry is made for o in outcomes)  # type: ignore[attr-defined]
    assert len(cache) == 0 and (cache.stats.trained, cache.stats.waited) == (1, 3)


def test_waiters_get_a_broken_result_instead_of_training_again() -> None:
    cache = SharedModelCache(budget_bytes=10**7, poll_seconds=0.01)
    broken = entry(6)
    with torch.no_grad():
        broken.model.W_dec[0, 0] = float("nan")  # problem(): the cache does not keep it
    again: list[int] = []
    errors, outcomes = _owner_then_waiters(
        cache, _owner(broken), 2, lambda p: again.append(1) or entry(5)
    )
    assert errors == [] and again == [] and "a" not in cache
    assert all(o.entry is broken for o in outcomes)  # type: ignore[attr-defined]


def test_a_training_error_reaches_every_waiter_and_nobody_trains_again() -> None:
    cache = SharedModelCache(budget_bytes=10**7, poll_seconds=0.01)
    again: list[int] = []
    diverged = TrainingDivergedError("loss became NaN at step 3: lower the learning rate")
    errors, outcomes = _owner_then_waiters(
        cache, _owner(diverged), 3, lambda p: again.append(1) or entry(5)
    )
    assert errors == [diverged] and again == []
    assert all(isinstance(o, TrainingDivergedError) for o in outcomes)
    assert {str(o) for o in outcomes} == {"loss became NaN at step 3: lower the learning rate"}
    assert cache.stats.trained == 0 and cache.training("a") is None


@pytest.mark.parametrize("stop", [Interrupted(), Declined()], ids=["interrupted", "declined"])
def test_an_interrupted_training_releases_its_claim_and_one_waiter_trains_instead(
    stop: BaseException,
) -> None:
    cache = SharedModelCache(budget_bytes=10**7, poll_seconds=0.01)
    trained: list[int] = []

    def waiter_train(progress: Progress) -> TrainedModel:
        trained.append(1)
        return entry(1)

    errors, outcomes = _owner_then_waiters(cache, _owner(stop), 3, waiter_train)
    assert errors == [stop]
    assert trained == [1]  # one waiter took over; the other two got its model
    sources = sorted(o.source for o in outcomes)  # type: ignore[attr-defined]
    assert sources == ["trained", "waited", "waited"]
    assert all(o.entry.metrics.mse == pytest.approx(0.2) for o in outcomes)  # type: ignore[attr-defined]


def test_waiting_for_a_link_gets_the_finished_entry_even_when_not_kept() -> None:
    cache = SharedModelCache(budget_bytes=0, poll_seconds=0.01)
    made = entry(2)
    started, release = threading.Event(), threading.Event()

    def slow(progress: Progress) -> TrainedModel:
        started.set()
        assert release.wait(30)
        return made

    owner = threading.Thread(target=lambda: cache.get_or_train("a", slow))
    owner.start()
    assert started.wait(30)
    assert cache.wait_for("a", on_wait=lambda p: release.set()) is made
    owner.join(30)
    assert len(cache) == 0


def test_least_recently_used_entries_are_evicted_past_the_budget() -> None:
    size = entry(0).nbytes()
    cache = SharedModelCache(budget_bytes=2 * size + size // 2)  # room for two
    a, b, c = entry(0), entry(1), entry(2)
    cache.put("a", a)
    cache.put("b", b)
    assert cache.get("a") is a  # a is now the most recently used
    cache.put("c", c)
    assert "b" not in cache and "a" in cache and "c" in cache
    assert cache.stats.evicted == 1 and cache.nbytes <= cache.budget_bytes
    assert b.model.W_dec.shape == (5, 6)  # a holder of b keeps it: eviction drops a reference


def test_an_entry_larger_than_the_budget_is_returned_but_not_kept() -> None:
    cache = SharedModelCache(budget_bytes=10)
    outcome = cache.get_or_train("a", lambda p: entry(0))
    assert outcome.source == "trained" and "a" not in cache and len(cache) == 0


def test_a_corrupted_entry_is_dropped_with_a_notice_and_trained_again() -> None:
    cache = SharedModelCache(budget_bytes=10**7)
    broken = entry(0)
    with torch.no_grad():
        broken.model.W_dec[0, 0] = float("nan")
    cache.put("a", broken)
    outcome = cache.get_or_train("a", lambda p: entry(1))
    assert outcome.source == "trained" and outcome.entry is not broken
    assert len(outcome.notices) == 1 and "W_dec holds NaN" in outcome.notices[0]
    assert cache.get("a") is outcome.entry and cache.stats.dropped == 1


def test_an_entry_whose_model_disagrees_with_its_set_up_is_broken() -> None:
    wrong = entry(0)
    mismatched = TrainedModel(
        **{**wrong.__dict__, "sae_config": SAE.replace(d_sae=7)},
    )
    assert entry(0).problem() is None
    assert "5 but the set-up is 6×7" in (mismatched.problem() or "")
    shaped = entry(0)
    shaped.model.b_enc = torch.nn.Parameter(torch.zeros(4))
    assert "b_enc has shape [4], expected [5]" in (shaped.problem() or "")


def test_a_saved_run_is_loaded_before_training_and_an_unreadable_one_is_skipped() -> None:
    cache = SharedModelCache(budget_bytes=10**7)
    saved = cache.get_or_train("a", lambda p: entry(9), load=lambda: entry(2))
    assert saved.source == "saved" and saved.entry.metrics.mse == pytest.approx(0.3)

    def unreadable() -> TrainedModel:
        raise OSError("weights.safetensors is truncated")

    fresh = cache.get_or_train("b", lambda p: entry(3), load=unreadable)
    assert fresh.source == "trained" and fresh.entry.metrics.mse == pytest.approx(0.4)
    assert "could not be read (weights.safetensors is truncated)" in fresh.notices[0]
    assert (cache.stats.saved, cache.stats.trained) == (1, 1)


def test_link_keys_lead_to_their_digest_and_waiting_for_a_missing_one_returns_none() -> None:
    cache = SharedModelCache(budget_bytes=10**7)
    cache.get_or_train("a", lambda p: entry(0, link_key="L"), link_key="L")
    assert cache.digest_for_link("L") == "a" and cache.digest_for_link("M") is None
    assert cache.wait_for("a") is cache.get("a")
    assert cache.wait_for("zzz") is None
    cache.clear()
    assert cache.digest_for_link("L") is None and len(cache) == 0


def test_a_saved_name_is_recorded_once_on_the_cached_entry_only() -> None:
    cache = SharedModelCache(budget_bytes=10**7)
    cache.get_or_train("a", lambda progress: entry(0))
    cache.mark_saved("a", "run-1")
    cache.mark_saved("a", "run-2")  # a second save under another name keeps the first
    cache.mark_saved("missing", "run-3")  # nothing cached: nothing to record, no error
    kept = cache.get("a")
    assert kept is not None and kept.saved_as == "run-1"
    assert cache.get("missing") is None and len(cache) == 1
