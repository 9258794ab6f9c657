"""Training: a `Trainer` that takes one optimiser step at a time.

The one-step design (TensorFlow Playground's ``oneStep``, scikit-learn's ``partial_fit``) is what
lets the app offer Play / Pause / Step and live curves. The trainer holds a *stack* of N models of
one shape (N = 1 for an ordinary run): every tensor has a leading model dimension, each model has
its own seed, λ, initial weights and batch order, and Adam is element-wise, so a stacked sweep
gives each model exactly the updates it would get alone, for the price of batched matmuls.

Data stays on the device as one tensor; a batch is a slice of a per-epoch permutation (no
DataLoader: for in-memory data its batch assembly costs ~40× the slicing). The weights live in
one flat buffer updated by one fused Adam kernel (:mod:`sae_core.training.flat_adam`); a step
engine (:mod:`sae_core.training.step`) computes the loss terms and fills the gradient: the
hand-written NumPy step where the method registry says it applies (CPU, untied; per step 1.5×
faster than autograd at MNIST size, 5× on digits), the sparse TopK-family step where the code
is sparse and the dictionary large, autograd everywhere else (:mod:`sae_core.training.engines`).

over 300 lines: the Trainer's state, stepping and public view of it for remedies read as one
class; the checks and the engines already live in their own modules.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from sae_core import methods
from sae_core.config import SAEConfig, TrainConfig, check_compatible
from sae_core.errors import ConfigError, TrainingDivergedError
from sae_core.model import SparseAutoencoder, init_weights, normalize_decoder_
from sae_core.training.autograd_step import AutogradEngine
from sae_core.training.batch_source import BatchSource
from sae_core.training.device import apply_threads, resolve_device
from sae_core.training.engines import choose_engine
from sae_core.training.flat_adam import FlatParams
from sae_core.training.guards import DivergenceGuard, check_data
from sae_core.training.lam_control import LamController, controller_for
from sae_core.training.resampling import resample_dead
from sae_core.training.step import StepEngine, StepResult

HISTORY_COLUMNS: tuple[str, ...] = (
    "model",
    "step",
    "epoch",
    "loss",
    "mse",
    "penalty",
    "l0",
    "dead_fraction",
    "lr",
    "lam",
)
SNAPSHOT_EVERY = 50  # steps between copies of the last good weights (restored on NaN)

StepCallback = Callable[["Trainer"], "bool | None"]


def _shape_key(cfg: SAEConfig) -> SAEConfig:
    # a λ controller's target only steers λ, so models of one shape with different targets stack
    controlled = methods.get(cfg.method).lam_controlled
    return cfg.replace(lam=0.0, target_l0=None) if controlled else cfg.replace(lam=0.0)


@dataclass(frozen=True, kw_only=True)
class StepStats:
    """What one step measured, per model (lists of length N)."""

    step: int
    loss: list[float]
    mse: list[float]
    penalty: list[float]
    l0: list[float]


class Trainer:
    """Trains N ≥ 1 sparse autoencoders of one shape on ``x_train`` [n, d_in].

    ``sae_configs`` may differ only in ``lam``; ``seeds`` (default: ``train_config.seed`` for
    every model) sets each model's initial weights and batch order. ``fast=False`` keeps
    autograd even where the hand-written step applies (for comparisons and benchmarks).
    ``x_train`` may be a :class:`BatchSource` (a file streamed from disk): batches then come
    from it, and ``self.x`` is its in-memory reference sample.
    """

    def __init__(
        self,
        sae_configs: SAEConfig | Sequence[SAEConfig],
        train_config: TrainConfig,
        x_train: np.ndarray | Tensor | BatchSource,
        *,
        seeds: Sequence[int] | None = None,
        log_every: int = 1,
        fast: bool = True,
    ) -> None:
        cfgs = [sae_configs] if isinstance(sae_configs, SAEConfig) else list(sae_configs)
        if not cfgs:
            raise ConfigError("no model configurations given: pass at least one SAEConfig")
        if any(_shape_key(c) != _shape_key(cfgs[0]) for c in cfgs):
            raise ConfigError(
                "stacked models may differ only in lam (and a λ controller's target_l0): "
                "train other changes apart"
            )
        for cfg in cfgs:
            check_compatible(cfg, train_config)
        self.cfg = cfgs[0]
        self.configs = cfgs
        self.method = methods.get(self.cfg.method)
        self.train_config = train_config
        self.seeds = [train_config.seed] * len(cfgs) if seeds is None else [int(s) for s in seeds]
        if len(self.seeds) != len(cfgs):
            raise ConfigError(f"{len(self.seeds)} seeds for {len(cfgs)} models: give one seed each")
        self.n_models = len(cfgs)
        self.log_every = max(1, int(log_every))
        self.device = resolve_device(train_config.device)
        # the step engine (sparse TopK step, dense NumPy step or autograd) and its buffer layout
        self._engine_class, self._layout = choose_engine(self.cfg, self.device, fast=fast)
        # whether steps take a hand-written engine (sparse or dense NumPy) instead of autograd
        self.fast = self._engine_class is not AutogradEngine
        apply_threads(train_config.threads, numpy_matmuls=self.fast)
        self.source: BatchSource | None = None  # batches streamed from it, when given
        if isinstance(x_train, BatchSource):
            if len(set(self.seeds)) > 1:
                raise ConfigError("streamed data trains one batch order: give every model one seed")
            self.source, x_train = x_train, x_train.reference()
        self.x = check_data(x_train, self.cfg.d_in, self.device)
        self.n_samples = int(self.x.shape[0] if self.source is None else self.source.n_samples)
        if train_config.batch_size > self.n_samples:
            raise ConfigError(
                f"batch_size={train_config.batch_size} exceeds the {self.n_samples} training "
                f"samples: choose a batch size ≤ {self.n_samples}"
            )
        self.steps_per_epoch = math.ceil(self.n_samples / train_config.batch_size)
        self.total_steps = train_config.steps or train_config.epochs * self.steps_per_epoch
        self._init_state()

    def _init_state(self) -> None:
        source, bs = self.source, self.train_config.batch_size
        mean = self.x.mean(0).cpu() if source is None else torch.from_numpy(source.mean())
        self._stream = None if source is None else source.batches(bs, self.seeds[0])
        self._generators = [torch.Generator().manual_seed(s) for s in self.seeds]
        inits = self._initial_weights(mean)
        names = ["W_dec", "b_enc", "b_dec"] + ([] if self.cfg.tied else ["W_enc"])
        names += self.method.extra_names  # [N, d_sae] each, after the four weights
        stacked = {name: torch.stack([w[name] for w in inits]).to(self.device) for name in names}
        self.lams = torch.tensor([c.lam for c in self.configs], device=self.device)
        # a target L0 on a λ method: λ follows the controller (its path is the history's lam)
        self.lam_control: LamController | None = None
        if self.method.lam_controlled:
            targets = [c.target_l0 for c in self.configs]
            self.lam_control = controller_for(targets, self.device)
        self._weights = FlatParams(stacked, self.train_config.lr, self._layout)
        # every weight by name, [N, ...]: views of the flat buffer (writing them writes the model)
        self.params: dict[str, Tensor] = self._weights.params
        self.engine: StepEngine = self._engine_class(self.cfg, self.train_config, self._weights)
        # steps since each latent last fired: [N, d_sae]; drives "dead" in training and remedies
        self.steps_since_fired = torch.zeros(
            self.n_models, self.cfg.d_sae, dtype=torch.long, device=self.device
        )
        # on the CPU, bookkeeping runs on NumPy views: these tiny ops cost a third of torch's
        self._host_views = self.device.type == "cpu"
        self.step_count = 0
        self._perms: Tensor | None = None
        self._rows: list[tuple[float, ...]] = []
        self._history: pd.DataFrame | None = None
        self._good = self._weights.snapshot()
        self._guard = DivergenceGuard(self.x, self.train_config.lr)
        self.train_seconds = 0.0
        self.stop_requested = False
        self.last_stats: StepStats | None = None  # the latest step's numbers (progress displays)

    def _initial_weights(self, mean: Tensor) -> list[dict[str, Tensor]]:
        """Each model's seeded initial weights (one dict per model, from its generator, which
        then draws its batch order); a padded width sweep overrides it (training/size_sweep)."""
        return [init_weights(self.cfg, g, mean) for g in self._generators]

    def reset(self) -> None:
        """Back to the seeded initial weights and step 0."""
        self._init_state()

    @torch.no_grad()
    def load_weights(self, weights: Mapping[str, Tensor], index: int = 0) -> None:
        """Start model ``index`` from ``weights`` (a model's :meth:`SparseAutoencoder.weights`),
        with Adam's moments forgotten; the estimator's ``partial_fit`` continues a fit this way."""
        for name, param in self.params.items():
            param[index].copy_(weights[name].to(param.device, param.dtype))
        self._weights.optimizer.state.clear()
        self._good = self._weights.snapshot()

    # ---------------------------------------------------------------- state
    @property
    def done(self) -> bool:
        return self.step_count >= self.total_steps

    @property
    def epoch(self) -> float:
        return self.step_count / self.steps_per_epoch

    @property
    def progress(self) -> float:
        return min(1.0, self.step_count / self.total_steps)

    @property
    def W_enc(self) -> Tensor:
        """[N, d_in, d_sae]; a view of W_decᵀ when tied."""
        return self.params["W_dec"].transpose(-1, -2) if self.cfg.tied else self.params["W_enc"]

    @property
    def dead(self) -> Tensor:
        """Latents that have not fired for dead_window steps: [N, d_sae] bool."""
        return self.steps_since_fired >= self.train_config.dead_window

    def adam_moments(self) -> list[dict[str, Tensor]]:
        """Adam's exp_avg and exp_avg_sq by parameter name, views (none before the first step)."""
        return self._weights.adam_moments()

    def model(self, index: int = 0) -> SparseAutoencoder:
        """A standalone copy of model ``index`` (on the training device); under a λ controller
        its config holds the λ reached, so a run records the λ its target took."""
        weights = {"W_enc": self.W_enc[index], **{n: p[index] for n, p in self.params.items()}}
        cfg = self.configs[index]
        if self.lam_control is not None and cfg.target_l0 is not None:
            cfg = cfg.replace(lam=float(self.lams[index]))
        return SparseAutoencoder(cfg, weights).to(self.device)

    def models(self) -> list[SparseAutoencoder]:
        return [self.model(i) for i in range(self.n_models)]

    @property
    def history(self) -> pd.DataFrame:
        """One row per logged step and model: HISTORY_COLUMNS. ``mse`` is per element."""
        if self._history is None:
            frame = pd.DataFrame(self._rows, columns=list(HISTORY_COLUMNS))
            for col in ("model", "step"):
                frame[col] = frame[col].astype("int64")
            self._history = frame
        return self._history

    # ---------------------------------------------------------------- stepping
    def _batch(self) -> Tensor:
        """x for this step: [B, d_in] when all models share a seed, else [N, B, d_in]."""
        if self._stream is not None:
            return torch.from_numpy(next(self._stream)).to(self.device)
        pos = self.step_count % self.steps_per_epoch
        if pos == 0 or self._perms is None:
            perms = [torch.randperm(self.n_samples, generator=g) for g in self._generators]
            # one model: a view, not stack's copy (1M rows: 7 ms an epoch)
            stacked = perms[0][None] if len(perms) == 1 else torch.stack(perms)
            self._perms = stacked.to(self.device)
        bs = self.train_config.batch_size
        idx = self._perms[:, pos * bs : (pos + 1) * bs]
        if self._one_batch_order():
            return torch.index_select(self.x, 0, idx[0])  # ~1/3 faster than x[idx[0]] on the CPU
        return self.x[idx]

    def _one_batch_order(self) -> bool:
        """Whether every model draws the same batches (one seed: the same generator states)."""
        return len(set(self.seeds)) == 1

    def _lam_now(self) -> Tensor:
        warm = self.train_config.lam_warmup_steps
        if warm and self.step_count < warm:
            return self.lams * (self.step_count / warm)
        return self.lams

    def step(self) -> StepStats:
        """One optimiser step on the next batch. Raises TrainingDivergedError on NaN/inf."""
        if self.done:
            raise ConfigError("training is finished: reset, or create a trainer with more steps")
        start = time.perf_counter()
        x, lam = self._batch(), self._lam_now()
        dead = self.dead if self.train_config.dead_remedy == "auxk" else None
        result = self.engine.loss_and_grads(x, lam, dead)
        problem = self._guard.problem(result.loss, result.recon, self.step_count + 1)
        if problem is not None:
            self._weights.restore(self._good)
            raise TrainingDivergedError(problem)
        if self.step_count % SNAPSHOT_EVERY == 0:
            self._good = self._weights.snapshot()
        self._weights.optimizer.step()
        if self.cfg.unit_norm_atoms:  # asked for, or the method's rule (Gated)
            normalize_decoder_(self.params["W_dec"])
        self._update_state(result)
        self._mark_fired(result.fired)
        if self.lam_control is not None and self.step_count >= self.train_config.lam_warmup_steps:
            self.lams = self.lam_control.update(self.lams, result.l0)
        self.step_count += 1
        self._after_step(result, lam.tolist())
        self.train_seconds += time.perf_counter() - start
        self.last_stats = StepStats(
            step=self.step_count,
            loss=result.loss,
            mse=[r / self.cfg.d_in for r in result.recon],
            penalty=result.penalty,
            l0=result.l0,
        )
        return self.last_stats

    def _update_state(self, result: StepResult) -> None:
        """The method's own after-step update of its extra parameters (BatchTopK's θ)."""
        update = self.method.update_state
        if update is None:
            return
        if result.latents is None:  # only the NumPy engine omits them; it runs no such method
            raise ConfigError(f"the step engine gave no latents for {self.cfg.method}'s update")
        extras = {name: self.params[name] for name in self.method.extra_names}
        update(extras, result.latents, self.cfg)

    def _mark_fired(self, fired: Tensor) -> None:
        """Count one more step for each latent, restarting at 0 where it ``fired`` [N, d_sae]."""
        if self._host_views:
            since = self.steps_since_fired.numpy()
            since += 1
            since[fired.numpy()] = 0
        else:
            self.steps_since_fired.add_(1).masked_fill_(fired, 0)

    def _dead_fractions(self) -> list[float]:
        if self._host_views:
            window = self.train_config.dead_window
            # count / d_sae: the value .mean(-1) gives, without its Python-level overhead
            dead = np.count_nonzero(self.steps_since_fired.numpy() >= window, axis=-1)
            return (dead / self.cfg.d_sae).tolist()
        return self.dead.float().mean(-1).cpu().tolist()

    def _after_step(self, result: StepResult, lam: list[float]) -> None:
        tc = self.train_config
        # a resample at the very end only hurts: the new latents would have no time to learn
        due = self.step_count % tc.resample_every == 0 and self.step_count < self.total_steps
        if tc.dead_remedy == "resample" and due:
            self.resample_dead()
        if self.step_count % self.log_every and not self.done:
            return
        step, epoch, d_in, lr = self.step_count, self.epoch, self.cfg.d_in, tc.lr
        dead = self._dead_fractions()
        terms = zip(result.loss, result.recon, result.penalty, result.l0, dead, lam, strict=True)
        for i, (loss, recon, penalty, l0, dead_i, lam_i) in enumerate(terms):
            self._rows.append((i, step, epoch, loss, recon / d_in, penalty, l0, dead_i, lr, lam_i))
        self._history = None

    def run(self, n_steps: int | None = None, callback: StepCallback | None = None) -> pd.DataFrame:
        """Take ``n_steps`` steps (default: to the end). ``callback(trainer)`` after each step may
        return False (or set ``stop_requested``) to stop early. Returns the history."""
        target = (
            self.total_steps
            if n_steps is None
            else min(self.total_steps, self.step_count + n_steps)
        )
        self.stop_requested = False
        while self.step_count < target and not self.stop_requested:
            self.step()
            if callback is not None and callback(self) is False:
                break
        return self.history

    def resample_dead(self) -> int:
        """Re-initialise dead latents (see :func:`sae_core.training.resampling.resample_dead`)."""
        return resample_dead(self)
