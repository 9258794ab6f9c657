"""The Learn page's content: each method and metric with its formula, and the λ conventions.

Methods (label, formulas, note) come from the method registry (:mod:`sae_core.methods`) and
metric formulas from :data:`sae_core.analysis.metrics.METRIC_LATEX`, so the page says exactly
what the code computes, and lists a newly registered method too.
"""

from __future__ import annotations

import streamlit as st

from sae_core import methods as method_registry
from sae_core.analysis.metrics import METRIC_LATEX
from sae_core.config import SAEConfig
from sae_core.ui.metrics_panel import (
    OBJECTIVE_LATEX,
    TIED_WEIGHT_DECAY_LATEX,
    WEIGHT_DECAY_LATEX,
)

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
    """Each registered method: its activation and penalty (two ``st.latex``) and what it does;
    the default method's entry starts open."""
    for method in method_registry.all_methods():
        with st.expander(method.label, expanded=method.name == SAEConfig.method):
            st.latex(method_registry.ACTIVATION_LATEX[method.activation])
            st.latex(method.penalty_latex)
            st.markdown(method.note)


def render_objective() -> None:
    """The loss every penalty method minimises, and the λ conventions of Keras and SAELens."""
    st.latex(OBJECTIVE_LATEX + WEIGHT_DECAY_LATEX)
    st.caption(TIED_TEXT)
    st.latex(TIED_WEIGHT_DECAY_LATEX)
    for method in method_registry.all_methods():  # methods whose objective differs (KL)
        if method.objective_latex:
            st.latex(method.objective_latex)
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
