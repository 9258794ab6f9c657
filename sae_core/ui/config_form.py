"""The model and training widgets of the Train page, and the configs they describe.

Widgets only collect values (:class:`FormValues`); :func:`build_configs` turns them into validated
configs, so a bad combination raises a :class:`ConfigError` the page shows, and nothing trained is
touched. Defaults come from :class:`SAEConfig` / :class:`TrainConfig` themselves.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import streamlit as st

from sae_core.config import DEAD_REMEDIES, METHODS, SAEConfig, TrainConfig, check_compatible
from sae_core.ui.keep import current, remember, seed, widget
from sae_core.ui.teacher import visible

# 1-2-3-5 per decade, 1e-6 … 10: holds UFLDL's β = 3 (SAE_NOTES) and every Compare-sweep value
# (1-3-10); float(str) keeps each value exactly what it reads as.
LAM_GRID: tuple[float, ...] = (
    *(float(f"{m}e{e}") for e in range(-6, 1) for m in (1, 2, 3, 5)),
    10.0,
)
D_SAE_GRID: tuple[int, ...] = (  # 25: UFLDL's sparse autoencoder exercise (SAE_NOTES)
    1,
    2,
    4,
    8,
    16,
    25,
    32,
    64,
    96,
    128,
    192,
    256,
    384,
    512,
    768,
    1024,
    1536,
    2048,
    3072,
    4096,
)
LR_GRID: tuple[float, ...] = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
BATCH_GRID: tuple[int, ...] = (1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
WEIGHT_DECAY_GRID: tuple[float, ...] = (0.0, 1e-6, 1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
K_MAX = 256

METHOD_LABELS: dict[str, str] = {
    "none": "none: plain autoencoder (no sparsity)",
    "l1": "L1: ReLU + λ Σ|f|  (zeros, with shrinkage)",
    "l2": "L2: ReLU + λ Σ f²  (shrinks, few zeros)",
    "kl": "KL: sigmoid + β KL(ρ‖ρ̂)  (UFLDL)",
    "contractive": "contractive: sigmoid + λ‖∂f/∂x‖²  (smooth, not sparse)",
    "topk": "TopK: keep the k largest  (L0 ≤ k exactly)",
}
LAM_IDLE_REASON: dict[str, str] = {
    "none": "λ does nothing here: the plain autoencoder has no penalty.",
    "topk": "λ does nothing with TopK: k sets the sparsity.",
}

LAM_HELP: dict[str, str] = {
    "kl": "λ is UFLDL's β: the weight of the KL term.",
    "contractive": "Weight of the Jacobian penalty ‖∂f/∂x‖²_F.",
}
LAM_STEPS = " Steps 1, 2, 3, 5 per decade from 1e-6 to 10."

_SAE = SAEConfig(d_in=1)
_TRAIN = TrainConfig()

# Seconds for a small SAE on one CPU thread (docs/benchmarks.md): ~35 GFLOP/s of matmuls and
# ~1.2 ms of per-step overhead (autograd, Adam, logging). Rough, but it only gates a toggle.
_FLOPS_PER_SECOND = 35e9
_SECONDS_PER_STEP = 1.2e-3


@dataclass(frozen=True, kw_only=True)
class FormValues:
    """What the widgets say, before validation."""

    method: str
    lam: float
    d_sae: int
    k: int
    rho: float
    epochs: int
    lr: float
    batch_size: int
    seed: int
    tied: bool
    unit_norm_decoder: bool
    weight_decay: float
    lam_warmup_steps: int
    dead_remedy: str
    init_encoder_from_decoder: bool = True
    init_b_dec_from_mean: bool = True


def _fmt(value: float) -> str:
    return f"{value:g}"


def _method_and_sparsity() -> tuple[str, float, int, float]:
    """Method, λ, k and ρ widgets (k for TopK, ρ for KL; λ disabled where it does nothing)."""
    # A control hidden by teacher mode is not drawn; widget() still returns its value.
    method = widget(
        st.selectbox,
        "Method",
        "train_method",
        _SAE.method,
        METHODS,
        shown=visible("method"),
        format_func=lambda m: METHOD_LABELS[m],
    )
    idle = LAM_IDLE_REASON.get(method)
    lam = widget(
        st.select_slider,
        "λ (sparsity weight, log scale)",
        "train_lam",
        _SAE.lam,
        LAM_GRID,
        shown=visible("lam"),
        format_func=_fmt,
        disabled=idle is not None,
        help=idle or LAM_HELP.get(method, "Weight of the penalty R.") + LAM_STEPS,
    )
    k, rho = _SAE.k, _SAE.rho
    if method == "topk":
        k = _k_slider()
    if method == "kl":
        rho = widget(
            st.slider,
            "ρ (target mean activation)",
            "train_rho",
            _SAE.rho,
            0.001,
            0.5,
            shown=visible("rho"),
            step=0.001,
            format="%.3f",
        )
    return str(method), float(lam), int(k), float(rho)


def _k_slider() -> int:
    """TopK's k, capped at the hidden size (drawn below it, so read from this run's state)."""
    k_max = min(K_MAX, int(current("train_d_sae", _SAE.d_sae)))
    seed("train_k", min(_SAE.k, k_max))
    if st.session_state["train_k"] > k_max:  # d_sae shrank below k (or a link): k follows it
        if visible("k"):
            st.caption(f"k lowered from {st.session_state['train_k']} to d_sae = {k_max}.")
        st.session_state["train_k"] = k_max
    if k_max == 1:  # a slider needs min < max; with one latent, k is 1
        if visible("k"):
            st.caption("k = 1: the only latent is kept (raise d_sae for more).")
        return int(remember("train_k"))
    return int(
        widget(
            st.slider,
            "k (latents kept per sample)",
            "train_k",
            _SAE.k,
            1,
            k_max,
            shown=visible("k"),
            help=f"At most d_sae = {k_max}." if k_max < K_MAX else None,
        )
    )


def _schedule() -> tuple[int, int, float, int, int]:
    """Hidden size, epochs, learning rate, batch size, seed."""
    d_sae = widget(
        st.select_slider,
        "Hidden size d_sae",
        "train_d_sae",
        _SAE.d_sae,
        D_SAE_GRID,
        shown=visible("hidden"),
    )
    c1, c2 = st.columns(2) if visible("epochs") and visible("seed") else (st, st)
    epochs = widget(
        c1.number_input,
        "Epochs",
        "train_epochs",
        _TRAIN.epochs,
        1,
        1000,
        step=1,
        shown=visible("epochs"),
    )
    seed_value = widget(
        c2.number_input,
        "Seed",
        "train_seed",
        _TRAIN.seed,
        0,
        2**31 - 1,
        step=1,
        shown=visible("seed"),
    )
    lr = widget(
        st.select_slider,
        "Learning rate (Adam)",
        "train_lr",
        _TRAIN.lr,
        LR_GRID,
        shown=visible("lr"),
        format_func=_fmt,
    )
    batch = widget(
        st.select_slider,
        "Batch size",
        "train_batch",
        _TRAIN.batch_size,
        BATCH_GRID,
        shown=visible("batch"),
    )
    return int(d_sae), int(epochs), float(lr), int(batch), int(seed_value)


@dataclass(frozen=True, kw_only=True)
class Advanced:
    """The Advanced expander's values."""

    tied: bool
    unit_norm_decoder: bool
    init_encoder_from_decoder: bool
    init_b_dec_from_mean: bool
    weight_decay: float
    lam_warmup_steps: int
    dead_remedy: str


def _advanced() -> Advanced:
    """Tied weights, unit-norm decoder, initialisation, weight decay, λ warm-up, dead remedy."""
    shown = visible("advanced")
    with st.expander("Advanced") if shown else contextlib.nullcontext():
        tied = widget(
            st.checkbox, "Tied weights (W_dec = W_encᵀ)", "train_tied", _SAE.tied, shown=shown
        )
        unit_norm = widget(
            st.checkbox,
            "Unit-norm decoder rows",
            "train_unit_norm",
            _SAE.unit_norm_decoder,
            shown=shown,
            help="Stops the L1 penalty being dodged by tiny codes and big atoms.",
        )
        enc_init = widget(
            st.checkbox,
            "Encoder starts as the decoder's transpose",
            "train_enc_init",
            _SAE.init_encoder_from_decoder,
            shown=shown,
            help="SAELens / Anthropic; off: an independent random encoder.",
        )
        bdec_init = widget(
            st.checkbox,
            "b_dec starts at the training-data mean",
            "train_bdec_init",
            _SAE.init_b_dec_from_mean,
            shown=shown,
            help="Off: b_dec starts at 0 and has to learn the mean.",
        )
        wd = widget(
            st.select_slider,
            "Weight decay λ_w Σ W²",
            "train_wd",
            _SAE.weight_decay,
            WEIGHT_DECAY_GRID,
            shown=shown,
            format_func=_fmt,
        )
        warmup = widget(
            st.number_input,
            "λ warm-up steps (λ ramps up from 0)",
            "train_warmup",
            _TRAIN.lam_warmup_steps,
            0,
            100_000,
            shown=shown,
            step=50,
        )
        dead = widget(
            st.selectbox,
            "Dead-latent remedy",
            "train_dead",
            _TRAIN.dead_remedy,
            DEAD_REMEDIES,
            shown=shown,
            help="resample: penalty methods (Anthropic 2023); auxk: TopK (Gao et al. 2024).",
        )
    return Advanced(
        tied=bool(tied),
        unit_norm_decoder=bool(unit_norm),
        init_encoder_from_decoder=bool(enc_init),
        init_b_dec_from_mean=bool(bdec_init),
        weight_decay=float(wd),
        lam_warmup_steps=int(warmup),
        dead_remedy=str(dead),
    )


def render_config_form() -> FormValues:
    """Draw the model and training widgets (keys ``train_*``) and return their values."""
    method, lam, k, rho = _method_and_sparsity()
    d_sae, epochs, lr, batch, seed_value = _schedule()
    adv = _advanced()
    return FormValues(
        method=method,
        lam=lam,
        d_sae=d_sae,
        k=k,
        rho=rho,
        epochs=epochs,
        lr=lr,
        batch_size=batch,
        seed=seed_value,
        tied=adv.tied,
        unit_norm_decoder=adv.unit_norm_decoder,
        weight_decay=adv.weight_decay,
        lam_warmup_steps=adv.lam_warmup_steps,
        dead_remedy=adv.dead_remedy,
        init_encoder_from_decoder=adv.init_encoder_from_decoder,
        init_b_dec_from_mean=adv.init_b_dec_from_mean,
    )


# The TrainConfig fields the form sets; the others keep their defaults here.
TRAIN_CONTROLS: tuple[str, ...] = (
    "epochs",
    "batch_size",
    "lr",
    "seed",
    "lam_warmup_steps",
    "dead_remedy",
)


def build_configs(values: FormValues, d_in: int) -> tuple[SAEConfig, TrainConfig]:
    """Validated configs for data of width ``d_in``; raises ConfigError naming the fix."""
    sae = SAEConfig(
        d_in=d_in,
        d_sae=values.d_sae,
        method=values.method,
        lam=values.lam,
        k=values.k,
        rho=values.rho,
        weight_decay=values.weight_decay,
        tied=values.tied,
        unit_norm_decoder=values.unit_norm_decoder,
        init_encoder_from_decoder=values.init_encoder_from_decoder,
        init_b_dec_from_mean=values.init_b_dec_from_mean,
    )
    train = TrainConfig(
        epochs=values.epochs,
        batch_size=values.batch_size,
        lr=values.lr,
        seed=values.seed,
        lam_warmup_steps=values.lam_warmup_steps,
        dead_remedy=values.dead_remedy,
    )
    check_compatible(sae, train)
    return sae, train


def estimate_train_seconds(
    *, n_train: int, d_in: int, d_sae: int, epochs: int, batch_size: int
) -> float:
    """Rough single-thread CPU time of a training run (forward + backward ≈ 12·n·d_in·d_sae)."""
    steps = epochs * -(-n_train // max(1, batch_size))
    flops = 12.0 * n_train * d_in * d_sae * epochs
    return flops / _FLOPS_PER_SECOND + steps * _SECONDS_PER_STEP
