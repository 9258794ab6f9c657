"""The Learn page's content: each method and metric with its formula, and the λ conventions.

Formulas come from :data:`sae_core.penalties.PENALTY_LATEX` and
:data:`sae_core.analysis.metrics.METRIC_LATEX`, so the page says exactly what the code computes.
"""

from __future__ import annotations

import streamlit as st

from sae_core.analysis.metrics import METRIC_LATEX
from sae_core.config import METHODS
from sae_core.penalties import PENALTY_LATEX
from sae_core.ui.config_form import METHOD_LABELS
from sae_core.ui.metrics_panel import (
    KL_OBJECTIVE_LATEX,
    OBJECTIVE_LATEX,
    TIED_WEIGHT_DECAY_LATEX,
    WEIGHT_DECAY_LATEX,
)

_PRE = r"W_{enc}^\top (x - b_{dec}) + b_{enc}"
ACTIVATION_LATEX: dict[str, str] = {
    "relu": rf"f = \mathrm{{ReLU}}\big({_PRE}\big), \qquad \hat x = W_{{dec}}^\top f + b_{{dec}}",
    "sigmoid": rf"f = \sigma\big({_PRE}\big), \qquad \hat x = W_{{dec}}^\top f + b_{{dec}}",
    "topk": rf"f = \mathrm{{TopK}}_k\Big(\mathrm{{ReLU}}\big({_PRE}\big)\Big), \qquad "
    r"\hat x = W_{dec}^\top f + b_{dec}",
}
METHOD_ACTIVATION = {"kl": "sigmoid", "contractive": "sigmoid", "topk": "topk"}

METHOD_NOTES: dict[str, str] = {
    "none": "No penalty: the plain autoencoder. Wide enough, it copies its input through dense "
    "codes. The baseline that shows what sparsity costs and what it buys.",
    "l1": "Every unit of activation costs λ, so a latent fires only where it lowers the squared "
    "error by more than that: many codes are exactly zero. The same price also shrinks the codes "
    "that do fire, so reconstructions come out too small (γ < 1): shrinkage.",
    "l2": "The squared penalty's gradient 2λf vanishes as f → 0, so small activations are almost "
    "free: codes shrink but rarely reach zero, and L0 barely moves. This is the source article's "
    "'L2 sparsity': shrinkage, not sparsity.",
    "kl": "UFLDL's sparse autoencoder: each latent's mean activation over the batch, ρ̂_j, is "
    "pulled towards a small target ρ, with β = λ weighting the term. A sigmoid is never exactly "
    "zero, so L0 counts every latent: judge sparsity from the activation histogram and ρ̂ vs ρ.",
    "contractive": "Rifai et al. (2011) penalise how much the codes move when the input moves "
    "(the Jacobian's Frobenius norm). Units saturate and codes become insensitive, not sparse: "
    "with a sigmoid, L0 stays at d_sae.",
    "topk": "Makhzani & Frey (2013), Gao et al. (2024): keep the k largest activations of each "
    "sample and zero the rest. L0 ≤ k exactly with no penalty, so λ plays no part and codes are "
    "not shrunk (γ ≈ 1). Latents that never win go dead; the AuxK remedy trains them on the "
    "residual.",
}

METRIC_NOTES: dict[str, tuple[str, str]] = {
    "mse": (
        "MSE",
        "Squared error per element on held-out samples, in model units (after preprocessing).",
    ),
    "fve": (
        "FVE",
        "Share of the held-out variance the reconstruction explains: 1 is perfect, "
        "0 is no better than predicting the mean x̄.",
    ),
    "fvu": (
        "FVU",
        "What is left unexplained: the vertical axis of the sparsity–fidelity frontier.",
    ),
    "l0": ("L0", "How many latents are active per sample, on average: the sparsity itself."),
    "firing_frequency": (
        "Firing frequency",
        "How often latent j fires; the histogram shows "
        "log10(p_j + 1e-10), so dead latents sit at −10.",
    ),
    "dead_fraction": (
        "Dead latents",
        "Latents that never fire on the held-out split: wasted capacity. The Train page's "
        "curve 'not fired in the last N steps' is another count (training batches, a window "
        "of N steps): it stays 0 for the first N steps and can miss latents dead here.",
    ),
    "dense_fraction": (
        "Dense latents",
        "Latents firing on more than half the samples: rarely a feature, often a bias in disguise.",
    ),
    "gamma": (
        "γ (shrinkage)",
        "Relative reconstruction bias: 1 when reconstructions have the "
        "right size, below 1 when codes are shrunk (L1).",
    ),
    "norm_ratio": (
        "Norm ratio",
        "Mean reconstruction norm over mean input norm: a second view of shrinkage.",
    ),
    "mmcs": (
        "MMCS",
        "Synthetic data: for each true feature, the best cosine with any decoder atom, averaged.",
    ),
    "mcc": (
        "MCC",
        "Synthetic data: the same, but one-to-one (Hungarian matching), so one atom "
        "cannot stand in for two features.",
    ),
    "recovered": (
        "Recovered",
        "Synthetic data: true features that some atom matches at cosine ≥ 0.9.",
    ),
    "probe_accuracy": (
        "Probe accuracy",
        "Labelled data: a logistic-regression probe trained on "
        "the codes, scored on held-out codes. Does sparsity keep the class?",
    ),
    "probe_accuracy_input": (
        "Probe accuracy (inputs)",
        "The same probe on the raw inputs, for comparison.",
    ),
}

KERAS_LATEX = (
    r"\mathcal{L}_{\mathrm{Keras}} = \frac{1}{B}\sum_b \frac{1}{d_{\mathrm{in}}}"
    r"\lVert x_b - \hat x_b \rVert^2 + \lambda_{\mathrm{Keras}}\,\frac{1}{B}\sum_b \sum_j |f_{bj}|"
    r" = \frac{1}{d_{\mathrm{in}}}\,\mathcal{L}\big|_{\lambda = d_{\mathrm{in}}\lambda_{\mathrm{Keras}}}"
)
SAELENS_LATEX = (
    r"\mathcal{L}_{\mathrm{SAELens}} = \frac{1}{B}\sum_b \lVert x_b - \hat x_b \rVert^2"
    r" + c\,\frac{1}{B}\sum_b \sum_j |f_{bj}|\,\lVert W_{dec,j} \rVert"
    r"\quad\Rightarrow\quad \lambda = c\ \text{ when every } \lVert W_{dec,j} \rVert = 1"
)
TIED_TEXT = (
    "The weight-decay term (Advanced: weight decay λ_w) is added only when λ_w > 0. With tied "
    "weights there is one matrix, W_enc = W_decᵀ, and it is counted once:"
)
CONVENTION_TEXT = (
    "**Ours.** The squared error is summed over a sample's d_in inputs and the penalty over its "
    "d_sae latents; both are then averaged over the batch. So λ is the price of one unit of "
    "R(f) per sample, measured in squared-error units of one sample, whatever the batch size."
)
KERAS_TEXT = (
    "**Keras** (`loss='mse'`, `activity_regularizer=regularizers.L1(λ_Keras)`): Keras divides "
    "the activity penalty by the batch size, as we do, but its `mse` also averages over the "
    "d_in inputs. Multiplying its loss by d_in gives ours, and Adam's steps do not change when a "
    "loss is scaled (up to its ε), so **λ = d_in · λ_Keras**: λ_Keras = 1e-4 on MNIST "
    "(d_in = 784) is λ ≈ 0.078 here. The same holds for `regularizers.L2` and our L2. With "
    "`binary_crossentropy` there is no exact match, and a `kernel_regularizer` penalises weights "
    "(our weight decay), not activity."
)
SAELENS_TEXT = (
    "**SAELens** (standard ReLU SAE): the squared error is summed over d_in and averaged over the "
    "batch, like ours, and its `l1_coefficient` c multiplies each |f_j| weighted by its decoder "
    "row's norm. With *Unit-norm decoder rows* (Advanced) the weights are 1 and **λ = c** "
    "exactly; without, the two penalties differ (ours can be dodged with small codes and long "
    "atoms, SAELens's cannot). If SAELens normalises activations (x scaled by s), c on the scaled "
    "data equals λ = c / s on the original data. OpenAI's code divides L1 by ‖x‖, so its λ is not "
    "comparable."
)


def render_methods() -> None:
    """Each method: its activation and penalty (two ``st.latex``) and what it does."""
    for method in METHODS:
        with st.expander(METHOD_LABELS[method], expanded=method == "l1"):
            st.latex(ACTIVATION_LATEX[METHOD_ACTIVATION.get(method, "relu")])
            st.latex(PENALTY_LATEX[method])
            st.markdown(METHOD_NOTES[method])


def render_objective() -> None:
    """The loss every penalty method minimises, and the λ conventions of Keras and SAELens."""
    st.latex(OBJECTIVE_LATEX + WEIGHT_DECAY_LATEX)
    st.caption(TIED_TEXT)
    st.latex(TIED_WEIGHT_DECAY_LATEX)
    st.latex(KL_OBJECTIVE_LATEX)
    st.markdown(CONVENTION_TEXT)
    st.markdown(KERAS_TEXT)
    st.latex(KERAS_LATEX)
    st.markdown(SAELENS_TEXT)
    st.latex(SAELENS_LATEX)


def render_metric_notes() -> None:
    """Each metric: its name, formula and one line on what it tells."""
    for key, (label, note) in METRIC_NOTES.items():
        st.markdown(f"**{label}**: {note}")
        st.latex(METRIC_LATEX[key])
