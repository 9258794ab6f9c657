"""The model and training widgets of the Train page, and the configs they describe.

Each widget is drawn from its control-registry entry (:mod:`sae_core.app.controls`: label,
default, bounds, help, teacher group); method-dependent parts come from the method registry
(:mod:`sae_core.methods`). Widgets only collect values (:class:`FormValues`); :func:`build_configs`
turns them into validated configs, so a bad combination raises a :class:`ConfigError` the page
shows, and nothing trained is touched.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass
from typing import Any

import streamlit as st

from sae_core import methods
from sae_core.app.controls import K_MAX, Control, by_name, config_controls, train_controls
from sae_core.config import SAEConfig, TrainConfig, check_compatible
from sae_core.ui.keep import current, draw_control, remember, seed
from sae_core.ui.teacher import visible

# Seconds for a small SAE on one CPU thread (docs/benchmarks.md): ~35 GFLOP/s of matmuls and
# ~1.2 ms of per-step overhead (autograd, Adam, logging). Rough, but it only gates a toggle.
_FLOPS_PER_SECOND = 35e9
_SECONDS_PER_STEP = 1.2e-3


@dataclass(frozen=True, kw_only=True)
class FormValues:
    """What the widgets say, before validation (each field is the config field it sets)."""

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
    target_l0: float | None = None
    decoder_norm_penalty: bool = False
    matryoshka_prefixes: str | None = None  # "16,32,64,128"; SAEConfig parses and checks it


def _method_and_sparsity(c: dict[str, Control]) -> dict[str, Any]:
    """Method, λ, target L0, k and ρ widgets (target L0, k and ρ for the methods that read them;
    λ disabled where it does nothing). A control hidden by teacher mode is not drawn; it still gives its value."""
    method = methods.get(draw_control(c["method"]))
    idle = method.lam_idle_reason
    lam = draw_control(
        c["lam"],
        disabled=idle is not None,
        help=idle or f"{method.lam_help} {c['lam'].help}",
    )
    via = method.target_l0_via
    target = (
        draw_control(c["tl0"], help=f"{methods.TARGET_L0_VIA[via]}. {c['tl0'].help}")
        if via is not None
        else c["tl0"].default
    )
    k = _k_slider(c["k"], c["h"]) if method.uses_k else c["k"].default
    rho = draw_control(c["rho"], format="%.3f") if method.uses_rho else c["rho"].default
    nested = "matryoshka_prefixes" in method.knobs
    prefixes = c["pfx"].to_config(str(draw_control(c["pfx"]))) if nested else None
    target_l0 = c["tl0"].to_config(int(target))
    return {
        "method": method.name,
        "lam": float(lam),
        "target_l0": None if target_l0 is None else float(target_l0),
        "k": int(k),
        "rho": float(rho),
        "matryoshka_prefixes": prefixes,
    }


def _k_slider(k: Control, d_sae: Control) -> int:
    """TopK's k, capped at the hidden size (drawn below it, so read from this run's state)."""
    k_max = min(K_MAX, int(current(d_sae.key, d_sae.default)))
    shown = visible(k.group or "k")
    seed(k.key, min(k.default, k_max))
    if st.session_state[k.key] > k_max:  # d_sae shrank below k (or a link): k follows it
        if shown:
            st.caption(f"k lowered from {st.session_state[k.key]} to d_sae = {k_max}.")
        st.session_state[k.key] = k_max
    if k_max == 1:  # a slider needs min < max; with one latent, k is 1
        if shown:
            st.caption("k = 1: the only latent is kept (raise d_sae for more).")
        return int(remember(k.key))
    at_most = f"At most d_sae = {k_max}." if k_max < K_MAX else None
    return int(draw_control(k, max_value=k_max, help=at_most))


def _schedule(c: dict[str, Control]) -> dict[str, Any]:
    """Hidden size, epochs and seed (side by side when both show), learning rate, batch size."""
    d_sae = draw_control(c["h"])
    c1, c2 = st.columns(2) if visible("epochs") and visible("seed") else (st, st)
    epochs = draw_control(c["ep"], c1)
    seed_value = draw_control(c["seed"], c2)
    lr = draw_control(c["lr"])
    batch = draw_control(c["bs"])
    return {
        "d_sae": int(d_sae),
        "epochs": int(epochs),
        "seed": int(seed_value),
        "lr": float(lr),
        "batch_size": int(batch),
    }


def _advanced(c: dict[str, Control], method: str) -> dict[str, Any]:
    """The "advanced" group's controls in their expander: tied weights, unit-norm decoder,
    penalty × decoder norm (L1 methods only), initialisation, weight decay, λ warm-up, dead-latent
    remedy. A control that does not apply to ``method`` is not drawn and gives its default."""
    with st.expander("Advanced") if visible("advanced") else contextlib.nullcontext():
        return {
            a.config_field: draw_control(a) if a.applies(method) else a.default
            for a in c.values()
            if a.group == "advanced"
        }


def render_config_form() -> FormValues:
    """Draw the model and training widgets (keys ``train_*``) and return their values."""
    c = by_name(train_controls())
    sparsity = _method_and_sparsity(c)
    values = {**sparsity, **_schedule(c), **_advanced(c, sparsity["method"])}
    return FormValues(**values)


# The TrainConfig fields the form sets; the others keep their defaults here.
TRAIN_CONTROLS: tuple[str, ...] = tuple(config_controls("train"))


def build_configs(values: FormValues, d_in: int) -> tuple[SAEConfig, TrainConfig]:
    """Validated configs for data of width ``d_in``; raises ConfigError naming the fix."""
    given = asdict(values)
    sae = SAEConfig(d_in=d_in, **{name: given[name] for name in config_controls("sae")})
    train = TrainConfig(**{name: given[name] for name in TRAIN_CONTROLS})
    check_compatible(sae, train)
    return sae, train


def estimate_train_seconds(
    *, n_train: int, d_in: int, d_sae: int, epochs: int, batch_size: int
) -> float:
    """Rough single-thread CPU time of a training run (forward + backward ≈ 12·n·d_in·d_sae)."""
    steps = epochs * -(-n_train // max(1, batch_size))
    flops = 12.0 * n_train * d_in * d_sae * epochs
    return flops / _FLOPS_PER_SECOND + steps * _SECONDS_PER_STEP
