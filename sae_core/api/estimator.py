"""A scikit-learn estimator around the SAE: ``fit`` / ``partial_fit`` / ``transform`` /
``inverse_transform`` / ``score``, with its own preprocessing applied forward and back.

Not to be confused with :class:`sae_core.model.SparseAutoencoder`, the ``nn.Module`` (weights and
``encode`` / ``decode`` on tensors): this estimator trains one and keeps it as ``model_``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from sae_core.analysis.metrics import compute_fve
from sae_core.api.inputs import capped_batch_size, check_codes, check_x
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data.dataset import Preprocessing
from sae_core.data.preprocessing import apply_preprocess, parse_preprocess
from sae_core.model import SparseAutoencoder as SAEModule
from sae_core.training.trainer import Trainer

_CHUNK = 4096  # rows per forward pass (large fresh tensors page-fault; RECIPES.md)
OPEN_ENDED_STEPS = 10_000_000  # partial_fit's trainer: TrainConfig's largest step count


class SparseAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """A sparse autoencoder as a scikit-learn transformer: ``X`` [n, n_features] -> codes [n, d_sae].

    Parameters are the fields of :class:`~sae_core.config.SAEConfig` and
    :class:`~sae_core.config.TrainConfig` of the same names (checked there, at ``fit``).

    Parameters
    ----------
    method : str, default "l1"
        A method of the registry (``sae_core.methods.names()``): none, l1, l2, kl, contractive,
        topk, jumprelu, batchtopk, matryoshka, gated.
    d_sae : int, default 128
        Number of latents (dictionary atoms).
    lam : float, default 0.1
        Penalty weight λ (methods with a penalty).
    k : int, default 8
        Latents kept per sample (TopK family).
    rho : float, default 0.05
        Target firing rate (KL).
    target_l0 : float or None, default None
        A target mean number of active latents (see ``SAEConfig.target_l0``).
    epochs : int, default 20
        Passes over ``X`` in ``fit``; ``steps`` overrides it when set.
    steps : int or None, default None
        Exact number of optimiser steps in ``fit``.
    batch_size : int, default 128
        Samples per step; capped at the number of samples, so tiny ``X`` still fits.
    lr : float, default 3e-3
        Adam's learning rate.
    seed : int, default 0
        Initial weights and batch order: the same seed and data give the same model.
    preprocess : str, default "standardize"
        Applied to ``X`` before the model sees it, with statistics from the data given to ``fit``
        (or the first ``partial_fit``): "standardize" (per feature), "scale01" (global min and
        max to [0, 1]), "center" (per feature), "none", or a chain such as "scale01+center".
        ``transform`` applies it, ``inverse_transform`` undoes it.
    device : str, default "auto"
        "auto", "cpu", "cuda" or "mps".
    threads : int or None, default 1
        Torch CPU threads while training (None keeps the process's setting).

    Attributes
    ----------
    model_ : sae_core.model.SparseAutoencoder
        The trained ``nn.Module``, in model units (after preprocessing).
    preprocessing_ : sae_core.data.dataset.Preprocessing
        ``x_model = (X - offset) / scale``.
    components_ : ndarray of shape (d_sae, n_features), float32
        The decoder atoms ``W_dec``, in model units (after preprocessing), like
        ``DictionaryLearning.components_``.
    history_ : DataFrame
        One row per optimiser step: step, epoch, loss, mse, penalty, l0, dead_fraction, lr, lam.
    n_steps_ : int
        Optimiser steps taken so far.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` had string column names (a DataFrame).

    Examples
    --------
    >>> from sae_core import SparseAutoencoder
    >>> sae = SparseAutoencoder(method="topk", k=4, d_sae=32, epochs=2).fit(X)  # doctest: +SKIP
    >>> codes = sae.transform(X)  # [n, 32], at most 4 non-zero per row  # doctest: +SKIP
    """

    # partial_fit's live trainer and its data in model units (not pickled)
    _trainer: Trainer | None
    _trainer_x: np.ndarray
    _steps_before: int
    _history_before: pd.DataFrame | None

    def __init__(
        self,
        method: str = "l1",
        d_sae: int = 128,
        *,
        lam: float = 0.1,
        k: int = 8,
        rho: float = 0.05,
        target_l0: float | None = None,
        epochs: int = 20,
        steps: int | None = None,
        batch_size: int = 128,
        lr: float = 3e-3,
        seed: int = 0,
        preprocess: str = "standardize",
        device: str = "auto",
        threads: int | None = 1,
    ) -> None:
        self.method = method
        self.d_sae = d_sae
        self.lam = lam
        self.k = k
        self.rho = rho
        self.target_l0 = target_l0
        self.epochs = epochs
        self.steps = steps
        self.batch_size = batch_size
        self.lr = lr
        self.seed = seed
        self.preprocess = preprocess
        self.device = device
        self.threads = threads

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any = None) -> SparseAutoencoder:
        """Train a fresh model on ``X`` [n, n_features] (``y`` is ignored). Returns self."""
        X = self._validate(X, reset=True)
        x = self._fit_preprocessing(X)
        trainer = self._trainer_for(x, self._train_config(len(x)))
        trainer.run()
        self._trainer = None  # the next partial_fit starts from model_
        self._steps_before, self._history_before = 0, None
        self._keep(trainer)
        return self

    def partial_fit(self, X: Any, y: Any = None, *, n_steps: int = 1) -> SparseAutoencoder:
        """Take ``n_steps`` optimiser steps on ``X`` (the app's Step button). Returns self.

        The first call fits the preprocessing on ``X`` and starts a trainer; later calls on the
        same ``X`` continue it (Adam's state and batch order kept); a different ``X`` continues
        from the current weights with fresh Adam moments. After ``fit`` it continues ``fit``'s
        model. The preprocessing is fixed by the first call.
        """
        if not isinstance(n_steps, int) or isinstance(n_steps, bool) or n_steps < 1:
            raise ValueError(f"n_steps={n_steps!r} is invalid: choose a positive integer")
        first = not hasattr(self, "model_")
        X = self._validate(X, reset=first)
        x = self._fit_preprocessing(X) if first else self._to_model_units(X, np.float32)
        trainer = getattr(self, "_trainer", None)
        same = trainer is not None and np.array_equal(self._trainer_x, x)
        if trainer is None or not same:
            tc = self._train_config(len(x)).replace(steps=OPEN_ENDED_STEPS)
            trainer = self._trainer_for(x, tc)
            if not first:
                trainer.load_weights(self.model_.weights())
            self._trainer, self._trainer_x = trainer, x
            # this trainer counts from 0: its steps and history continue the earlier ones
            self._steps_before = getattr(self, "n_steps_", 0)
            self._history_before = getattr(self, "history_", None)
        trainer.run(n_steps)
        self._keep(trainer)
        return self

    def _train_config(self, n_samples: int) -> TrainConfig:
        return TrainConfig(
            epochs=self.epochs,
            steps=self.steps,
            batch_size=capped_batch_size(self.batch_size, n_samples),
            lr=self.lr,
            seed=self.seed,
            device=self.device,
            threads=self.threads,
        )

    def _trainer_for(self, x: np.ndarray, tc: TrainConfig) -> Trainer:
        cfg = SAEConfig(
            d_in=x.shape[1],
            d_sae=self.d_sae,
            method=self.method,
            lam=self.lam,
            k=self.k,
            rho=self.rho,
            target_l0=self.target_l0,
        )
        return Trainer(cfg, tc, x)

    def _keep(self, trainer: Trainer) -> None:
        """Record the trainer's model and history as the fitted state."""
        self.model_ = trainer.model(0)
        history = trainer.history.drop(columns="model")
        history = history.assign(step=history["step"] + self._steps_before)
        if self._history_before is not None:
            history = pd.concat([self._history_before, history])
        self.history_ = history.reset_index(drop=True)
        self.n_steps_ = self._steps_before + trainer.step_count

    # ------------------------------------------------------------------ preprocessing
    def _validate(self, X: Any, *, reset: bool) -> np.ndarray:
        return check_x(self, X, reset=reset)

    def _fit_preprocessing(self, X: np.ndarray) -> np.ndarray:
        x, _, record = apply_preprocess(X, X[:0], parse_preprocess(self.preprocess))
        self.preprocessing_ = record
        return x

    def _to_model_units(self, X: np.ndarray, dtype: Any) -> np.ndarray:
        p: Preprocessing = self.preprocessing_
        return np.asarray((X - p.offset) / p.scale, dtype=dtype)

    # ------------------------------------------------------------------ using the model
    def transform(self, X: Any) -> np.ndarray:
        """Codes (latent activations) of ``X`` [n, n_features] -> [n, d_sae].

        ``X`` is preprocessed as in ``fit``; the result has ``X``'s float dtype (float64 for
        integer input). A 1-D ``X`` is refused: pass one sample as ``x.reshape(1, -1)``.
        """
        check_is_fitted(self, "model_")
        X = self._validate(X, reset=False)
        x = self._to_model_units(X, X.dtype)
        return self._apply(self.model_.encode, x)

    def inverse_transform(self, X: Any) -> np.ndarray:
        """Reconstructions in ``X``'s original units from codes [n, d_sae] -> [n, n_features]."""
        check_is_fitted(self, "model_")
        codes = check_codes(X, self.model_.cfg.d_sae)
        x_hat = self._apply(self.model_.decode, codes)
        p: Preprocessing = self.preprocessing_
        return np.asarray(x_hat * p.scale + p.offset, dtype=codes.dtype)

    def score(self, X: Any, y: Any = None) -> float:
        """FVE (fraction of variance explained) of the reconstructions of ``X``, in model units
        (after preprocessing), as :func:`sae_core.evaluate` and the app report it."""
        check_is_fitted(self, "model_")
        X = self._validate(X, reset=False)
        x = self._to_model_units(X, np.float64)
        return compute_fve(x, self._apply(self.model_.forward, x))

    @torch.no_grad()
    def _apply(self, fn: Any, a: np.ndarray) -> np.ndarray:
        """``fn`` (a model method on tensors) over ``a`` in row chunks, in ``a``'s dtype."""
        out = [
            fn(torch.from_numpy(np.ascontiguousarray(a[s : s + _CHUNK]))).cpu().numpy()
            for s in range(0, len(a), _CHUNK)
        ]
        return np.concatenate(out) if out else np.empty((0, 0), dtype=a.dtype)

    @property
    def components_(self) -> np.ndarray:
        """Decoder atoms ``W_dec`` [d_sae, n_features], float32, in model units."""
        check_is_fitted(self, "model_")
        return self.model_.W_dec.detach().cpu().numpy().copy()

    @property
    def _n_features_out(self) -> int:
        return int(self.d_sae)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    # ------------------------------------------------------------------ pickling
    def __getstate__(self) -> dict[str, Any]:
        # the nn.Module holds the method registry's functions (lambdas), which pickle cannot
        # store: keep its config and weights instead, and drop partial_fit's live trainer
        state = dict(super().__getstate__())
        for key in ("_trainer", "_trainer_x", "_steps_before", "_history_before"):
            state.pop(key, None)
        model = state.pop("model_", None)
        if model is not None:
            state["_model_state"] = (model.cfg.to_dict(), model.weights())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        saved = state.pop("_model_state", None)
        super().__setstate__(state)
        if saved is not None:
            cfg, weights = saved
            self.model_ = SAEModule(SAEConfig.from_dict(cfg), weights)
