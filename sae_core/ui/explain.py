"""The Learn page's content: each method and metric with its formula, and the λ conventions.

Methods (label, formulas, note) come from the method registry (:mod:`sae_core.methods`) and
metric formulas from :data:`sae_core.analysis.metrics.METRIC_LATEX`, so the page says exactly
what the code computes, and lists a newly registered method too. The metric glass box shows
each published FVE and shrinkage definition (:mod:`sae_core.analysis.definitions`) computed on
the shown model.
"""

from __future__ import annotations

import streamlit as st

from sae_core import methods as method_registry
from sae_core.analysis.definitions import (
    FVE_DEFINITIONS,
    SHRINKAGE_DEFINITIONS,
    Definition,
    fve_definitions,
    shrinkage_definitions,
)
from sae_core.analysis.metrics import METRIC_LATEX
from sae_core.config import SAEConfig
from sae_core.ui.metrics_panel import (
    OBJECTIVE_LATEX,
    TIED_WEIGHT_DECAY_LATEX,
    WEIGHT_DECAY_LATEX,
)
from sae_core.ui.state import Current
from sae_core.ui.views import model_caption

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
    "f1": (
        "Per-feature F1",
        "Synthetic data: does each true feature's matched latent fire exactly when the feature "
        "is active? Precision and recall per feature, their harmonic mean, averaged.",
    ),
    "loss_recovered": (
        "Loss recovered",
        "Network activations: how much of the classifier's loss the SAE keeps when its "
        "reconstruction replaces the layer: 1 is as good as the real layer, 0 as bad as zeroing it.",
    ),
    "accuracy_with_sae": (
        "Accuracy with the SAE",
        "Network activations: the classifier's test accuracy with the layer replaced by x̂.",
    ),
    "absorption": (
        "Feature absorption",
        "Hierarchical synthetic data: how often a child feature is active yet its own latent "
        "stays silent while the parent's latent fires and carries the child's direction.",
    ),
    "sparse_probe_accuracy": (
        "Sparse probe accuracy",
        "Labelled data (SAEBench): per class, keep the k latents whose class means differ most, "
        "fit a probe on just those, and report its balanced accuracy averaged over classes.",
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


GLASS_BOX_TEXT = (
    'Papers, leaderboards and libraries all report "explained variance", but not the same '
    "quantity. Below, the current model's held-out reconstructions are scored under each "
    "definition in circulation. Ours (first) is the one every other page shows. Measuring "
    "variance about zero instead of the mean flatters data far from the origin; averaging a ratio "
    "per sample lets samples near the mean dominate; averaging per dimension gives a pixel that "
    "barely varies the same weight as one that carries the digit."
)
NO_MODEL_TEXT = (
    "No model trained yet: train one (Home's quick start or the Train page) to see every "
    "definition's value on its held-out split. Until then, the formulas:"
)
VALUE_FORMAT = {"value": st.column_config.NumberColumn("value", format="%.4f")}


def _render_definitions(definitions: tuple[Definition, ...], values: list[float] | None) -> None:
    """Each definition's name (and value), its formula and its source."""
    for i, definition in enumerate(definitions):
        value = "" if values is None else f" = {values[i]:.4f}"
        st.markdown(f"**{definition.name}**{value}")
        st.latex(definition.latex)
        st.caption(f"Source: {definition.source}")


def render_glass_box(current: Current | None) -> None:
    """Why published FVE numbers disagree: every FVE and shrinkage definition with its formula,
    source and (with a model) its value on the current model's held-out split."""
    st.markdown(GLASS_BOX_TEXT)
    if current is None:
        st.info(NO_MODEL_TEXT)
        _render_definitions(FVE_DEFINITIONS, None)
        st.markdown("**Shrinkage**")
        _render_definitions(SHRINKAGE_DEFINITIONS, None)
        return
    model_caption(current)
    x = current.dataset.x_test
    fve = current.cached("glass_box_fve", lambda: fve_definitions(x, current.x_hat))
    shrink = current.cached("glass_box_shrink", lambda: shrinkage_definitions(x, current.x_hat))
    table = fve[["definition", "value", "source"]]
    st.dataframe(table, hide_index=True, column_config=VALUE_FORMAT, key="learn_fve_table")
    _render_definitions(FVE_DEFINITIONS, fve["value"].tolist())
    st.markdown("**Shrinkage** (below 1: reconstructions too small)")
    st.dataframe(
        shrink[["definition", "value", "source"]],
        hide_index=True,
        column_config=VALUE_FORMAT,
        key="learn_shrink_table",
    )
    _render_definitions(SHRINKAGE_DEFINITIONS, shrink["value"].tolist())
