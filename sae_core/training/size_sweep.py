"""Hidden-size sweeps in one stack: models of different widths trained padded to the widest.

The Trainer stacks models of one shape. To stack widths ``h_1 < … < h_n`` too, every model is
trained at the widest width ``H`` with its extra ``H − h_i`` latents *padding*: each model is
first initialised at its own width from its own seed (the very draws of its single run, after
which its generator draws its batch order as a single run's does), then padded with zero
encoder columns, zero decoder rows and zero encoder biases.

Why the padding stays exactly zero, so each model does its single run's arithmetic: a padding
latent's pre-activation is ``x_c · 0 + 0 = 0``, so ReLU (and TopK, which keeps only positive
values among ties at zero) outputs 0 and its derivative mask is 0; its encoder column, bias and
decoder row therefore get exact zero gradients, and Adam, element-wise, moves a parameter with
a zero gradient and zero moments by exactly 0 (a unit-norm decoder's renormalisation leaves a
zero row at zero). The penalties this covers (none, L1, L2) are sums over latents that zeros
do not change. Dead-latent bookkeeping counts the real latents
only (:meth:`PaddedTrainer.dead`), so AuxK never picks a padding latent. Matmuls over the
padded width may round differently (different BLAS blocking), so results equal the single
runs to float tolerance, not bit for bit (where a pre-activation sits at 0, that last bit can
decide whether a latent fires, and the runs then part a little: on digits after 240 steps,
test FVE within 2e-5, weights within 3e-2; benchmarks/sweep.py).

Methods with per-latent extra parameters (JumpReLU's, BatchTopK's thresholds, Gated), a
d_sae-dependent rule (Matryoshka's prefixes, BatchTopK's batch-wide top-k), decoder-norm
scaled penalties (0/0 at a zero row) and resampling (its encoder norm averages the live
latents) are not padded: :func:`pads_exactly` says so and the sweep trains such widths apart.
Nor are widths whose single runs take different step engines (:func:`engine_for`: the sparse
TopK step takes large dictionaries only).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from sae_core import methods
from sae_core.config import SAEConfig, TrainConfig
from sae_core.errors import ConfigError
from sae_core.model import SparseAutoencoder, init_weights
from sae_core.training.device import resolve_device
from sae_core.training.engines import choose_engine
from sae_core.training.trainer import Trainer

STEP_OVERHEAD_MACS = 2.0e6
"""A training step's fixed cost (Python, dispatch, small ops) in multiply-adds of the per-latent
work, which costs about d_in × batch of them per latent: measured on one thread at d_in 64,
batch 128, a step took about 0.43 ms + 1.8 µs per latent, so the fixed part is worth ~240
latents. Padding a width pays latents to save that fixed cost (:func:`width_groups`)."""

# the latent axis of each padded weight (W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_enc [d_sae])
_LATENT_AXIS = {"W_enc": 1, "W_dec": 0, "b_enc": 0}


def pads_exactly(cfg: SAEConfig, train_config: TrainConfig) -> bool:
    """True when models of ``cfg``'s method train padded exactly as they do alone (see the
    module docstring): ReLU or TopK latents, no extra per-latent parameters, no decoder-norm
    penalty, no resampling (and AuxK's k no larger than the narrowest width: checked by
    :class:`PaddedTrainer`)."""
    method = methods.get(cfg.method)
    return (
        method.activation in ("relu", "topk")
        and not method.extra_params
        and method.update_state is None
        and not cfg.decoder_norm_penalty
        and train_config.dead_remedy != "resample"
    )


def engine_for(cfg: SAEConfig, train_config: TrainConfig, *, fast: bool = True) -> type:
    """The step engine class a single run of ``cfg`` trains with (it depends on the width:
    the sparse TopK step takes large dictionaries): only widths of one engine share a stack,
    so that each model keeps its single run's arithmetic."""
    return choose_engine(cfg, resolve_device(train_config.device), fast=fast)[0]


def overhead_latents(d_in: int, batch_size: int) -> float:
    """A step's fixed cost in latents of width-proportional work at ``d_in`` and ``batch_size``
    (:data:`STEP_OVERHEAD_MACS`): ~240 on digits, ~20 on MNIST's 784 inputs."""
    return STEP_OVERHEAD_MACS / (d_in * batch_size)


def width_groups(
    widths: Sequence[int], overhead: float, models_per_width: int = 1
) -> list[list[int]]:
    """Distinct ``widths`` grouped into padded stacks, widest group first, each widest first.

    The grouping of the widths (sorted, in runs) that costs least under a two-term model: a
    stack of n widths padded to its widest ``H`` costs ``overhead + models_per_width · n · H``
    latents per step (``overhead``: a trainer's fixed step cost in latents,
    :func:`overhead_latents`). Small models, bound by overhead, thus share stacks; large ones,
    bound by arithmetic, train apart unless their widths are close. Exact by dynamic
    programming over the sorted widths (a stack of the widest widths first).

    >>> width_groups([16, 32, 64, 128, 256], overhead=240)
    [[256, 128], [64, 32, 16]]
    """
    if overhead < 0 or models_per_width < 1:
        raise ConfigError(
            f"overhead={overhead}, models_per_width={models_per_width}: give overhead ≥ 0 "
            "latents and at least one model per width"
        )
    order = sorted({int(w) for w in widths}, reverse=True)
    # best[j]: the least cost of the first j widths; cut[j]: where its last stack starts
    best = [0.0] + [math.inf] * len(order)
    cut = [0] * (len(order) + 1)
    for j in range(1, len(order) + 1):
        for i in range(j):  # the last stack: order[i:j], padded to order[i]
            cost = best[i] + overhead + models_per_width * (j - i) * order[i]
            if cost < best[j]:
                best[j], cut[j] = cost, i
    groups: list[list[int]] = []
    j = len(order)
    while j > 0:
        groups.append(order[cut[j] : j])
        j = cut[j]
    return groups[::-1]


def pad_weights(weights: dict[str, Tensor], width: int) -> dict[str, Tensor]:
    """``weights`` of one model (:func:`~sae_core.model.init_weights`' names) with their latent
    axis zero-padded to ``width``; b_dec is shared by all latents and kept as it is."""
    padded = dict(weights)
    for name, axis in _LATENT_AXIS.items():
        if name not in weights:
            continue
        w = weights[name]
        extra = width - w.shape[axis]
        if extra < 0:
            raise ConfigError(f"cannot pad {name} of width {w.shape[axis]} down to {width}")
        shape = list(w.shape)
        shape[axis] = extra
        padded[name] = torch.cat([w, w.new_zeros(shape)], dim=axis)
    return padded


class PaddedTrainer(Trainer):
    """A :class:`Trainer` whose stacked models may differ in ``d_sae`` (and λ): each trains
    padded to the widest, exactly as alone (module docstring). ``model(i)`` and the history's
    dead fractions are at model i's own width."""

    def __init__(
        self,
        sae_configs: Sequence[SAEConfig],
        train_config: TrainConfig,
        x_train: np.ndarray | Tensor,
        *,
        seeds: Sequence[int] | None = None,
        log_every: int = 1,
        fast: bool = True,
    ) -> None:
        cfgs = list(sae_configs)
        if not cfgs:
            raise ConfigError("no model configurations given: pass at least one SAEConfig")
        if not all(pads_exactly(c, train_config) for c in cfgs):
            raise ConfigError(
                f"method {cfgs[0].method!r} with dead_remedy={train_config.dead_remedy!r} "
                "cannot train widths padded in one stack: train each width apart"
            )
        self.widths = [c.d_sae for c in cfgs]
        if train_config.dead_remedy == "auxk" and train_config.aux_k > min(self.widths):
            raise ConfigError(
                f"aux_k={train_config.aux_k} exceeds the narrowest width {min(self.widths)}: "
                "padded widths would give AuxK a different k; train the widths apart"
            )
        self.own_configs = cfgs  # each model's config at its own width
        width = max(self.widths)
        engines = {engine_for(c, train_config, fast=fast) for c in cfgs}
        engines.add(engine_for(cfgs[0].replace(d_sae=width), train_config, fast=fast))
        if len(engines) > 1:
            raise ConfigError(
                f"widths {sorted(set(self.widths))} train with different step engines "
                f"({', '.join(sorted(e.__name__ for e in engines))}) alone: train them apart"
            )
        super().__init__(
            [c.replace(d_sae=width) for c in cfgs],
            train_config,
            x_train,
            seeds=seeds,
            log_every=log_every,
            fast=fast,
        )

    def _initial_weights(self, mean: Tensor) -> list[dict[str, Tensor]]:
        width = max(self.widths)
        return [
            pad_weights(init_weights(cfg, g, mean), width)
            for cfg, g in zip(self.own_configs, self._generators, strict=True)
        ]

    def _init_state(self) -> None:
        super()._init_state()
        # [N, H] bool: True at each model's own latents, False at its padding
        self.own_latents = torch.arange(max(self.widths), device=self.device) < torch.tensor(
            self.widths, device=self.device
        ).unsqueeze(1)

    def _one_batch_order(self) -> bool:
        # a model's init at its own width advances its generator by its own amount, so models
        # of one seed but different widths draw different batch orders, as their single runs do
        return super()._one_batch_order() and len(set(self.widths)) == 1

    @property
    def dead(self) -> Tensor:
        """Own latents that have not fired for dead_window steps: [N, H] bool (padding never)."""
        return super().dead & self.own_latents

    def _dead_fractions(self) -> list[float]:
        counts = self.dead.sum(-1).tolist()
        return [count / width for count, width in zip(counts, self.widths, strict=True)]

    def model(self, index: int = 0) -> SparseAutoencoder:
        """A standalone copy of model ``index`` at its own width (padding cut off)."""
        h = self.widths[index]
        weights = {"W_enc": self.W_enc[index], **{n: p[index] for n, p in self.params.items()}}
        own = {
            name: w.narrow(_LATENT_AXIS[name], 0, h) if name in _LATENT_AXIS else w
            for name, w in weights.items()
        }
        cfg = self.own_configs[index]
        if self.lam_control is not None and cfg.target_l0 is not None:
            cfg = cfg.replace(lam=float(self.lams[index]))  # the λ its target reached
        return SparseAutoencoder(cfg, own).to(self.device)
