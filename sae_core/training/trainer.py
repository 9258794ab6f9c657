"""Training: a `Trainer` that takes one optimiser step at a time.

The one-step design (TensorFlow Playground's ``oneStep``, scikit-learn's ``partial_fit``) is what
lets the app offer Play / Pause / Step and live curves. The trainer holds a *stack* of N models of
one shape (N = 1 for an ordinary run): every tensor has a leading model dimension, each model has
its own seed, λ, initial weights and batch order, and Adam is element-wise, so a stacked sweep
gives each model exactly the updates it would get alone, for the price of batched matmuls.

Data stays on the device as one tensor; a batch is a slice of a per-epoch permutation (no
DataLoader: for in-memory data its batch assembly costs ~40× the slicing). Untied ReLU models
(none, l1, l2, topk) take a hand-written forward and backward pass on flat parameter buffers
(sae_core/training/flat_adam.py: per step 1.5× faster than autograd at MNIST size, 5× on digits);
sigmoid methods and tied weights use autograd.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from sae_core.config import SAEConfig, TrainConfig, check_compatible
from sae_core.errors import ConfigError, DataError, TrainingDivergedError
from sae_core.model import (
    SparseAutoencoder,
    activate,
    compute_pre_acts,
    decode_latents,
    init_weights,
)
from sae_core.penalties import PENALTIES
from sae_core.training.device import apply_threads, resolve_device
from sae_core.training.flat_adam import FastPath, FlatAdam, make_adam, uses_numpy
from sae_core.training.torch_step import fast_step_applies

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
# Reconstruction error this many times its reference (the larger of E‖x‖², the cost of
# predicting zeros, and the first step's error) counts as divergence: lr 10 reaches 1e10×,
# healthy runs stay under 1e3× (digits, every method, lr ≤ 0.3).
EXPLODE_FACTOR = 1e4
HUGE_DATA_VALUE = 1e15  # beyond this, squared errors summed over a batch overflow float32

StepCallback = Callable[["Trainer"], "bool | None"]


def _all_finite(x: Tensor, rows: int = 8192) -> bool:
    """torch.isfinite(x).all() in row blocks: on all of MNIST at once its temporaries peak at
    ~300 MB."""
    return all(bool(torch.isfinite(x[i : i + rows]).all()) for i in range(0, x.shape[0], rows))


def _shape_key(cfg: SAEConfig) -> SAEConfig:
    return cfg.replace(lam=0.0)


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
    """

    def __init__(
        self,
        sae_configs: SAEConfig | Sequence[SAEConfig],
        train_config: TrainConfig,
        x_train: np.ndarray | Tensor,
        *,
        seeds: Sequence[int] | None = None,
        log_every: int = 1,
        fast: bool = True,
    ) -> None:
        cfgs = [sae_configs] if isinstance(sae_configs, SAEConfig) else list(sae_configs)
        if not cfgs:
            raise ConfigError("no model configurations given: pass at least one SAEConfig")
        if any(_shape_key(c) != _shape_key(cfgs[0]) for c in cfgs):
            raise ConfigError("stacked models may differ only in lam: train other changes apart")
        for cfg in cfgs:
            check_compatible(cfg, train_config)
        self.cfg = cfgs[0]
        self.configs = cfgs
        self.train_config = train_config
        self.seeds = [train_config.seed] * len(cfgs) if seeds is None else [int(s) for s in seeds]
        if len(self.seeds) != len(cfgs):
            raise ConfigError(f"{len(self.seeds)} seeds for {len(cfgs)} models: give one seed each")
        self.n_models = len(cfgs)
        self.log_every = max(1, int(log_every))
        self.device = resolve_device(train_config.device)
        self._use_fast = fast and fast_step_applies(self.cfg, train_config)
        apply_threads(
            train_config.threads, numpy_matmuls=self._use_fast and uses_numpy(self.device)
        )
        self.x = self._check_data(x_train)
        self.n_samples = int(self.x.shape[0])
        if train_config.batch_size > self.n_samples:
            raise ConfigError(
                f"batch_size={train_config.batch_size} exceeds the {self.n_samples} training "
                f"samples: choose a batch size ≤ {self.n_samples}"
            )
        self.steps_per_epoch = math.ceil(self.n_samples / train_config.batch_size)
        self.total_steps = train_config.steps or train_config.epochs * self.steps_per_epoch
        self._init_state()

    # ---------------------------------------------------------------- set-up
    def _check_data(self, x_train: np.ndarray | Tensor) -> Tensor:
        x = torch.as_tensor(x_train, dtype=torch.float32)
        if x.ndim != 2 or x.shape[0] < 1:
            raise DataError(
                f"training data must be a [samples, features] matrix, got {list(x.shape)}"
            )
        if x.shape[1] != self.cfg.d_in:
            raise DataError(
                f"the data has {x.shape[1]} columns but the model's d_in is {self.cfg.d_in}: "
                "build the model for this data's width"
            )
        if not _all_finite(x):
            raise DataError("the training data holds NaN or infinite values: clean or drop them")
        return x.to(self.device).contiguous()

    def _init_state(self) -> None:
        mean = self.x.mean(0).cpu()
        self._generators = [torch.Generator().manual_seed(s) for s in self.seeds]
        inits = [init_weights(self.cfg, g, mean) for g in self._generators]
        names = ["W_dec", "b_enc", "b_dec"] + ([] if self.cfg.tied else ["W_enc"])
        stacked = {name: torch.stack([w[name] for w in inits]).to(self.device) for name in names}
        self.lams = torch.tensor([c.lam for c in self.configs], device=self.device)
        # ReLU methods take the hand-written step on flat buffers (sae_core/training/flat_adam.py)
        self._fast: FastPath | None = None
        self.params: dict[str, Tensor]
        self.optimizer: torch.optim.Optimizer | FlatAdam
        if self._use_fast:
            self._fast = FastPath(stacked, self.cfg, self.train_config)
            self.params, self.optimizer = self._fast.params, self._fast.optimizer
        else:
            self.params = {name: t.requires_grad_(True) for name, t in stacked.items()}
            self.optimizer = make_adam(list(self.params.values()), self.train_config.lr)
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
        self._good = self._snapshot()
        self._recon_limit: list[float] | None = None
        self.train_seconds = 0.0
        self.stop_requested = False

    def reset(self) -> None:
        """Back to the seeded initial weights and step 0."""
        self._init_state()

    # ---------------------------------------------------------------- state
    @property
    def fast(self) -> bool:
        """Whether steps take the hand-written path (sae_core/training/flat_adam.py) instead of autograd."""
        return self._fast is not None

    @property
    def done(self) -> bool:
        return self.step_count >= self.total_steps

    @property
    def epoch(self) -> float:
        return self.step_count / self.steps_per_epoch

    @property
    def progress(self) -> float:
        return min(1.0, self.step_count / self.total_steps)

    def _W_enc(self) -> Tensor:
        if self.cfg.tied:
            return self.params["W_dec"].transpose(-1, -2)
        return self.params["W_enc"]

    def model(self, index: int = 0) -> SparseAutoencoder:
        """A standalone copy of model ``index`` (on the training device)."""
        weights = {"W_enc": self._W_enc()[index], **{n: p[index] for n, p in self.params.items()}}
        return SparseAutoencoder(self.configs[index], weights).to(self.device)

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
        pos = self.step_count % self.steps_per_epoch
        if pos == 0 or self._perms is None:
            perms = [torch.randperm(self.n_samples, generator=g) for g in self._generators]
            self._perms = torch.stack(perms).to(self.device)
        bs = self.train_config.batch_size
        idx = self._perms[:, pos * bs : (pos + 1) * bs]
        if len(set(self.seeds)) == 1:
            return torch.index_select(self.x, 0, idx[0])  # ~1/3 faster than x[idx[0]] on the CPU
        return self.x[idx]

    def _lam_now(self) -> Tensor:
        warm = self.train_config.lam_warmup_steps
        if warm and self.step_count < warm:
            return self.lams * (self.step_count / warm)
        return self.lams

    def _forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        """Returns per-model (loss, recon, penalty) [N] and latents, pre-acts [N?, B, d_sae]."""
        squeeze = self.n_models == 1 and x.ndim == 2
        W_enc = self._W_enc()
        W_dec, b_enc, b_dec = self.params["W_dec"], self.params["b_enc"], self.params["b_dec"]
        if squeeze:  # one model: plain matmuls on 2-D views beat batched ones
            W_enc, W_dec, b_enc, b_dec = W_enc[0], W_dec[0], b_enc[0], b_dec[0]
        pre = compute_pre_acts(x, W_enc, b_enc, b_dec)
        latents = activate(pre, self.cfg)
        x_hat = decode_latents(latents, W_dec, b_dec)
        recon = (x_hat - x).square().sum(-1).mean(-1)
        penalty = PENALTIES[self.cfg.method](latents, W_enc, self.cfg.rho)
        loss = recon + self._lam_now() * penalty
        if self.cfg.weight_decay:
            wd = W_dec.square().sum((-1, -2))
            if not self.cfg.tied:
                wd = wd + W_enc.square().sum((-1, -2))
            loss = loss + self.cfg.weight_decay * wd
        if self.train_config.dead_remedy == "auxk":
            loss = loss + self.train_config.aux_coef * self._auxk_loss(x, x_hat, pre, W_dec)
        return loss.reshape(-1), recon.reshape(-1), penalty.reshape(-1), latents, pre

    def _auxk_loss(self, x: Tensor, x_hat: Tensor, pre: Tensor, W_dec: Tensor) -> Tensor:
        """Gao et al. 2024: dead latents' top-k_aux pre-activations model the residual."""
        dead = self._dead()  # [N, d_sae]
        if not bool(dead.any()):
            return x.new_zeros(())
        if pre.ndim == 2:
            dead = dead[0]
        k_aux = min(self.train_config.aux_k, self.cfg.d_sae)
        masked = torch.where(dead.unsqueeze(-2), torch.relu(pre), torch.zeros_like(pre))
        values, indices = masked.topk(k_aux, dim=-1, sorted=False)
        aux_latents = torch.zeros_like(pre).scatter_(-1, indices, values)
        residual = (x - x_hat).detach()
        return (aux_latents @ W_dec - residual).square().sum(-1).mean(-1)

    def step(self) -> StepStats:
        """One optimiser step on the next batch. Raises TrainingDivergedError on NaN/inf."""
        if self.done:
            raise ConfigError("training is finished: reset, or create a trainer with more steps")
        start = time.perf_counter()
        x, lam = self._batch(), self._lam_now()
        if self._fast is not None:
            auxk = self.train_config.dead_remedy == "auxk"
            terms, fired = self._fast.loss_and_grads(x, lam, self._dead() if auxk else None)
        else:
            terms, fired = self._autograd_loss_and_grads(x)
        stats = [*terms, lam.tolist()]
        if not all(math.isfinite(v) for v in stats[0]):
            self._restore()
            raise TrainingDivergedError(
                f"the loss became {stats[0][0]} at step {self.step_count + 1}: "
                f"{self._divergence_advice()}; the model was restored to its last good state"
            )
        self._check_exploding(stats[1])
        if self.step_count % SNAPSHOT_EVERY == 0:
            self._good = self._snapshot()
        self.optimizer.step()
        with torch.no_grad():
            if self.cfg.unit_norm_decoder:
                W_dec = self.params["W_dec"]
                W_dec.div_(W_dec.norm(dim=-1, keepdim=True).clamp_min(1e-12))
        self._mark_fired(fired)
        self.step_count += 1
        self._after_step(stats)
        self.train_seconds += time.perf_counter() - start
        return StepStats(
            step=self.step_count, loss=stats[0], mse=stats[1], penalty=stats[2], l0=stats[3]
        )

    def _autograd_loss_and_grads(self, x: Tensor) -> tuple[list[list[float]], Tensor]:
        """([loss, recon, penalty, l0] lists of N floats, fired [N, d_sae]); fills .grad."""
        loss, recon, penalty, latents, _ = self._forward(x)
        fired = (latents > 0).reshape(self.n_models, -1, self.cfg.d_sae)
        l0 = fired.sum(-1).float().mean(-1)
        terms = torch.stack([loss, recon, penalty, l0]).detach().cpu().tolist()
        for p in self.params.values():
            p.grad = None
        loss.sum().backward()
        return terms, fired.any(-2)

    def _dead(self) -> Tensor:
        """Latents that have not fired for dead_window steps: [N, d_sae] bool."""
        return self.steps_since_fired >= self.train_config.dead_window

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
            return (self.steps_since_fired.numpy() >= window).mean(-1).tolist()
        return self._dead().float().mean(-1).cpu().tolist()

    def _after_step(self, stats: list[list[float]]) -> None:
        tc = self.train_config
        # a resample at the very end only hurts: the new latents would have no time to learn
        due = self.step_count % tc.resample_every == 0 and self.step_count < self.total_steps
        if tc.dead_remedy == "resample" and due:
            self.resample_dead()
        if self.step_count % self.log_every and not self.done:
            return
        dead = self._dead_fractions()
        d_in = self.cfg.d_in
        for i in range(self.n_models):
            self._rows.append(
                (
                    i,
                    self.step_count,
                    self.epoch,
                    stats[0][i],
                    stats[1][i] / d_in,
                    stats[2][i],
                    stats[3][i],
                    dead[i],
                    tc.lr,
                    stats[4][i],
                )
            )
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

    # ---------------------------------------------------------------- safety and remedies
    def _check_exploding(self, recon: list[float]) -> None:
        """Stop when the reconstruction error explodes while staying finite (lr far too high)."""
        if self._recon_limit is None:
            # mean ‖x‖²: vector_norm reduces in place; x.square() would copy all of x
            energy = float(torch.linalg.vector_norm(self.x, dim=-1).square().mean())
            self._recon_limit = [EXPLODE_FACTOR * max(r, energy, 1e-6) for r in recon]
        worst = max(r / limit for r, limit in zip(recon, self._recon_limit, strict=True))
        if worst > 1:
            self._restore()
            raise TrainingDivergedError(
                f"training diverged at step {self.step_count + 1}: the reconstruction error grew "
                f"over {EXPLODE_FACTOR:g} times its starting size: lower the learning rate "
                f"(lr={self.train_config.lr:g}) or λ; the model was restored to its last good state"
            )

    def _divergence_advice(self) -> str:
        """What to change after a NaN/inf loss: the data's scale when its values are so large
        that squared errors overflow float32 (no learning rate helps then), else lr or λ."""
        largest = float(self.x.abs().max()) if self.x.numel() else 0.0
        if not math.isfinite(largest) or largest > HUGE_DATA_VALUE:
            return (
                f"the data's values are too large (max |x| = {largest:.3g}): their squares "
                "overflow float32; standardise or scale them (preprocessing) first"
            )
        return f"lower the learning rate (lr={self.train_config.lr:g}) or λ"

    def _snapshot(self) -> dict[str, Tensor]:
        return {n: p.detach().clone() for n, p in self.params.items()}

    @torch.no_grad()
    def _restore(self) -> None:
        for name, p in self.params.items():
            p.copy_(self._good[name])
        self.optimizer.state.clear()

    def resample_dead(self) -> int:
        """Re-initialise dead latents (see :func:`sae_core.training.resampling.resample_dead`)."""
        from sae_core.training.resampling import resample_dead

        return resample_dead(self)

    def _adam_moments(self) -> list[dict[str, Tensor]]:
        """Adam's exp_avg and exp_avg_sq by parameter name (none before the first step)."""
        keys = ("exp_avg", "exp_avg_sq")
        if self._fast is not None:
            return self._fast.adam_moments()
        states = {name: self.optimizer.state.get(p, {}) for name, p in self.params.items()}
        return [{n: st[key] for n, st in states.items() if key in st} for key in keys]
