"""Frozen, validated configuration for the model and for training.

All parameter checks live here, in ``__post_init__``, so every entry point (app, CLI, notebook)
gets the same message for the same mistake. Messages name the field, the value and the fix.

over 300 lines: every check of every field, in one declared place (scikit-learn's habit).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, fields, replace
from itertools import pairwise
from typing import Any

import numpy as np

from sae_core import methods
from sae_core.errors import ConfigError

METHODS: tuple[str, ...] = methods.names()
"""The registry's method names when this module was imported, for tests that parametrise over
them. Checks call :func:`sae_core.methods.names`, so a method registered later validates."""

DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda", "mps")
DEAD_REMEDIES: tuple[str, ...] = ("none", "resample", "auxk")

MAX_D_SAE = 65_536
MAX_D_IN = 100_000
MAX_LAM = 1e6


def _check(ok: bool, field: str, value: object, fix: str) -> None:
    if not ok:
        raise ConfigError(f"{field}={value!r} is invalid: {fix}")


def _is_finite_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _plain_numbers(cfg: Any) -> None:
    """Turn numpy scalars (a sweep built with np.logspace, say) into Python numbers, so configs
    validate the same way and serialise to JSON."""
    for f in fields(cfg):
        value = getattr(cfg, f.name)
        if isinstance(value, bool) or value is None or isinstance(value, (int, float, str)):
            continue
        if isinstance(value, np.bool_):
            object.__setattr__(cfg, f.name, bool(value))
        elif isinstance(value, numbers.Integral):
            object.__setattr__(cfg, f.name, int(value))
        elif isinstance(value, numbers.Real):
            object.__setattr__(cfg, f.name, float(value))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, kw_only=True)
class SAEConfig:
    """Shape and objective of one sparse autoencoder.

    The objective is ``‖x − x̂‖²`` summed over d_in, averaged over the batch, plus ``lam · R`` where R
    is the method's per-sample penalty (also averaged over the batch), plus
    ``weight_decay · (‖W_enc‖² + ‖W_dec‖²)``.
    """

    d_in: int
    d_sae: int = 128
    method: str = "l1"
    lam: float = 0.1  # L1 on digits in [0, 1]: FVE ≈ 0.94 at L0 ≈ 40 of 128 in 20 epochs
    k: int = 8  # TopK only: latents kept per sample, so L0 ≤ k exactly
    rho: float = 0.05  # KL only: target mean activation (UFLDL uses 0.01–0.1)
    # A target mean number of active latents, met as methods.Method.target_l0_via says: JumpReLU
    # (the target_l0 knob) pulls λ·(L0/target − 1)² toward it (SAELens); the TopK family sets
    # k = round(target) (below); λ methods (L1, L2, KL…) get a λ controller during training.
    # None = off (JumpReLU's penalty is then λ·L0).
    target_l0: float | None = None
    # JumpReLU's straight-through bandwidth ε (rectangle kernel): θ learns from pre-activations
    # within ε/2 of it (methods.JUMPRELU_BANDWIDTH says why this default).
    jumprelu_bandwidth: float = methods.JUMPRELU_BANDWIDTH
    weight_decay: float = 0.0  # λ_w Σ W² on both weight matrices; regularises weights, not codes
    tied: bool = False  # W_dec = W_encᵀ (one matrix)
    unit_norm_decoder: bool = False  # renormalise decoder rows after every step
    init_encoder_from_decoder: bool = True  # W_enc starts as W_decᵀ (SAELens / Anthropic)
    init_b_dec_from_mean: bool = True  # b_dec starts at the training-data mean
    # L1-penalty methods only: R = Σ_j f_j ‖W_dec[j]‖ (SAELens's standard SAE), so shrinking f
    # while growing W_dec no longer pays; no unit-norm constraint, and decoder rows start at norm
    # 0.1 with W_enc = W_decᵀ (model.DECODER_NORM_INIT)
    decoder_norm_penalty: bool = False
    # Matryoshka only: nested prefix sizes m_1 < … < m_P = d_sae, each reconstructing alone;
    # None = d_sae/8, d_sae/4, d_sae/2, d_sae (methods.matryoshka_prefixes)
    matryoshka_prefixes: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        _plain_numbers(self)
        _check(
            _is_int(self.d_in) and 1 <= self.d_in <= MAX_D_IN,
            "d_in",
            self.d_in,
            f"input width must be an integer in 1..{MAX_D_IN}",
        )
        _check(
            _is_int(self.d_sae) and 1 <= self.d_sae <= MAX_D_SAE,
            "d_sae",
            self.d_sae,
            f"hidden size must be an integer in 1..{MAX_D_SAE}",
        )
        known = methods.names()
        _check(self.method in known, "method", self.method, f"choose one of {', '.join(known)}")
        _check(
            _is_finite_number(self.lam) and 0 <= self.lam <= MAX_LAM,
            "lam",
            self.lam,
            f"λ must be a finite number in [0, {MAX_LAM:g}]",
        )
        _check(_is_int(self.k) and self.k >= 1, "k", self.k, "k must be a positive integer")
        method = methods.get(self.method)
        if method.target_l0_via == "k" and _is_finite_number(self.target_l0):
            # the TopK family meets a target L0 through k; normalised here so that the form,
            # the CLI, links and the method race all get the same k for the same target
            object.__setattr__(self, "k", max(1, round(self.target_l0)))  # type: ignore[arg-type]
        if method.uses_k:
            _check(
                self.k <= self.d_sae,
                "k",
                self.k,
                f"{method.title} keeps k latents of d_sae={self.d_sae}; choose k ≤ d_sae",
            )
        _check(
            _is_finite_number(self.rho) and 0 < self.rho < 1,
            "rho",
            self.rho,
            "ρ is a target firing rate: choose a number strictly between 0 and 1",
        )
        if self.target_l0 is not None:
            _check(
                _is_finite_number(self.target_l0) and 0 < self.target_l0 <= self.d_sae,
                "target_l0",
                self.target_l0,
                f"a target number of active latents must be in (0, d_sae={self.d_sae}], or unset",
            )
            object.__setattr__(self, "target_l0", float(self.target_l0))
        _check(
            _is_finite_number(self.jumprelu_bandwidth) and 0 < self.jumprelu_bandwidth <= 10,
            "jumprelu_bandwidth",
            self.jumprelu_bandwidth,
            "the bandwidth ε must be a number in (0, 10]",
        )
        _check(
            _is_finite_number(self.weight_decay) and 0 <= self.weight_decay <= MAX_LAM,
            "weight_decay",
            self.weight_decay,
            f"choose a finite number in [0, {MAX_LAM:g}]",
        )
        for name in (
            "tied",
            "unit_norm_decoder",
            "init_encoder_from_decoder",
            "init_b_dec_from_mean",
            "decoder_norm_penalty",
        ):
            _check(
                isinstance(getattr(self, name), bool),
                name,
                getattr(self, name),
                "must be true or false",
            )

        if self.decoder_norm_penalty:
            _check_decoder_norm_penalty(self, method)
        if self.matryoshka_prefixes is not None:
            _check_prefixes(self)

    @property
    def unit_norm_atoms(self) -> bool:
        """Whether decoder rows are kept at unit norm: asked for, or the method's own rule
        (Gated: ``Method.unit_norm_decoder``)."""
        return self.unit_norm_decoder or methods.get(self.method).unit_norm_decoder

    @property
    def activation(self) -> str:
        """The elementwise nonlinearity, ``"sigmoid"`` or ``"relu"`` (TopK keeps the k largest ReLU
        outputs; ``methods.get(method).activation`` tells TopK apart)."""
        return "sigmoid" if methods.get(self.method).activation == "sigmoid" else "relu"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SAEConfig:
        return _from_dict(cls, data)

    def replace(self, **changes: Any) -> SAEConfig:
        return replace(self, **changes)


def _check_decoder_norm_penalty(cfg: SAEConfig, method: methods.Method) -> None:
    """The decoder-norm-scaled penalty: an L1 method, and no unit-norm decoder."""
    l1 = [m.name for m in methods.all_methods() if m.l1_penalty]
    _check(
        method.l1_penalty,
        "decoder_norm_penalty",
        True,
        f"scaling the penalty by decoder norms needs an L1 penalty (method {_or(l1)}), "
        f"not {method.title}: turn it off or change the method",
    )
    _check(
        not cfg.unit_norm_decoder,
        "decoder_norm_penalty",
        True,
        "it does not go with unit_norm_decoder: with unit-norm atoms every ‖W_dec[j]‖ is 1 and "
        "the scaling does nothing; turn one of them off",
    )


def _check_prefixes(cfg: SAEConfig) -> None:
    """Matryoshka prefixes: integers 1 ≤ m_1 < … < m_P = d_sae (a JSON list or "16,32,64,128"
    text becomes a tuple; empty text is None)."""
    raw: Any = cfg.matryoshka_prefixes
    if isinstance(raw, str):  # "16,32,64,128", as the Train form and links write it
        if not raw.strip():
            object.__setattr__(cfg, "matryoshka_prefixes", None)
            return
        parts = [p.strip() for p in raw.split(",")]
        raw = [int(p) if p.lstrip("-").isdigit() else p for p in parts]
    ok = isinstance(raw, (list, tuple)) and len(raw) > 0 and all(_is_int(m) for m in raw)
    fix = f"give increasing integers ending at d_sae={cfg.d_sae}, e.g. 16,32,64,{cfg.d_sae}"
    _check(ok, "matryoshka_prefixes", raw, fix)
    prefixes = tuple(int(m) for m in raw)
    increasing = all(a < b for a, b in pairwise(prefixes))
    _check(increasing and prefixes[0] >= 1, "matryoshka_prefixes", raw, fix)
    _check(prefixes[-1] == cfg.d_sae, "matryoshka_prefixes", raw, fix)
    object.__setattr__(cfg, "matryoshka_prefixes", prefixes)


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """How to train: schedule, optimiser, reproducibility and hardware."""

    epochs: int = 20
    steps: int | None = None  # if set, overrides epochs: exactly this many optimiser steps
    batch_size: int = 128
    lr: float = 3e-3  # Adam; higher than SAELens's 3e-4 because our models are tiny
    seed: int = 0
    device: str = "auto"
    threads: int | None = 1  # 1 beats 2 on small models and under contention (RECIPES.md)
    lam_warmup_steps: int = 0  # λ ramps linearly from 0 over this many steps
    dead_remedy: str = "none"
    dead_window: int = 200  # steps without firing before a latent counts as dead in training
    resample_every: int = 500  # steps between resamplings (remedy "resample")
    aux_k: int = 32  # AuxK: dead latents used to model the residual
    aux_coef: float = 1 / 32  # AuxK loss weight (Gao et al. 2024)

    def __post_init__(self) -> None:
        _plain_numbers(self)
        _check(
            _is_int(self.epochs) and 1 <= self.epochs <= 100_000,
            "epochs",
            self.epochs,
            "choose an integer number of epochs in 1..100000",
        )
        if self.steps is not None:
            _check(
                _is_int(self.steps) and 1 <= self.steps <= 10_000_000,
                "steps",
                self.steps,
                "choose an integer number of steps in 1..10000000, or leave it unset",
            )
        _check(
            _is_int(self.batch_size) and 1 <= self.batch_size <= 1_000_000,
            "batch_size",
            self.batch_size,
            "choose an integer batch size in 1..1000000",
        )
        _check(
            _is_finite_number(self.lr) and 0 < self.lr <= 10,
            "lr",
            self.lr,
            "the learning rate must be a number in (0, 10]",
        )
        _check(
            _is_int(self.seed) and 0 <= self.seed < 2**32,
            "seed",
            self.seed,
            "the seed must be an integer in 0..2**32-1",
        )
        _check(self.device in DEVICES, "device", self.device, f"choose one of {', '.join(DEVICES)}")
        if self.threads is not None:
            _check(
                _is_int(self.threads) and 1 <= self.threads <= 256,
                "threads",
                self.threads,
                "choose a thread count in 1..256, or leave it unset to keep the process's setting",
            )
        _check(
            _is_int(self.lam_warmup_steps) and self.lam_warmup_steps >= 0,
            "lam_warmup_steps",
            self.lam_warmup_steps,
            "choose an integer ≥ 0",
        )
        _check(
            self.dead_remedy in DEAD_REMEDIES,
            "dead_remedy",
            self.dead_remedy,
            f"choose one of {', '.join(DEAD_REMEDIES)}",
        )
        for name in ("dead_window", "resample_every", "aux_k"):
            value = getattr(self, name)
            _check(_is_int(value) and value >= 1, name, value, "choose an integer ≥ 1")
        _check(
            _is_finite_number(self.aux_coef) and self.aux_coef >= 0,
            "aux_coef",
            self.aux_coef,
            "choose a finite number ≥ 0",
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        return _from_dict(cls, data)

    def replace(self, **changes: Any) -> TrainConfig:
        return replace(self, **changes)


def check_compatible(sae: SAEConfig, train: TrainConfig) -> None:
    """Reject combinations of model and training options that do not go together."""
    method = methods.get(sae.method)
    remedy = method.dead_remedy
    if train.dead_remedy == "auxk" and remedy != "auxk":
        raise ConfigError(
            f"dead_remedy='auxk' needs method={_or(_with_remedy('auxk'))} (got {sae.method!r}): "
            "use 'resample' for penalty methods"
        )
    if train.dead_remedy == "resample" and remedy != "resample":
        raise ConfigError(
            f"dead_remedy='resample' is for penalty methods: use '{remedy}' with {method.title}"
        )


def _with_remedy(remedy: str) -> list[str]:
    return [m.name for m in methods.all_methods() if m.dead_remedy == remedy]


def _or(names: list[str]) -> str:
    """``'a'``, ``'a' or 'b'``, ``'a', 'b' or 'c'``."""
    quoted = [repr(n) for n in names]
    return " or ".join([", ".join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted)


def _from_dict(cls: Any, data: dict[str, Any]) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"a {cls.__name__} must be a JSON object, got {type(data).__name__}")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"unknown {cls.__name__} field(s) {', '.join(unknown)}: "
            "this file may come from a newer SAE Explorer; upgrade, or remove them"
        )
    try:
        return cls(**data)
    except TypeError as exc:  # missing required field
        raise ConfigError(f"incomplete {cls.__name__}: {exc}") from None
