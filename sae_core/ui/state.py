"""Per-user state: the current model, the live trainer and the session's runs.

Everything mutable lives in ``st.session_state`` (one per browser tab), never in
``st.cache_resource`` (shared by all users). Datasets are cached with ``st.cache_data``: each
session gets its own copy, and the cache is bounded.

over 300 lines: the session's model record (``Current``) and the functions that create, adopt and
retire it belong together; each is short.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import streamlit as st

from sae_core import methods
from sae_core.analysis.metrics import EvalMetrics, evaluate
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import canonical_options, load_dataset, load_file_bytes
from sae_core.data.dataset import Dataset

if TYPE_CHECKING:  # torch and pandas load when a model is trained, not for the first page
    import pandas as pd

    from sae_core.model import SparseAutoencoder
    from sae_core.training.fit import TrainResult
    from sae_core.training.trainer import Trainer

STATE_KEY = "sae_explorer_state"
MAX_DERIVED = 64  # per-model cached analyses and figures (oldest dropped first)
MAX_SESSION_RUNS = 200  # frontier points kept per session (each a small dict)


UPLOAD_KEY = "upload_bytes"  # this session's StoredUpload, read by load_choice


@dataclass(frozen=True)
class StoredUpload:
    """This session's uploaded file. ``digest`` names its contents: a changed file re-uploaded
    under the same name is different data (a new trainer, a new model)."""

    name: str
    data: bytes = field(repr=False)
    digest: str
    file_id: str | None = None  # Streamlit's id of this upload: hash the bytes once, not per run


def upload_digest(data: bytes) -> str:
    """A short content hash of an upload (16 hex digits of SHA-256)."""
    return hashlib.sha256(data).hexdigest()[:16]


@dataclass(frozen=True)
class DataChoice:
    """What the user picked as data: a source spec plus its options (hashable, URL-friendly)."""

    spec: str = "digits"
    options_json: str = "{}"  # sorted JSON of source options
    upload_name: str | None = None  # set when the data came from an uploaded file
    upload_digest: str | None = None  # the upload's contents (None in runs saved before it)

    @property
    def options(self) -> dict[str, Any]:
        return dict(json.loads(self.options_json))

    @property
    def label(self) -> str:
        return self.upload_name or self.spec


def make_choice(
    spec: str, upload_name: str | None = None, upload_digest: str | None = None, **options: Any
) -> DataChoice:
    # canonical: a scenario's {"mean_active": 3} and the Train page's {"mean_active": 3.0,
    # "noise": 0.0, "seed": 0} name the same data, and equal choices must say so
    clean = canonical_options(
        spec.partition(":")[0], {k: v for k, v in options.items() if v is not None}
    )
    return DataChoice(
        spec=spec,
        options_json=json.dumps(clean, sort_keys=True),
        upload_name=upload_name,
        upload_digest=upload_digest,
    )


@st.cache_data(max_entries=8, ttl=3600, show_spinner="Loading data…")
def _load_cached(spec: str, options_json: str) -> Dataset:
    return load_dataset(spec, **json.loads(options_json))


@st.cache_data(max_entries=4, ttl=1800, show_spinner="Reading the uploaded file…")
def _load_upload_cached(_data: bytes, digest: str, filename: str, options_json: str) -> Dataset:
    # keyed by the digest: hashing up to 200 MB of bytes on every call would cost a page switch
    return load_file_bytes(_data, filename, **json.loads(options_json))


def load_choice(choice: DataChoice) -> Dataset:
    """The dataset for ``choice`` (uploads come from this session's stored bytes).

    Raises DataError when the upload is gone or its contents differ from the choice's.
    """
    if choice.upload_name is not None:
        from sae_core.errors import DataError

        upload = st.session_state.get(UPLOAD_KEY)
        if not isinstance(upload, StoredUpload) or upload.name != choice.upload_name:
            raise DataError("the uploaded file is no longer in this session: upload it again")
        if choice.upload_digest is not None and upload.digest != choice.upload_digest:
            raise DataError(
                f"the {upload.name} uploaded now is not the file this model was trained on "
                "(same name, different contents): upload that file to use this model"
            )
        return _load_upload_cached(upload.data, upload.digest, upload.name, choice.options_json)
    return _load_cached(choice.spec, choice.options_json)


@dataclass
class Current:
    """The model the pages show, with what they need to draw it (computed once)."""

    data: DataChoice
    dataset: Dataset
    sae_config: SAEConfig
    train_config: TrainConfig
    model: SparseAutoencoder
    history: pd.DataFrame
    metrics: EvalMetrics
    train_seconds: float
    steps: int
    finished: bool = True
    saved_as: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    ticket: int = 0  # order of the trainer snapshot it came from (0: not from the live trainer)
    # The set-up's names in the server's shared model cache (sae_core/ui/shared_models.py):
    # set on a full training (Train, train-as-I-move) or a cached copy of one, never on a
    # partial run; a saved run records them so a restarted server finds it.
    setup_digest: str | None = None
    link_key: str | None = None
    _analysis: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    # Page analyses (tables, histograms) computed once per model; see :meth:`cached`.
    _derived: dict[str, Any] = field(default_factory=dict, repr=False)

    def nbytes(self) -> int:
        """Memory this model holds: its weights and cached arrays (latents, x̂, ...)."""
        weights = sum(p.numel() * p.element_size() for p in self.model.parameters())
        return weights + sum(a.nbytes for a in self._analysis.values())

    def _ensure(self) -> None:
        if not self._analysis:
            latents, x_hat = self.model.reconstruct_numpy(self.dataset.x_test)
            self._analysis = {"latents": latents, "x_hat": x_hat}

    @property
    def latents(self) -> np.ndarray:
        """Test-split latents [n_test, d_sae]."""
        self._ensure()
        return self._analysis["latents"]

    @property
    def x_hat(self) -> np.ndarray:
        """Test-split reconstructions [n_test, d_in]."""
        self._ensure()
        return self._analysis["x_hat"]

    def cached(self, name: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per model and name; later calls return the stored result."""
        if name not in self._derived:
            # bounded: figures of every latent a user clicks through would otherwise pile up
            while len(self._derived) >= MAX_DERIVED:
                self._derived.pop(next(iter(self._derived)))
            self._derived[name] = compute()
        return self._derived[name]

    @property
    def W_dec(self) -> np.ndarray:
        return self.model.W_dec.detach().cpu().numpy()

    @property
    def W_enc(self) -> np.ndarray:
        return self.model.W_enc.detach().cpu().numpy()

    def summary(self) -> dict[str, Any]:
        """One frontier / runs-table row for this model."""
        cfg = self.sae_config
        return {
            "name": self.saved_as or f"session-{self.id[:6]}",
            "id": self.id,
            "data": self.data.label,
            "method": cfg.method,
            "lam": self.model.cfg.lam,  # a target-L0 controller's λ reached (model.cfg holds it)
            "d_sae": cfg.d_sae,
            "k": cfg.k if methods.get(cfg.method).uses_k else None,
            "seed": self.train_config.seed,
            "epochs": self.train_config.epochs,
            "steps": self.steps,
            "train_seconds": round(self.train_seconds, 3),
            "source": "session",
            **self.metrics.to_dict(),
        }


@dataclass
class AppState:
    """Everything one user has: current model, live trainer, session runs, playing flag."""

    current: Current | None = None
    trainer: Trainer | None = None
    trainer_key: tuple[Any, ...] | None = None  # (data, sae config, train config) of the trainer
    trainer_data: DataChoice | None = None
    session_runs: list[dict[str, Any]] = field(default_factory=list)
    models: dict[str, Current] = field(default_factory=dict)  # session runs by id (bounded)
    playing: bool = False
    last_error: str | None = None
    # Two script runs of one session can overlap: Streamlit starts a rerun while the old run
    # still evaluates (no st call there to stop it). The lock keeps trainer steps and snapshot
    # reads apart; tickets keep an older, slower snapshot from replacing a newer shown model.
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    snapshots_taken: int = 0
    shown_ticket: int = 0


def get_state() -> AppState:
    """This session's state, created on first use (every page calls it, so pages run alone)."""
    if STATE_KEY not in st.session_state:
        st.session_state[STATE_KEY] = AppState()
    state: AppState = st.session_state[STATE_KEY]
    return state


MAX_SESSION_MODELS = 12  # models kept in memory for side-by-side comparison
# ...and at most this many bytes of their weights and cached analyses (latents are n_test × d_sae:
# 12 models of d_sae 4096 on MNIST held 1.7 GB). The shown model always stays. Checked when a
# model is shown: analyses its pages cache afterwards can take the session a little past it.
MAX_SESSION_BYTES = 768 * 2**20


def set_current(state: AppState, current: Current) -> None:
    """Make ``current`` the shown model and record it among the session's runs."""
    state.current = current
    row = current.summary()
    state.session_runs = [r for r in state.session_runs if r["id"] != current.id]
    state.session_runs.append(row)
    del state.session_runs[:-MAX_SESSION_RUNS]
    state.models.pop(current.id, None)  # re-inserted last: the newest is never the one dropped
    state.models[current.id] = current
    while len(state.models) > 1 and (
        len(state.models) > MAX_SESSION_MODELS
        or sum(m.nbytes() for m in state.models.values()) > MAX_SESSION_BYTES
    ):  # old models released, newest kept
        state.models.pop(next(iter(state.models)))


def snapshot(state: AppState, data: DataChoice, dataset: Dataset, *, finished: bool) -> Current:
    """Evaluate the live trainer's model 0 as a :class:`Current` (probe only when finished).

    Weights, history, step count and time are read together under the session lock, before the
    (slow) evaluation, so they describe one moment even if another run steps the trainer.
    """
    with state.lock:
        trainer = state.trainer
        assert trainer is not None
        model = trainer.model(0).cpu()
        history = trainer.history.drop(columns="model")
        seconds, steps = trainer.train_seconds, trainer.step_count
        sae_config, train_config = trainer.cfg, trainer.train_config
        state.snapshots_taken += 1
        ticket = state.snapshots_taken
    return Current(
        data=data,
        dataset=dataset,
        sae_config=sae_config,
        train_config=train_config,
        model=model,
        history=history,
        metrics=evaluate(model, dataset, probe=finished),
        train_seconds=seconds,
        steps=steps,
        finished=finished,
        ticket=ticket,
    )


def current_from_result(data: DataChoice, dataset: Dataset, result: TrainResult) -> Current:
    """A :class:`Current` for a model trained outside the Train page (``fit.train``, scenarios)."""
    return Current(
        data=data,
        dataset=dataset,
        sae_config=result.sae_config,
        train_config=result.train_config,
        model=result.model,
        history=result.history,
        metrics=result.metrics,
        train_seconds=result.train_seconds,
        steps=result.steps,
    )


def new_trainer(
    state: AppState,
    data: DataChoice,
    dataset: Dataset,
    sae_config: SAEConfig,
    train_config: TrainConfig,
) -> Trainer:
    """Replace the live trainer (the old one is released; the shown model stays)."""
    from sae_core.training.trainer import Trainer  # torch: not on the first page

    trainer = Trainer(sae_config, train_config, dataset.x_train)
    state.trainer = trainer
    state.trainer_key = (data, sae_config, train_config)
    state.trainer_data = data
    return trainer
