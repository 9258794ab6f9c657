"""One trained model per set-up for the whole server: digests, an LRU byte budget, one training.

Training is deterministic: the same data, preprocessing, split, model and training config, seed
and steps give the same weights. :func:`setup_digest` names such a set-up, and
:class:`SharedModelCache` keeps the models trained for set-ups by that name, so a set-up trained
once is shown to every later session at once. A session asking for a set-up that another is
training at that moment waits for that one training (:meth:`SharedModelCache.get_or_train`),
reading its :class:`Progress` meanwhile, instead of starting its own.

The cache holds at most ``budget_bytes`` of models; past it, the least recently used are
dropped. Dropping only removes the cache's reference: a session keeps the model it shows.
An entry that fails its check (non-finite weights, shapes that disagree with its config) is
dropped with a notice and trained again. No Streamlit here: ``sae_core/ui/shared_models.py``
holds the server's one instance and turns entries into the pages' models.

    cache = SharedModelCache(budget_bytes=256 * 2**20)
    outcome = cache.get_or_train(digest, train=lambda progress: train_it(progress))
    outcome.entry.metrics, outcome.source   # "trained" the first time, "memory" after

over 300 lines: the digest, the entry and its check, and the cache with its one-training
protocol are one mechanism; each part is short and the tests read them together.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
import torch

from sae_core.analysis.metrics import EvalMetrics
from sae_core.config import SAEConfig, TrainConfig
from sae_core.model import SparseAutoencoder, expected_shapes

DIGEST_VERSION = "sae-explorer-setup-1"  # changes when what a digest covers changes
DEFAULT_BUDGET_BYTES = 512 * 2**20
POLL_SECONDS = 0.25  # a waiting session redraws the other session's progress this often
MAX_ALIASES = 4096  # link keys remembered (each a short string pair)


def setup_digest(
    *,
    data_spec: str,
    data_options: Mapping[str, Any],
    sae_config: SAEConfig,
    train_config: TrainConfig,
    upload_name: str | None = None,
    upload_digest: str | None = None,
    data_shape: tuple[int, int, int] | None = None,
) -> str:
    """32 hex digits of SHA-256 over everything that determines the trained weights.

    ``data_options``: the source's options with preprocessing and split (``DataChoice.options``);
    ``upload_digest``: an uploaded file's content hash (its name too: the extension picks the
    parser); ``data_shape``: ``(n_train, n_test, d_in)``, which with the batch size and epochs
    fixes the number of steps. Equal set-ups give equal digests; any difference, a different one.
    """
    payload = {
        "version": DIGEST_VERSION,
        "data": {
            "spec": data_spec,
            "options": dict(data_options),
            "upload_name": upload_name,
            "upload_digest": upload_digest,
            "shape": None if data_shape is None else list(data_shape),
        },
        "sae": sae_config.to_dict(),
        "train": train_config.to_dict(),
    }
    text = json.dumps(payload, sort_keys=True, default=str, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True, kw_only=True, eq=False)
class TrainedModel:
    """What a finished training leaves, shared read-only by every session that shows it.

    ``data``: the UI's record of the data (its ``DataChoice``); ``model`` on the CPU; ``history``
    one row per logged step; ``link_key`` the link's name for the set-up (None for uploads).
    """

    data: Any
    sae_config: SAEConfig
    train_config: TrainConfig
    model: SparseAutoencoder
    history: pd.DataFrame
    metrics: EvalMetrics
    train_seconds: float
    steps: int
    link_key: str | None = None
    saved_as: str | None = None  # the run's name once saved (a session then shows it)

    def nbytes(self) -> int:
        """Memory held: weights (and buffers) plus the history table."""
        tensors = [*self.model.parameters(), *self.model.buffers()]
        weights = sum(t.numel() * t.element_size() for t in tensors)
        return weights + int(self.history.memory_usage(deep=True).sum())

    def problem(self) -> str | None:
        """Why this entry cannot be shown (None when it can): weights that are not finite or
        whose shapes disagree with the config, or a model of another width."""
        cfg = self.model.cfg
        if (cfg.d_in, cfg.d_sae) != (self.sae_config.d_in, self.sae_config.d_sae):
            return (
                f"its model is {cfg.d_in}×{cfg.d_sae} but the set-up is "
                f"{self.sae_config.d_in}×{self.sae_config.d_sae}"
            )
        for name, shape in expected_shapes(cfg).items():
            tensor = getattr(self.model, name, None)
            if not isinstance(tensor, torch.Tensor) or tuple(tensor.shape) != shape:
                got = None if not isinstance(tensor, torch.Tensor) else list(tensor.shape)
                return f"weight {name} has shape {got}, expected {list(shape)}"
            if not bool(torch.isfinite(tensor).all()):
                return f"weight {name} holds NaN or infinite values"
        return None


@dataclass
class Progress:
    """How far the training of one set-up has got (written by its trainer, read by waiters)."""

    step: int = 0
    total: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.total) if self.total > 0 else 0.0


@dataclass(eq=False)
class _Flight:
    """One training (or load) in progress, and what it ended with: every session waiting on it
    gets ``entry`` (or ``error`` raised again) whether or not the cache kept the entry.
    ``done`` stays False when the training was interrupted: then a waiter trains instead."""

    progress: Progress = field(default_factory=Progress)
    entry: TrainedModel | None = None
    source: str = "trained"
    error: Exception | None = None
    done: bool = False


class Declined(Exception):
    """Raised by a ``train`` that will not train (opening a link only looks): not a result,
    so a session waiting on that claim takes it over instead of getting this error."""


def _raise_again(error: Exception) -> Exception:
    """A copy of a training's error for a waiting session (each thread raises its own)."""
    try:
        return copy.copy(error)
    except Exception:  # an exception that cannot be copied: the original is still right
        return error


@dataclass(frozen=True)
class Outcome:
    """The entry a request got and where from: ``"memory"`` (cached), ``"waited"`` (another
    session's training, waited for), ``"saved"`` (a saved run) or ``"trained"`` (here, now).
    ``notices``: entries dropped on the way (why), for the user."""

    entry: TrainedModel
    source: str
    notices: tuple[str, ...] = ()


@dataclass
class CacheStats:
    """Counters since the cache was made (the load benchmark reads ``trained``)."""

    hits: int = 0
    waited: int = 0
    saved: int = 0
    trained: int = 0
    evicted: int = 0
    dropped: int = 0


class SharedModelCache:
    """Trained models by set-up digest: LRU within a byte budget, one training per set-up.

    Thread-safe: every Streamlit session runs in its own thread. ``budget_bytes`` bounds the
    models held here (an entry larger than the whole budget is returned but not kept).
    """

    def __init__(
        self, budget_bytes: int = DEFAULT_BUDGET_BYTES, *, poll_seconds: float = POLL_SECONDS
    ) -> None:
        if budget_bytes < 0:
            raise ValueError(f"budget_bytes={budget_bytes}: use 0 or more bytes")
        self.budget_bytes = int(budget_bytes)
        self.poll_seconds = float(poll_seconds)
        self.stats = CacheStats()
        self._cond = threading.Condition()
        self._entries: OrderedDict[str, TrainedModel] = OrderedDict()
        self._sizes: dict[str, int] = {}
        self._flight: dict[str, _Flight] = {}
        self._aliases: OrderedDict[str, str] = OrderedDict()  # link key -> digest

    # -- reading --------------------------------------------------------------------------
    def __contains__(self, digest: object) -> bool:
        with self._cond:
            return digest in self._entries

    def __len__(self) -> int:
        with self._cond:
            return len(self._entries)

    @property
    def nbytes(self) -> int:
        with self._cond:
            return sum(self._sizes.values())

    def training(self, digest: str) -> Progress | None:
        """The progress of ``digest``'s training in progress, or None."""
        with self._cond:
            flight = self._flight.get(digest)
            return None if flight is None else flight.progress

    def digest_for_link(self, link_key: str) -> str | None:
        """The digest a link named when it was last trained or cached, or None."""
        with self._cond:
            return self._aliases.get(link_key)

    def get(self, digest: str, notices: list[str] | None = None) -> TrainedModel | None:
        """The cached entry (now the most recently used), or None; a broken one is dropped,
        its reason appended to ``notices``."""
        with self._cond:
            return self._take(digest, notices if notices is not None else [])

    def _take(self, digest: str, notices: list[str]) -> TrainedModel | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        problem = entry.problem()
        if problem is not None:
            self._remove(digest)
            self.stats.dropped += 1
            notices.append(f"a cached model of this set-up was dropped ({problem})")
            return None
        self._entries.move_to_end(digest)
        return entry

    # -- writing --------------------------------------------------------------------------
    def put(self, digest: str, entry: TrainedModel) -> bool:
        """Keep ``entry`` for ``digest`` (and its link key); evict the least recently used past
        the budget. False when the entry alone exceeds the budget (then it is not kept)."""
        size = entry.nbytes()
        with self._cond:
            self._remove(digest)
            if entry.link_key is not None:
                self._alias(entry.link_key, digest)
            if size > self.budget_bytes:
                return False
            self._entries[digest] = entry
            self._sizes[digest] = size
            while sum(self._sizes.values()) > self.budget_bytes:
                oldest = next(iter(self._entries))
                self._remove(oldest)
                self.stats.evicted += 1
            self._cond.notify_all()
            return True

    def mark_saved(self, digest: str, name: str) -> None:
        """Record that ``digest``'s model was saved as run ``name`` (if it is cached)."""
        with self._cond:
            entry = self._entries.get(digest)
            if entry is not None and entry.saved_as is None:
                self._entries[digest] = replace(entry, saved_as=name)

    def drop(self, digest: str) -> None:
        with self._cond:
            self._remove(digest)

    def clear(self) -> None:
        """Forget every entry and link key (trainings in progress finish and are kept)."""
        with self._cond:
            self._entries.clear()
            self._sizes.clear()
            self._aliases.clear()

    def _remove(self, digest: str) -> None:
        self._entries.pop(digest, None)
        self._sizes.pop(digest, None)

    def _alias(self, link_key: str, digest: str) -> None:
        self._aliases.pop(link_key, None)
        self._aliases[link_key] = digest
        while len(self._aliases) > MAX_ALIASES:
            self._aliases.popitem(last=False)

    # -- one training per set-up ------------------------------------------------------------
    def wait_for(
        self,
        digest: str,
        on_wait: Callable[[Progress], None] | None = None,
        notices: list[str] | None = None,
    ) -> TrainedModel | None:
        """While ``digest`` trains elsewhere, wait (calling ``on_wait`` every poll); then the
        entry that training finished with (kept in the cache or not), else the cached entry, or
        None when there is none (never trained, failed, or broken: then dropped, the reason
        appended to ``notices``)."""
        notices = [] if notices is None else notices
        seen: _Flight | None = None
        while True:
            with self._cond:
                if seen is not None and seen.done:
                    return seen.entry  # None when that training failed
                entry = self._take(digest, notices)
                flight = self._flight.get(digest)
                if entry is not None or flight is None:
                    return entry
                seen = flight
                self._cond.wait(self.poll_seconds)
            if on_wait is not None:
                on_wait(flight.progress)  # outside the lock: it may draw, or raise to stop

    def get_or_train(
        self,
        digest: str,
        train: Callable[[Progress], TrainedModel],
        *,
        load: Callable[[], TrainedModel | None] | None = None,
        on_wait: Callable[[Progress], None] | None = None,
        link_key: str | None = None,
    ) -> Outcome:
        """The entry for ``digest``: cached, or after waiting for the training in progress, or
        from ``load`` (a saved run; may return None or raise), or from ``train(progress)``.

        Only one caller trains a digest at a time; the others wait and get its entry, kept in
        the cache or not (too big for the budget, evicted, broken), or its error (an
        ``Exception``, e.g. a diverged run) raised again. When that training is interrupted (a
        ``BaseException``: a click stopping its session's script) or declined
        (:class:`Declined`), one of them trains instead. ``train`` runs in the
        caller's thread and should update ``progress``; what it or ``load`` returns is kept
        unless :meth:`TrainedModel.problem` finds it broken. ``link_key`` names the set-up's
        link, so a session opening that link finds this entry (or waits for it).
        """
        notices: list[str] = []
        waited = False
        seen: _Flight | None = None
        while True:
            with self._cond:
                if seen is not None and seen.done:  # the training waited for ended: its result
                    self.stats.waited += 1
                    if seen.error is not None:
                        raise _raise_again(seen.error)
                    assert seen.entry is not None
                    return Outcome(seen.entry, "waited", tuple(notices))
                entry = self._take(digest, notices)
                if entry is not None:
                    if waited:
                        self.stats.waited += 1
                    else:
                        self.stats.hits += 1
                    return Outcome(entry, "waited" if waited else "memory", tuple(notices))
                flight = self._flight.get(digest)
                if flight is None:
                    flight = _Flight()
                    self._flight[digest] = flight
                    if link_key is not None:
                        self._alias(link_key, digest)
                    break
                seen = flight
                self._cond.wait(self.poll_seconds)
            waited = True
            if on_wait is not None:
                on_wait(flight.progress)
        try:
            outcome = self._fill(digest, train, load, flight.progress, notices)
        except Declined:
            raise  # not a result: a waiter takes the claim over
        except Exception as exc:  # a result (a diverged run): every waiter gets it
            with self._cond:
                flight.error, flight.done = exc, True
            raise
        # A BaseException (the session's script stopped by a click) skips the rest: the claim is
        # released below with nothing done, at once, and one waiter trains instead.
        else:
            with self._cond:
                flight.entry, flight.source, flight.done = outcome.entry, outcome.source, True
            return outcome
        finally:
            with self._cond:
                self._flight.pop(digest, None)
                self._cond.notify_all()

    def _fill(
        self,
        digest: str,
        train: Callable[[Progress], TrainedModel],
        load: Callable[[], TrainedModel | None] | None,
        progress: Progress,
        notices: list[str],
    ) -> Outcome:
        """This caller holds ``digest``'s claim: load it or train it, keep it if sound."""
        entry: TrainedModel | None = None
        if load is not None:
            try:
                entry = load()
            except Exception as exc:  # an unreadable run is skipped: training replaces it
                notices.append(f"a saved run of this set-up could not be read ({exc})")
            if entry is not None and (problem := entry.problem()) is not None:
                notices.append(f"a saved run of this set-up was skipped ({problem})")
                entry = None
        source = "saved" if entry is not None else "trained"
        if entry is None:
            entry = train(progress)
        with self._cond:
            if source == "saved":
                self.stats.saved += 1
            else:
                self.stats.trained += 1
        if entry.problem() is None:
            self.put(digest, entry)
        return Outcome(entry, source, tuple(notices))
