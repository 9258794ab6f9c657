r"""The method registry: every sparsity mechanism declared once (SAE_NOTES.md, "Sparsity mechanisms").

A :class:`Method` says everything the rest of the program needs to know about a method: its
activation, its penalty R (a pure function from :mod:`sae_core.penalties`) and the formula shown
for it, which knobs it reads (λ, k, ρ, target L0…), whether the hand-written training step
covers it, which dead-latent remedy fits it, and which SAELens architecture it exports to; and,
for methods such as JumpReLU, its own per-latent parameters, encoder, loss and after-step update. Pages, the CLI, runs,
export, the link format and the explanations all look methods up here; none compares method names.
Adding a method is one :func:`register` call (and its tests), as in SAELens's
``register_sae_class``.

Torch-free on purpose (penalties only touch tensor methods; the JumpReLU / BatchTopK maths in
:mod:`sae_core.encoders` is imported when first called), so the CLI parser and configs stay cheap
to import.

over 300 lines: this is the catalogue, one entry per method; keeping every entry in one file is
the point of the registry (a new method is one more entry here and its tests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sae_core import penalties

if TYPE_CHECKING:
    from torch import Tensor

PenaltyFn = Callable[["Tensor", "Tensor", float], "Tensor"]
"""penalty(latents [..., B, d_sae], W_enc [..., d_in, d_sae], rho) -> per-model R [...]."""

EncoderFn = Callable[["Tensor", Mapping[str, "Tensor"], Any, bool], "Tensor"]
"""encoder(pre_acts [..., B, d_sae], extra params {name: [..., d_sae]}, cfg, training) -> latents
[..., B, d_sae]: replaces the activation for methods with their own encoder."""

ContextPenaltyFn = Callable[["PenaltyContext"], "Tensor"]
"""penalty(context) -> per-model R [...], for penalties that need more than latents and W_enc."""

StateUpdateFn = Callable[[Mapping[str, "Tensor"], "Tensor", Any], None]
"""update(extra params {name: [N, d_sae]}, training latents [N, B, d_sae], cfg): writes the
method's non-gradient parameters in place after each optimiser step."""

ACTIVATIONS: tuple[str, ...] = ("relu", "sigmoid", "topk", "jumprelu", "batchtopk")
KNOBS: tuple[str, ...] = ("lam", "k", "rho", "target_l0", "jumprelu_bandwidth")

_PRE = r"W_{enc}^\top (x - b_{dec}) + b_{enc}"
_DECODE = r"\qquad \hat x = W_{dec}^\top f + b_{dec}"
ACTIVATION_LATEX: dict[str, str] = {
    "relu": rf"f = \mathrm{{ReLU}}\big({_PRE}\big), {_DECODE}",
    "sigmoid": rf"f = \sigma\big({_PRE}\big), {_DECODE}",
    "topk": rf"f = \mathrm{{TopK}}_k\Big(\mathrm{{ReLU}}\big({_PRE}\big)\Big), {_DECODE}",
    "jumprelu": rf"z = {_PRE},\quad f_j = z_j\, H(z_j - \theta_j), {_DECODE}",
    "batchtopk": rf"z = \mathrm{{ReLU}}\big({_PRE}\big),\quad f = \begin{{cases}}"
    r"\mathrm{TopK}_{kB}(z)\ \text{over the batch} & \text{training} \\"
    r" z\,\mathbb{1}[z > \theta] & \text{inference}\end{cases}"
    rf"{_DECODE}",
}
"""The model's formula for each activation (the Learn page shows it above the penalty)."""


@dataclass(frozen=True, kw_only=True)
class ExtraParam:
    """A per-latent parameter [d_sae] a method adds to the four weights (JumpReLU's θ).

    ``init(cfg)`` gives every latent's starting value (also the value a resampled latent gets
    back when ``reset_on_resample``). ``trained``: Adam updates it from its gradient; if False it
    is state the method's ``update_state`` writes (its gradient stays 0, so Adam leaves it be).
    """

    name: str
    init: Callable[[Any], float]
    trained: bool = True
    reset_on_resample: bool = True


@dataclass(frozen=True, kw_only=True)
class PenaltyContext:
    """What a penalty may read, one step's tensors (leading model dims ``...`` as elsewhere).

    x, x_hat: [..., B, d_in]; pre_acts, latents: [..., B, d_sae]; W_enc [..., d_in, d_sae];
    W_dec [..., d_sae, d_in]; params: the method's extra parameters {name: [..., d_sae]}.
    """

    x: Tensor
    pre_acts: Tensor
    latents: Tensor
    x_hat: Tensor
    W_enc: Tensor
    W_dec: Tensor
    params: Mapping[str, Tensor]
    cfg: Any  # SAEConfig (not imported: config imports this module)


@dataclass(frozen=True, kw_only=True)
class Method:
    """One sparsity mechanism.

    ``activation`` is ``"relu"``, ``"sigmoid"``, ``"topk"`` (the k largest ReLU outputs), or
    ``"jumprelu"`` / ``"batchtopk"`` (computed by the method's ``encoder``; the name picks the
    formula shown). ``knobs`` are the SAEConfig fields the method reads among KNOBS (λ ``lam``,
    ``k``, ``rho``, ``target_l0``, ``jumprelu_bandwidth``): a knob it does not read changes
    nothing, so forms disable it, links omit it, tables leave it blank.
    ``fast_step``: the hand-written NumPy step computes its exact gradients (untied weights).
    ``dead_remedy``: the remedy for dead latents that fits it (``"auxk"`` trains dead latents on
    the residual; ``"resample"`` re-points them). ``saelens``: the SAELens architecture it exports
    to, None where SAELens has none. ``objective_latex``: the objective, where it is not the
    usual ``‖x − x̂‖² + λ·R`` per-sample mean (KL's R is a batch statistic). ``lam_sets_l0``:
    raising λ zeroes more codes (L1), so "raise / lower λ" is sound advice for dense or dead codes.

    Methods with their own parameters, encoder and loss declare them here too (JumpReLU,
    BatchTopK): ``extra_params`` (per-latent tensors that live in the model, the trainer's flat
    buffer and the saved weights), ``encoder`` (replaces the activation; told whether it runs in
    training), ``context_penalty`` (R from a :class:`PenaltyContext`, in place of ``penalty``) and
    ``update_state`` (writes non-gradient parameters after each optimiser step). Such methods
    train with the autograd engine (``fast_step`` False).
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
    extra_params: tuple[ExtraParam, ...] = ()
    encoder: EncoderFn | None = None
    context_penalty: ContextPenaltyFn | None = None
    update_state: StateUpdateFn | None = None

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation={self.activation!r}: choose one of {ACTIVATIONS}")
        unknown = set(self.knobs) - set(KNOBS)
        if unknown:
            raise ValueError(f"unknown knob(s) {sorted(unknown)}: choose from {KNOBS}")
        own = self.extra_params or self.encoder or self.context_penalty or self.update_state
        if self.fast_step and own:
            raise ValueError(
                f"method {self.name!r}: the NumPy step knows only the four weights and the plain "
                "activations; a method with its own parameters, encoder or loss sets fast_step=False"
            )
        if self.activation in ("jumprelu", "batchtopk") and self.encoder is None:
            raise ValueError(
                f"method {self.name!r}: activation {self.activation!r} needs an encoder"
            )

    @property
    def extra_names(self) -> tuple[str, ...]:
        """Names of the method's extra per-latent parameters (``("threshold",)``)."""
        return tuple(p.name for p in self.extra_params)

    def compute_penalty(self, context: PenaltyContext) -> Tensor:
        """R per model [...]: the context penalty where declared, else ``penalty(latents, W_enc,
        rho)``."""
        if self.context_penalty is not None:
            return self.context_penalty(context)
        return self.penalty(context.latents, context.W_enc, context.cfg.rho)

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
    def uses_target_l0(self) -> bool:
        return "target_l0" in self.knobs

    @property
    def lam_idle_reason(self) -> str | None:
        """Why λ is disabled for this method, or None when λ matters."""
        if self.uses_lam:
            return None
        if self.uses_k:
            return f"λ does nothing with {self.title}: k sets the sparsity."
        return f"λ does nothing here: {self.title} has no penalty."

    def sparsity_knob(self, lam: float, k: int | None, target_l0: float | None = None) -> str:
        """What sets the sparsity, for captions: ``k = 8``, ``λ = 0.1``, ``target L0 = 4 (λ =
        0.1)`` or ``no penalty``."""
        if self.uses_k:
            return f"k = {k}"
        if self.uses_target_l0 and target_l0 is not None:
            return f"target L0 = {target_l0:g} (λ = {lam:.3g})"
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


# --- Methods with their own parameters, encoder and loss. The maths is in sae_core.encoders
# (torch), imported when first called so that importing the registry stays torch-free.

# JumpReLU's θ starts at a small positive value: 0.01 is ~1–5 % of a typical active
# pre-activation on our [0, 1]-scaled data (0.2–1), so at first nearly every positive
# pre-activation passes, as with a ReLU, and the L0 term then raises θ (SAELens starts at 0.001
# on unit-scale residuals). θ is learned directly, not as exp(log θ), which froze under Adam.
JUMPRELU_INIT_THRESHOLD = 0.01
# The default straight-through bandwidth ε (SAEConfig.jumprelu_bandwidth): about 5–25 % of a
# typical active pre-activation on our [0, 1]-scaled data, so each batch puts enough samples in
# θ's window for a steady gradient. Measured on synthetic data (target L0 4, d_sae 128, 20
# epochs): ε = 0.001 (SAELens's default), 0.01, 0.05 and 0.2 all land within 15 % of the target
# with MMCS ≥ 0.98; the choice is not critical here.
JUMPRELU_BANDWIDTH = 0.05


def _jumprelu_encoder(
    pre: Tensor, params: Mapping[str, Tensor], cfg: Any, training: bool
) -> Tensor:
    from sae_core import encoders

    return encoders.jumprelu(pre, params["threshold"], cfg.jumprelu_bandwidth)


def _jumprelu_penalty(context: PenaltyContext) -> Tensor:
    from sae_core import encoders

    return encoders.jumprelu_penalty(context.pre_acts, context.params["threshold"], context.cfg)


def _keep_thresholds_positive(params: Mapping[str, Tensor], latents: Tensor, cfg: Any) -> None:
    from sae_core import encoders

    encoders.keep_thresholds_positive(params, latents, cfg)


def _batchtopk_encoder(
    pre: Tensor, params: Mapping[str, Tensor], cfg: Any, training: bool
) -> Tensor:
    from sae_core import encoders

    return encoders.batchtopk_encoder(pre, params, cfg, training)


def _update_batchtopk_threshold(params: Mapping[str, Tensor], latents: Tensor, cfg: Any) -> None:
    from sae_core import encoders

    encoders.update_batchtopk_threshold(params, latents, cfg)


JUMPRELU = register(
    Method(
        name="jumprelu",
        label=f"JumpReLU: learned threshold per latent + λ·L0 or a target L0  "
        f"(STE bandwidth ε, default {JUMPRELU_BANDWIDTH:g})",
        activation="jumprelu",
        penalty=lambda f, W, rho: penalties.zero_penalty(f),  # unused: context_penalty
        penalty_latex=r"R = \sum_j H(z_j - \theta_j)\ \ (L_0),\ \ \text{or}\ "
        r"R = \big(\overline{L_0}/L_0^{\mathrm{target}} - 1\big)^2;\ \ "
        r"\tfrac{\partial H}{\partial\theta} := -\tfrac{1}{\varepsilon}"
        r"K\big(\tfrac{z-\theta}{\varepsilon}\big),\ K(u) = \mathbb{1}[|u| < \tfrac12]",
        note="Rajamanoharan et al. (2024), Gemma Scope: each latent passes its pre-activation "
        "unchanged once it clears a learned threshold θ_j, and is 0 below it. Codes above θ are "
        "not shrunk (no L1), and sparsity is paid for directly in L0. The step has no gradient, "
        "so θ learns from a straight-through pseudo-derivative: pre-activations within ε/2 of θ "
        "(the bandwidth ε, shown with the model) say whether raising θ helps the reconstruction "
        "more than it costs in L0. θ is learned directly (SAELens's log-parametrised θ froze "
        "under Adam). Set a target L0 and λ weights a quadratic pull toward it instead.",
        knobs=frozenset({"lam", "target_l0", "jumprelu_bandwidth"}),
        lam_help="Weight of the L0 penalty, or of the pull toward the target L0 when one is set.",
        lam_sets_l0=True,
        saelens="jumprelu",
        extra_params=(ExtraParam(name="threshold", init=lambda cfg: JUMPRELU_INIT_THRESHOLD),),
        encoder=_jumprelu_encoder,
        context_penalty=_jumprelu_penalty,
        update_state=_keep_thresholds_positive,
    )
)
BATCHTOPK = register(
    Method(
        name="batchtopk",
        label="BatchTopK: the k·B largest of the batch  (mean L0 = k)",
        activation="batchtopk",
        penalty=lambda f, W, rho: penalties.zero_penalty(f),
        penalty_latex=r"R = 0,\ \ \text{training: } \mathrm{TopK}_{kB}\ \text{over the batch}"
        r"\ \Rightarrow\ \overline{L_0} = k;\ \ \theta \leftarrow \beta\theta + (1-\beta)"
        r"\min_{f_{bj} > 0} f_{bj}",
        note="Bussmann et al. (2024): TopK over the whole batch instead of each sample, so a "
        "hard sample may use many latents and an easy one few, while the batch's mean L0 is "
        "exactly k. A sample's code then depends on its batch-mates, so inference uses one "
        "threshold θ instead, the running mean of the smallest activation kept in training "
        "(dictionary_learning): f = z·1[z > θ], a JumpReLU with a shared θ. Compare the "
        "training curves' batch L0 (k) with the held-out L0 from θ.",
        knobs=frozenset({"k"}),
        dead_remedy="auxk",
        saelens="jumprelu",
        extra_params=(
            ExtraParam(
                name="threshold",
                init=lambda cfg: -1.0,  # encoders.UNSET_THRESHOLD: set by the first batch
                trained=False,
                reset_on_resample=False,
            ),
        ),
        encoder=_batchtopk_encoder,
        update_state=_update_batchtopk_threshold,
    )
)
