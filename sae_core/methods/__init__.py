r"""The method registry: every sparsity mechanism declared once (SAE_NOTES.md, "Sparsity mechanisms").

A :class:`Method` says everything the rest of the program needs to know about a method: its
activation, its penalty R (a pure function from :mod:`sae_core.penalties`) and the formula shown
for it, which knobs it reads (λ, k, ρ, target L0…), whether the hand-written training step
covers it, which dead-latent remedy fits it, and which SAELens architecture it exports to; and,
for methods such as JumpReLU, its own per-latent parameters, encoder, loss and after-step update. Pages, the CLI, runs,
export, the link format and the explanations all look methods up here; none compares method names.
Adding a method is one ``register(Method(...))`` entry (and its tests), as in SAELens's
``register_sae_class``.

Torch-free on purpose (penalties only touch tensor methods; the JumpReLU / BatchTopK maths in
:mod:`sae_core.encoders` is imported when first called), so the CLI parser and configs stay cheap
to import.

Layout: :mod:`~sae_core.methods.spec` (what an entry declares), :mod:`~sae_core.methods.registry`
(register / get / names), and the entries: :mod:`~sae_core.methods.classic` (none, L1, L2, KL,
contractive, TopK) and :mod:`~sae_core.methods.current` (JumpReLU, BatchTopK, Matryoshka, Gated).
Everything public is re-exported here, so callers write ``methods.get(name)``.
"""

from __future__ import annotations

from sae_core.methods.classic import (
    CONTRACTIVE,
    KL,
    L1,
    L2,
    NONE,
    TOPK,
)
from sae_core.methods.current import (
    BATCHTOPK,
    GATED,
    JUMPRELU,
    JUMPRELU_BANDWIDTH,
    JUMPRELU_INIT_THRESHOLD,
    MATRYOSHKA,
    matryoshka_prefixes,
)
from sae_core.methods.registry import (
    TARGET_L0_VIA,
    all_methods,
    get,
    names,
    register,
    unregister,
    with_knob,
    with_target_l0,
)
from sae_core.methods.spec import (
    ACTIVATION_LATEX,
    ACTIVATIONS,
    KNOBS,
    ContextPenaltyFn,
    EncoderFn,
    ExtraParam,
    Method,
    PenaltyContext,
    PenaltyFn,
    ReconLossFn,
    StateUpdateFn,
)

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_LATEX",
    "BATCHTOPK",
    "CONTRACTIVE",
    "GATED",
    "JUMPRELU",
    "JUMPRELU_BANDWIDTH",
    "JUMPRELU_INIT_THRESHOLD",
    "KL",
    "KNOBS",
    "L1",
    "L2",
    "MATRYOSHKA",
    "NONE",
    "TARGET_L0_VIA",
    "TOPK",
    "ContextPenaltyFn",
    "EncoderFn",
    "ExtraParam",
    "Method",
    "PenaltyContext",
    "PenaltyFn",
    "ReconLossFn",
    "StateUpdateFn",
    "all_methods",
    "get",
    "matryoshka_prefixes",
    "names",
    "register",
    "unregister",
    "with_knob",
    "with_target_l0",
]
