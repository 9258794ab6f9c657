"""The Train page's model and training controls: method, λ, target L0, k, ρ, d_sae, schedule,
advanced.

Which methods there are, and which of λ, k and ρ each reads, come from :mod:`sae_core.methods`
when the controls are built, so a method registered at run time is in the select and the link.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from sae_core import methods
from sae_core.app.controls.spec import Control, declare, option_text
from sae_core.config import DEAD_REMEDIES

# 1-2-3-5 per decade, 1e-6 … 10: holds UFLDL's β = 3 (SAE_NOTES) and every Compare-sweep value
# (1-3-10); float(str) keeps each value exactly what it reads as.
LAM_GRID: tuple[float, ...] = (
    *(float(f"{m}e{e}") for e in range(-6, 1) for m in (1, 2, 3, 5)),
    10.0,
)
D_SAE_GRID: tuple[int, ...] = (
    *(1, 2, 4, 8, 16, 25, 32, 64, 96, 128),  # 25: UFLDL's sparse autoencoder exercise (SAE_NOTES)
    *(192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096),
)
LR_GRID: tuple[float, ...] = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
BATCH_GRID: tuple[int, ...] = (1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
WEIGHT_DECAY_GRID: tuple[float, ...] = (0.0, 1e-6, 1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
K_MAX = 256
LAM_STEPS = "Steps 1, 2, 3, 5 per decade from 1e-6 to 10."


def _uses(knob: str) -> tuple[str, tuple[str, ...]]:
    """Applies only with the methods that read ``knob`` (λ, k or ρ)."""
    return ("method", methods.with_knob(knob))


def model_controls(defaults: Mapping[str, Any]) -> tuple[Control, ...]:
    """Method and its knobs, hidden size and schedule (the Advanced expander's come after)."""
    c = partial(declare, defaults)
    names = methods.names()
    return (
        c(
            name="method",
            key="train_method",
            sets="sae.method",
            kind="choice",
            widget="selectbox",
            label="Method",
            choices=names,
            option_labels={m: methods.get(m).label for m in names},
            group="method",
        ),
        c(
            name="lam",
            key="train_lam",
            sets="sae.lam",
            kind="grid",
            widget="select_slider",
            label="λ (sparsity weight, log scale)",
            choices=LAM_GRID,
            option_labels=option_text(LAM_GRID),
            help=LAM_STEPS,  # the form puts the method's own λ help first
            group="lam",
            when=_uses("lam"),
        ),
        c(
            name="tl0",
            key="train_target_l0",
            sets="sae.target_l0",
            kind="int",
            widget="number_input",
            label="Target L0 (0 = off)",
            lo=0,
            hi=K_MAX,
            step=1,
            off=0,
            help="A target mean number of active latents. TopK family: k = target. JumpReLU: "
            "λ weights the pull (L0/target − 1)² toward it (SAELens). λ methods: a controller "
            "moves λ during training until the running L0 settles there (see λ in the curves).",
            group="lam",
            when=("method", methods.with_target_l0()),
        ),
        c(
            name="k",
            key="train_k",
            sets="sae.k",
            kind="int",
            widget="slider",
            label="k (latents kept per sample)",
            lo=1,
            hi=K_MAX,  # and at most d_sae: the form lowers it
            group="k",
            when=_uses("k"),
        ),
        c(
            name="pfx",
            key="train_prefixes",
            sets="sae.matryoshka_prefixes",
            kind="text",
            widget="text_input",
            label="Nested prefix sizes (empty: d_sae/8, /4, /2, d_sae)",
            off="",
            help="Comma-separated, increasing, ending at d_sae, e.g. 16,32,64,128: the first m "
            "latents must reconstruct on their own, for each m.",
            group="k",
            when=_uses("matryoshka_prefixes"),
        ),
        c(
            name="rho",
            key="train_rho",
            sets="sae.rho",
            kind="float",
            widget="slider",
            label="ρ (target mean activation)",
            lo=0.001,
            hi=0.5,
            step=0.001,
            decimals=3,
            group="rho",
            when=_uses("rho"),
        ),
        c(
            name="h",
            key="train_d_sae",
            sets="sae.d_sae",
            kind="grid",
            widget="select_slider",
            label="Hidden size d_sae",
            choices=D_SAE_GRID,
            group="hidden",
        ),
        c(
            name="ep",
            key="train_epochs",
            sets="train.epochs",
            kind="int",
            widget="number_input",
            label="Epochs",
            lo=1,
            hi=1000,
            step=1,
            group="epochs",
        ),
        c(
            name="seed",
            key="train_seed",
            sets="train.seed",
            kind="int",
            widget="number_input",
            label="Seed",
            lo=0,
            hi=2**31 - 1,
            step=1,
            group="seed",
        ),
        c(
            name="lr",
            key="train_lr",
            sets="train.lr",
            kind="grid",
            widget="select_slider",
            label="Learning rate (Adam)",
            choices=LR_GRID,
            option_labels=option_text(LR_GRID),
            group="lr",
        ),
        c(
            name="bs",
            key="train_batch",
            sets="train.batch_size",
            kind="grid",
            widget="select_slider",
            label="Batch size",
            choices=BATCH_GRID,
            group="batch",
        ),
    )


def advanced_controls(defaults: Mapping[str, Any]) -> tuple[Control, ...]:
    """Tied weights, unit-norm decoder, initialisation, weight decay, λ warm-up, dead remedy."""
    c = partial(declare, defaults, group="advanced")
    return (
        c(
            name="tied",
            key="train_tied",
            sets="sae.tied",
            kind="bool",
            widget="checkbox",
            label="Tied weights (W_dec = W_encᵀ)",
        ),
        c(
            name="unit",
            key="train_unit_norm",
            sets="sae.unit_norm_decoder",
            kind="bool",
            widget="checkbox",
            label="Unit-norm decoder rows",
            help="Stops the L1 penalty being dodged by tiny codes and big atoms.",
        ),
        c(
            name="dnorm",
            key="train_dnorm",
            sets="sae.decoder_norm_penalty",
            kind="bool",
            widget="checkbox",
            label="Penalty × decoder norm: R = Σ f_j ‖W_dec[j]‖ (SAELens standard)",
            help="L1 only, not with unit-norm rows. Without it the model can halve f_j and "
            "double the atom: same x̂, half the penalty. Atoms start at norm 0.1, W_enc = W_decᵀ.",
            when=("method", tuple(m.name for m in methods.all_methods() if m.l1_penalty)),
        ),
        c(
            name="einit",
            key="train_enc_init",
            sets="sae.init_encoder_from_decoder",
            kind="bool",
            widget="checkbox",
            label="Encoder starts as the decoder's transpose",
            help="SAELens / Anthropic; off: an independent random encoder.",
        ),
        c(
            name="binit",
            key="train_bdec_init",
            sets="sae.init_b_dec_from_mean",
            kind="bool",
            widget="checkbox",
            label="b_dec starts at the training-data mean",
            help="Off: b_dec starts at 0 and has to learn the mean.",
        ),
        c(
            name="wd",
            key="train_wd",
            sets="sae.weight_decay",
            kind="grid",
            widget="select_slider",
            label="Weight decay λ_w Σ W²",
            choices=WEIGHT_DECAY_GRID,
            option_labels=option_text(WEIGHT_DECAY_GRID),
        ),
        c(
            name="warm",
            key="train_warmup",
            sets="train.lam_warmup_steps",
            kind="int",
            widget="number_input",
            label="λ warm-up steps (λ ramps up from 0)",
            lo=0,
            hi=100_000,
            step=50,
        ),
        c(
            name="dead",
            key="train_dead",
            sets="train.dead_remedy",
            kind="choice",
            widget="selectbox",
            label="Dead-latent remedy",
            choices=DEAD_REMEDIES,
            help="resample: penalty methods (Anthropic 2023); auxk: TopK (Gao et al. 2024).",
        ),
    )
