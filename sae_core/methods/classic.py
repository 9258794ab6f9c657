"""The classic methods: none, L1, L2, KL (UFLDL), contractive, TopK."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sae_core import penalties
from sae_core.methods.registry import register
from sae_core.methods.spec import Method

if TYPE_CHECKING:
    pass

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
        "codes that do fire, so reconstructions come out too small (γ < 1): shrinkage. Without "
        "unit-norm atoms the price can be dodged: halve f_j, double the atom W_dec[j], same x̂ "
        "and half the penalty, so the model shrinks its codes and grows its decoder. The Advanced "
        "option 'penalty × decoder norm' (SAELens's standard SAE) charges f_j ‖W_dec[j]‖ instead, "
        "which that rescaling leaves unchanged. Measured on the synthetic data (λ = 0.1, d_sae "
        "128, 20 epochs): plain L1 grows its atoms to mean norm 2.7 while active codes fall to "
        "0.03 (L0 34, MMCS 0.79); with the option, L0 18 and MMCS 0.97.",
        knobs=frozenset({"lam"}),
        lam_sets_l0=True,
        fast_step=True,
        numpy_penalty=penalties.l1_penalty_numpy,
        saelens="standard",
        l1_penalty=True,
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
