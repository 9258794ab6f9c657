"""What a method entry declares: :class:`Method`, its extra parameters and the context its loss
hooks see (the registry itself is :mod:`sae_core.methods.registry`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sae_core import penalties

if TYPE_CHECKING:
    from torch import Tensor

PenaltyFn = Callable[["Tensor", "Tensor", float], "Tensor"]
"""penalty(latents [..., B, d_sae], W_enc [..., d_in, d_sae], rho) -> per-model R [...]."""

EncoderFn = Callable[["Tensor", Mapping[str, "Tensor"], Any, bool], "Tensor"]
"""encoder(pre_acts [..., B, d_sae], params {name: [..., d_sae]}, cfg, training) -> latents
[..., B, d_sae]: replaces the activation for methods with their own encoder. ``params`` holds the
method's extra parameters and ``b_enc`` (Gated's magnitude path subtracts it again)."""

ReconLossFn = Callable[["PenaltyContext"], "Tensor"]
"""recon_loss(context) -> per-model reconstruction term [...] that training minimises in place of
‖x − x̂‖² (Matryoshka: every prefix's error; Gated: plus the frozen-decoder gate term)."""

ContextPenaltyFn = Callable[["PenaltyContext"], "Tensor"]
"""penalty(context) -> per-model R [...], for penalties that need more than latents and W_enc."""

StateUpdateFn = Callable[[Mapping[str, "Tensor"], "Tensor", Any], None]
"""update(extra params {name: [N, d_sae]}, training latents [N, B, d_sae], cfg): writes the
method's non-gradient parameters in place after each optimiser step."""

ACTIVATIONS: tuple[str, ...] = ("relu", "sigmoid", "topk", "jumprelu", "batchtopk", "gated")
KNOBS: tuple[str, ...] = (
    "lam",
    "k",
    "rho",
    "target_l0",
    "jumprelu_bandwidth",
    "matryoshka_prefixes",
)

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
    "gated": r"\pi = W_{gate}^\top (x - b_{dec}) + b_{gate},\quad "
    r"\mu = \big(e^{r_{mag}} \odot W_{gate}\big)^\top (x - b_{dec}) + b_{mag},\quad "
    rf"f = \mathbb{{1}}[\pi > 0] \odot \mathrm{{ReLU}}(\mu), {_DECODE}",
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
    b_dec: Tensor | None = None  # [..., d_in]: for reconstruction terms of their own


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
    ``l1_penalty``: R is Σ_j |f_j|, so it may be scaled by the decoder norms
    (``SAEConfig.decoder_norm_penalty``: R = Σ_j f_j ‖W_dec[j]‖, SAELens's ``standard``).
    ``saelens_names``: our tensor names that SAELens's architecture calls otherwise
    (``{"b_enc": "b_gate"}``). ``unit_norm_decoder``: the method always keeps decoder rows at
    unit norm, whatever the config says (Gated: its penalty is invariant to rescaling an atom and
    its code, and under Adam the atoms then drift to 0 while π blows up).

    Methods with their own parameters, encoder and loss declare them here too (JumpReLU,
    BatchTopK): ``extra_params`` (per-latent tensors that live in the model, the trainer's flat
    buffer and the saved weights), ``encoder`` (replaces the activation; told whether it runs in
    training), ``context_penalty`` (R from a :class:`PenaltyContext`, in place of ``penalty``) and
    ``update_state`` (writes non-gradient parameters after each optimiser step). Such methods
    train with the autograd engine (``fast_step`` False). ``recon_loss`` replaces the
    reconstruction term that training minimises (the reported MSE stays ‖x − x̂‖²).
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
    # its inference encoder differs from the training one (BatchTopK: a batch top-k·B in training,
    # a learned threshold at inference), so its training and held-out L0 are reported apart
    inference_differs: bool = False
    recon_loss: ReconLossFn | None = None
    l1_penalty: bool = False
    unit_norm_decoder: bool = False  # always renormalise decoder rows after each step (Gated)
    saelens_names: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation={self.activation!r}: choose one of {ACTIVATIONS}")
        unknown = set(self.knobs) - set(KNOBS)
        if unknown:
            raise ValueError(f"unknown knob(s) {sorted(unknown)}: choose from {KNOBS}")
        own = (
            self.extra_params
            or self.encoder
            or self.context_penalty
            or self.update_state
            or self.recon_loss
        )
        if self.fast_step and own:
            raise ValueError(
                f"method {self.name!r}: the NumPy step knows only the four weights and the plain "
                "activations; a method with its own parameters, encoder or loss sets fast_step=False"
            )
        if self.activation in ("jumprelu", "batchtopk", "gated") and self.encoder is None:
            raise ValueError(
                f"method {self.name!r}: activation {self.activation!r} needs an encoder"
            )

    @property
    def extra_names(self) -> tuple[str, ...]:
        """Names of the method's extra per-latent parameters (``("threshold",)``)."""
        return tuple(p.name for p in self.extra_params)

    def compute_penalty(self, context: PenaltyContext) -> Tensor:
        """R per model [...]: the context penalty where declared, else ``penalty(latents, W_enc,
        rho)``; an L1 penalty weighted by the decoder norms where the config asks for it."""
        if self.context_penalty is not None:
            return self.context_penalty(context)
        if self.l1_penalty and getattr(context.cfg, "decoder_norm_penalty", False):
            norms = context.W_dec.norm(dim=-1).unsqueeze(-2)  # [..., 1, d_sae]
            return penalties.l1_penalty(context.latents * norms)
        return self.penalty(context.latents, context.W_enc, context.cfg.rho)

    def compute_recon(self, context: PenaltyContext, plain: Tensor) -> Tensor:
        """The reconstruction term training minimises [...]: ``recon_loss`` where declared, else
        ``plain`` (‖x − x̂‖², batch mean)."""
        return plain if self.recon_loss is None else self.recon_loss(context)

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
    def target_l0_via(self) -> str | None:
        """How a target L0 (SAEConfig.target_l0) is met, one of TARGET_L0_VIA or None: ``"k"``
        (the TopK family: k = round(target)), ``"own"`` (the method's loss reads it: JumpReLU's
        quadratic pull), ``"lam"`` (a λ controller, :mod:`sae_core.training.lam_control`, moves
        λ until the running L0 settles there), None (no sparsity knob: a target means nothing)."""
        if self.uses_k:
            return "k"
        if self.uses_target_l0:
            return "own"
        return "lam" if self.uses_lam else None

    @property
    def takes_target_l0(self) -> bool:
        """Whether a target L0 sets this method's sparsity (by any of TARGET_L0_VIA)."""
        return self.target_l0_via is not None

    @property
    def lam_controlled(self) -> bool:
        """Whether a target L0 is met by the λ controller (λ then varies during training)."""
        return self.target_l0_via == "lam"

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
        if self.takes_target_l0 and target_l0 is not None:
            return f"target L0 = {target_l0:g} (λ = {lam:.3g})"
        return f"λ = {lam:.3g}" if self.uses_lam else "no penalty"
