"""The field's current SAEs: JumpReLU, BatchTopK, Matryoshka BatchTopK, Gated
(SAE_NOTES.md, "The field's current SAEs")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sae_core import penalties
from sae_core.methods.registry import register
from sae_core.methods.spec import ExtraParam, Method, PenaltyContext

if TYPE_CHECKING:
    from torch import Tensor

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
        inference_differs=True,
    )
)


# --- Matryoshka BatchTopK and Gated (maths in sae_core.encoders: torch, imported late)


def matryoshka_prefixes(d_sae: int, given: tuple[int, ...] | None = None) -> tuple[int, ...]:
    """Matryoshka's nested prefix sizes m_1 < … < m_P = d_sae: ``given`` (SAEConfig's
    ``matryoshka_prefixes``, validated there), else d_sae/8, d_sae/4, d_sae/2, d_sae."""
    if given:
        return tuple(given)
    return tuple(sorted({max(1, d_sae // n) for n in (8, 4, 2)} | {d_sae}))


def _matryoshka_recon(context: PenaltyContext) -> Tensor:
    from sae_core import encoders

    if context.b_dec is None:
        raise ValueError("the matryoshka loss needs b_dec in its PenaltyContext")
    cfg = context.cfg
    prefixes = matryoshka_prefixes(cfg.d_sae, cfg.matryoshka_prefixes)
    errors = encoders.prefix_errors(
        context.x, context.latents, context.W_dec, context.b_dec, prefixes
    )
    return errors.mean(0)


def _gated_encoder(pre: Tensor, params: Mapping[str, Tensor], cfg: Any, training: bool) -> Tensor:
    from sae_core import encoders

    return encoders.gated_encoder(pre, params, cfg, training)


def _gated_penalty(context: PenaltyContext) -> Tensor:
    from sae_core import encoders

    return encoders.gated_penalty(context.pre_acts, context.W_dec)


def _gated_recon(context: PenaltyContext) -> Tensor:
    from sae_core import encoders

    if context.b_dec is None:
        raise ValueError("the gated loss needs b_dec in its PenaltyContext")
    return encoders.gated_recon_loss(
        context.x, context.x_hat, context.pre_acts, context.W_dec, context.b_dec
    )


MATRYOSHKA = register(
    Method(
        name="matryoshka",
        label="Matryoshka BatchTopK: nested prefixes each reconstruct  (coarse-to-fine, L0 = k)",
        activation="batchtopk",
        penalty=lambda f, W, rho: penalties.zero_penalty(f),
        penalty_latex=r"R = 0,\ \ \mathcal{L}_{rec} = \frac{1}{P}\sum_{p=1}^{P}"
        r"\big\lVert x - \hat x_{\le m_p}\big\rVert^2,\ \ \hat x_{\le m} = "
        r"\sum_{j \le m} f_j W_{dec}[j] + b_{dec}",
        note="Bussmann et al. (2025): BatchTopK codes, but the loss asks every prefix of the "
        "dictionary (the first m_1 < m_2 < … < d_sae latents; default d_sae/8, /4, /2, all) to "
        "reconstruct the input on its own. Early latents must then carry the coarse, frequent "
        "directions and later ones refine them, which curbs feature absorption: a broad latent "
        "cannot leave its general direction to a later one. The loss is the mean over prefixes "
        "(SAE_NOTES writes the sum: the same direction, one reconstruction's scale). See each "
        "prefix's FVE on Train and the atoms in prefix order on Filters.",
        knobs=frozenset({"k", "matryoshka_prefixes"}),
        dead_remedy="auxk",
        saelens="jumprelu",
        extra_params=BATCHTOPK.extra_params,  # the inference threshold θ
        encoder=_batchtopk_encoder,
        update_state=_update_batchtopk_threshold,
        recon_loss=_matryoshka_recon,
        inference_differs=True,  # batch top-k·B in training, the threshold θ at inference
    )
)
GATED = register(
    Method(
        name="gated",
        label="Gated: a gate picks latents, a magnitude path sizes them  (+ λ·gate L1)",
        activation="gated",
        penalty=lambda f, W, rho: penalties.zero_penalty(f),  # unused: context_penalty
        penalty_latex=r"R = \sum_j \mathrm{ReLU}(\pi_j)\,\lVert W_{dec}[j]\rVert,\ \ "
        r"\mathcal{L} = \lVert x - \hat x\rVert^2 + \lambda R + \big\lVert x - "
        r"\big(\mathrm{ReLU}(\pi)\,\overline{W_{dec}} + \overline{b_{dec}}\big)\big\rVert^2",
        note="Rajamanoharan et al. (2024): L1 shrinks codes because one number decides both "
        "whether a latent fires and how much. A Gated SAE splits the two: the gate π (our "
        "encoder) decides which latents fire and carries the L1 penalty, the magnitude path "
        "μ = (e^{r_mag} ⊙ W_gate)(x − b_dec) + b_mag, sharing the gate's directions, sets the "
        "value unshrunk. The gate's step has no gradient, so an extra term asks ReLU(π) alone to "
        "reconstruct through a frozen copy of the decoder (the overline: no gradient to W_dec or "
        "b_dec). Decoder rows stay at unit norm: free atoms drift to 0 under Adam while π grows. "
        "Compare γ with L1's at the same L0.",
        knobs=frozenset({"lam"}),
        lam_help="Weight of the gate's L1 penalty Σ ReLU(π)‖W_dec‖.",
        lam_sets_l0=True,
        defaults={"lam": 1.0},  # synthetic data: MMCS 0.97 at L0 ≈ 3 (0.1 leaves L0 ≈ 32)
        unit_norm_decoder=True,  # as dictionary_learning's gated trainer (ConstrainedAdam)
        saelens="gated",
        saelens_names={"b_enc": "b_gate"},
        extra_params=(
            ExtraParam(name="r_mag", init=lambda cfg: 0.0),
            ExtraParam(name="b_mag", init=lambda cfg: 0.0),
        ),
        encoder=_gated_encoder,
        context_penalty=_gated_penalty,
        recon_loss=_gated_recon,
    )
)
