r"""The method registry: every sparsity mechanism declared once (SAE_NOTES.md, "Sparsity mechanisms").

A :class:`Method` says everything the rest of the program needs to know about a method: its
activation, its penalty R (a pure function from :mod:`sae_core.penalties`) and the formula shown
for it, which knobs it reads (λ, k, ρ), whether the hand-written training step covers it, which
dead-latent remedy fits it, and which SAELens architecture it exports to. Pages, the CLI, runs,
export, the link format and the explanations all look methods up here; none compares method names.
Adding a method is one :func:`register` call (and its tests), as in SAELens's
``register_sae_class``.

Torch-free on purpose (penalties only touch tensor methods), so the CLI parser and configs stay
cheap to import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sae_core import penalties

if TYPE_CHECKING:
    from torch import Tensor

PenaltyFn = Callable[["Tensor", "Tensor", float], "Tensor"]
"""penalty(latents [..., B, d_sae], W_enc [..., d_in, d_sae], rho) -> per-model R [...]."""

ACTIVATIONS: tuple[str, ...] = ("relu", "sigmoid", "topk")
KNOBS: tuple[str, ...] = ("lam", "k", "rho")

_PRE = r"W_{enc}^\top (x - b_{dec}) + b_{enc}"
_DECODE = r"\qquad \hat x = W_{dec}^\top f + b_{dec}"
ACTIVATION_LATEX: dict[str, str] = {
    "relu": rf"f = \mathrm{{ReLU}}\big({_PRE}\big), {_DECODE}",
    "sigmoid": rf"f = \sigma\big({_PRE}\big), {_DECODE}",
    "topk": rf"f = \mathrm{{TopK}}_k\Big(\mathrm{{ReLU}}\big({_PRE}\big)\Big), {_DECODE}",
}
"""The model's formula for each activation (the Learn page shows it above the penalty)."""


@dataclass(frozen=True, kw_only=True)
class Method:
    """One sparsity mechanism.

    ``activation`` is ``"relu"``, ``"sigmoid"`` or ``"topk"`` (the k largest ReLU outputs).
    ``knobs`` are the SAEConfig fields the method reads among λ (``lam``), ``k`` and ``rho``: a knob
    it does not read changes nothing, so forms disable it, links omit it, tables leave it blank.
    ``fast_step``: the hand-written NumPy step computes its exact gradients (untied weights).
    ``dead_remedy``: the remedy for dead latents that fits it (``"auxk"`` trains dead latents on
    the residual; ``"resample"`` re-points them). ``saelens``: the SAELens architecture it exports
    to, None where SAELens has none. ``objective_latex``: the objective, where it is not the
    usual ``‖x − x̂‖² + λ·R`` per-sample mean (KL's R is a batch statistic). ``lam_sets_l0``:
    raising λ zeroes more codes (L1), so "raise / lower λ" is sound advice for dense or dead codes.
    """

    name: str
    label: str  # one line for select boxes: what it is and what it does
    activation: str
    penalty: PenaltyFn
    penalty_latex: str
    note: str  # the Learn page's paragraph: why the method behaves as it does
    knobs: frozenset[str] = frozenset()
    lam_help: str = "Weight of the penalty R."
    fast_step: bool = False
    # R and ∂R/∂f in NumPy for the hand-written step (penalties.py); needed when fast_step
    numpy_penalty: penalties.NumpyPenaltyFn | None = None
    dead_remedy: str = "resample"
    saelens: str | None = None
    objective_latex: str | None = None
    lam_sets_l0: bool = False
    defaults: dict[str, Any] = field(default_factory=dict)  # config values it starts from

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation={self.activation!r}: choose one of {ACTIVATIONS}")
        unknown = set(self.knobs) - set(KNOBS)
        if unknown:
            raise ValueError(f"unknown knob(s) {sorted(unknown)}: choose from {KNOBS}")

    @property
    def title(self) -> str:
        """The label's name, before its colon (``TopK``, ``L1``), for messages."""
        return self.label.split(":", 1)[0]

    @property
    def uses_lam(self) -> bool:
        return "lam" in self.knobs

    @property
    def uses_k(self) -> bool:
        return "k" in self.knobs

    @property
    def uses_rho(self) -> bool:
        return "rho" in self.knobs

    @property
    def lam_idle_reason(self) -> str | None:
        """Why λ is disabled for this method, or None when λ matters."""
        if self.uses_lam:
            return None
        if self.uses_k:
            return f"λ does nothing with {self.title}: k sets the sparsity."
        return f"λ does nothing here: {self.title} has no penalty."

    def sparsity_knob(self, lam: float, k: int | None) -> str:
        """What sets the sparsity, for captions: ``k = 8``, ``λ = 0.1`` or ``no penalty``."""
        if self.uses_k:
            return f"k = {k}"
        return f"λ = {lam:.3g}" if self.uses_lam else "no penalty"


_REGISTRY: dict[str, Method] = {}


def register(method: Method) -> Method:
    """Add ``method`` to the registry (a name already there is replaced); returns it."""
    _REGISTRY[method.name] = method
    return method


def unregister(name: str) -> None:
    """Remove a method (tests that register a toy method clean up with this)."""
    _REGISTRY.pop(name, None)


def get(name: str) -> Method:
    """The method called ``name``; KeyError names the known ones."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown method {name!r}: choose one of {', '.join(_REGISTRY)}") from None


def names() -> tuple[str, ...]:
    """Registered method names, in registration order (the order forms list them)."""
    return tuple(_REGISTRY)


def all_methods() -> Iterator[Method]:
    return iter(tuple(_REGISTRY.values()))


def with_knob(knob: str) -> tuple[str, ...]:
    """Names of the methods that read ``knob`` (``"lam"``, ``"k"``, ``"rho"``)."""
    return tuple(m.name for m in _REGISTRY.values() if knob in m.knobs)


NONE = register(
    Method(
        name="none",
        label="none: plain autoencoder (no sparsity)",
        activation="relu",
        penalty=lambda f, W, rho: penalties.zero_penalty(f),
        penalty_latex=r"R = 0",
        note="No penalty: the plain autoencoder. Wide enough, it copies its input through dense "
        "codes. The baseline that shows what sparsity costs and what it buys.",
        fast_step=True,
        numpy_penalty=penalties.zero_penalty_numpy,
        saelens="standard",
    )
)
L1 = register(
    Method(
        name="l1",
        label="L1: ReLU + λ Σ|f|  (zeros, with shrinkage)",
        activation="relu",
        penalty=lambda f, W, rho: penalties.l1_penalty(f),
        penalty_latex=r"R(f) = \sum_j |f_j|",
        note="Every unit of activation costs λ, so a latent fires only where it lowers the squared "
        "error by more than that: many codes are exactly zero. The same price also shrinks the "
        "codes that do fire, so reconstructions come out too small (γ < 1): shrinkage.",
        knobs=frozenset({"lam"}),
        lam_sets_l0=True,
        fast_step=True,
        numpy_penalty=penalties.l1_penalty_numpy,
        saelens="standard",
    )
)
L2 = register(
    Method(
        name="l2",
        label="L2: ReLU + λ Σ f²  (shrinks, few zeros)",
        activation="relu",
        penalty=lambda f, W, rho: penalties.l2_penalty(f),
        penalty_latex=r"R(f) = \sum_j f_j^2",
        note="The squared penalty's gradient 2λf vanishes as f → 0, so small activations are "
        "almost free: codes shrink but rarely reach zero, and L0 barely moves. This is the source "
        "article's 'L2 sparsity': shrinkage, not sparsity.",
        knobs=frozenset({"lam"}),
        fast_step=True,
        numpy_penalty=penalties.l2_penalty_numpy,
        saelens="standard",
    )
)
KL = register(
    Method(
        name="kl",
        label="KL: sigmoid + β KL(ρ‖ρ̂)  (UFLDL)",
        activation="sigmoid",
        penalty=lambda f, W, rho: penalties.kl_penalty(f, rho),
        penalty_latex=r"R(f) = \sum_j \rho\log\frac{\rho}{\hat\rho_j} + (1-\rho)"
        r"\log\frac{1-\rho}{1-\hat\rho_j},\ \hat\rho_j = \tfrac{1}{B}\sum_b f_{bj}",
        note="UFLDL's sparse autoencoder: each latent's mean activation over the batch, ρ̂_j, is "
        "pulled towards a small target ρ, with β = λ weighting the term. A sigmoid is never "
        "exactly zero, so L0 counts every latent: judge sparsity from the activation histogram "
        "and ρ̂ vs ρ.",
        knobs=frozenset({"lam", "rho"}),
        lam_help="λ is UFLDL's β: the weight of the KL term.",
        objective_latex=r"\mathcal{L} = \frac{1}{B}\sum_{b=1}^{B} \lVert x_b - \hat x_b \rVert^2"
        r" + \beta\, R\quad(\beta = \lambda;\ R\ \text{uses the batch mean}\ \hat\rho)",
    )
)
CONTRACTIVE = register(
    Method(
        name="contractive",
        label="contractive: sigmoid + λ‖∂f/∂x‖²  (smooth, not sparse)",
        activation="sigmoid",
        penalty=lambda f, W, rho: penalties.contractive_penalty(f, W),
        penalty_latex=r"R(f) = \|\partial f/\partial x\|_F^2 = \sum_j \big(f_j(1-f_j)\big)^2\,"
        r"\|W_{enc}[:,j]\|^2",
        note="Rifai et al. (2011) penalise how much the codes move when the input moves (the "
        "Jacobian's Frobenius norm). Units saturate and codes become insensitive, not sparse: "
        "with a sigmoid, L0 stays at d_sae.",
        knobs=frozenset({"lam"}),
        lam_help="Weight of the Jacobian penalty ‖∂f/∂x‖²_F.",
    )
)
TOPK = register(
    Method(
        name="topk",
        label="TopK: keep the k largest  (L0 ≤ k exactly)",
        activation="topk",
        penalty=lambda f, W, rho: penalties.zero_penalty(f),
        penalty_latex=r"R = 0,\ \ f = \mathrm{TopK}_k(\mathrm{ReLU}(\cdot))\ \Rightarrow\ L_0 \le k",
        note="Makhzani & Frey (2013), Gao et al. (2024): keep the k largest activations of each "
        "sample and zero the rest. L0 ≤ k exactly with no penalty, so λ plays no part and codes "
        "are not shrunk (γ ≈ 1). Latents that never win go dead; the AuxK remedy trains them on "
        "the residual.",
        knobs=frozenset({"k"}),
        fast_step=True,
        numpy_penalty=penalties.zero_penalty_numpy,
        dead_remedy="auxk",
        saelens="topk",
    )
)
