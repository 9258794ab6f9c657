"""The final metrics of the shown model, each beside its formula, and the objective it minimised."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from sae_core import methods
from sae_core.analysis.metrics import METRIC_LATEX, EvalMetrics
from sae_core.analysis.prefixes import compute_prefix_fve, model_prefixes
from sae_core.analysis.recovery import sparsity_advice
from sae_core.config import SAEConfig
from sae_core.ui.state import Current
from sae_core.ui.views import fmt, negative_fve_hint, undefined_fve_hint

OBJECTIVE_LATEX = (
    r"\mathcal{L} = \frac{1}{B}\sum_{b=1}^{B} \lVert x_b - \hat x_b \rVert^2"
    r" + \lambda\,\frac{1}{B}\sum_{b=1}^{B} R\big(f(x_b)\big)"
)
WEIGHT_DECAY_LATEX = r"\;+\;\lambda_w\big(\lVert W_{enc}\rVert_F^2 + \lVert W_{dec}\rVert_F^2\big)"
# Tied weights share one matrix (W_enc = W_decᵀ), and training counts it once (sae_core/training/weight_decay.py).
TIED_WEIGHT_DECAY_LATEX = (
    r"\;+\;\lambda_w \lVert W_{dec}\rVert_F^2\quad(\text{tied: } W_{enc} = W_{dec}^\top"
    r"\text{, counted once})"
)
LAM_CONVENTION = (
    "λ convention: the squared error is summed over the d_in inputs of a sample and the penalty "
    "over its d_sae latents (per-sample sums); both are then averaged over the batch. Keras also "
    "divides its activity penalty by the batch size, but its 'mse' loss averages over d_in, so a "
    "Keras λ is ours divided by d_in. SAELens sums the MSE over d_in like us. OpenAI's code "
    "divides L1 by ‖x‖, so its λ is not comparable."
)


WIDE = frozenset(
    {
        "probe_accuracy",
        "probe_accuracy_input",
        "sparse_probe_accuracy",
        "mmcs",
        "mcc",
        "recovered",
        "f1",
        "absorption",
    }
)
"""Metrics whose formulas need a wider cell (drawn two per row instead of three)."""


@dataclass(frozen=True)
class MetricRow:
    key: str
    label: str
    value: str
    help: str


DEAD_HELP = (
    "p_j = 0: never fire on the held-out test split. The training curve 'not fired in the last "
    "N steps' counts training batches instead, so it can read 0 while latents here are dead."
)


F1_HELP = "does each true feature's matched latent fire exactly when it does? (Ground truth)"
ABSORPTION_HELP = "child features whose firing the parent's latent takes over (Ground truth)"
SPARSE_HELP = (
    "SAEBench sparse probing: per class, the k latents whose class mean differs most from the "
    "rest; a one-vs-rest logistic regression on just those; balanced test accuracy (chance "
    "50%), averaged over classes. Compare with the dense probe on all latents."
)


SPLICE_HELP = (
    "x̂ spliced into the classifier in place of the layer: 1 = as good as the real layer, "
    "0 = no better than zeroing it"
)


def _pct(value: float) -> str:
    return fmt(100 * value, "{:.1f}%")


def metric_rows(metrics: EvalMetrics) -> list[MetricRow]:
    """The metrics this model has (probes with labels, recovery with ground truth), formatted."""
    rows = [
        MetricRow("fve", "FVE (variance explained)", fmt(metrics.fve, "{:.4f}"), "1 is perfect"),
        MetricRow("fvu", "FVU (unexplained)", fmt(metrics.fvu, "{:.4f}"), "0 is perfect"),
        MetricRow("mse", "MSE (per element)", fmt(metrics.mse, "{:.4g}"), "in model units"),
        MetricRow("l0", "L0 (active latents)", fmt(metrics.l0, "{:.2f}"), "mean over test samples"),
        MetricRow(
            "dead_fraction",
            "Dead latents",
            _pct(metrics.dead_fraction),
            DEAD_HELP,
        ),
        MetricRow(
            "dense_fraction",
            "Dense latents",
            _pct(metrics.dense_fraction),
            "fire on more than half the samples",
        ),
        MetricRow("gamma", "γ (shrinkage)", fmt(metrics.gamma), "< 1: codes shrunk"),
        MetricRow(
            "norm_ratio",
            "Norm ratio E‖x̂‖ / E‖x‖",
            fmt(metrics.norm_ratio),
            "mean reconstruction norm over mean input norm (< 1: shrunk)",
        ),
    ]
    if metrics.loss_recovered is not None:  # a network's activations: splice x̂ back in
        rows[2:2] = [
            MetricRow("loss_recovered", "Loss recovered", fmt(metrics.loss_recovered), SPLICE_HELP),
            MetricRow(
                "accuracy_with_sae",
                "Accuracy with the SAE",
                _pct(metrics.accuracy_with_sae or 0.0),
                "the classifier's test accuracy with x̂ in place of the layer",
            ),
        ]
    if metrics.probe_accuracy is not None:
        rows.append(
            MetricRow(
                "probe_accuracy",
                "Probe accuracy (latents)",
                _pct(metrics.probe_accuracy),
                "logistic regression on the codes",
            )
        )
    if metrics.probe_accuracy_input is not None:
        rows.append(
            MetricRow(
                "probe_accuracy_input",
                "Probe accuracy (inputs)",
                _pct(metrics.probe_accuracy_input),
                "the same probe on raw inputs",
            )
        )
    if metrics.sparse_probe_accuracy:
        rows.append(sparse_probe_row(metrics.sparse_probe_accuracy))
    if metrics.mmcs is not None:
        rows.append(MetricRow("mmcs", "MMCS", fmt(metrics.mmcs), "true features vs atoms"))
    if metrics.mcc is not None:
        rows.append(MetricRow("mcc", "MCC", fmt(metrics.mcc), "one-to-one matching"))
    if metrics.recovered is not None:
        rows.append(
            MetricRow("recovered", "Features recovered", str(metrics.recovered), "cos ≥ 0.9")
        )
    if metrics.f1 is not None:
        rows.append(MetricRow("f1", "Mean F1 (features)", fmt(metrics.f1), F1_HELP))
    if metrics.absorption is not None:
        rows.append(
            MetricRow("absorption", "Absorption", _pct(metrics.absorption), ABSORPTION_HELP)
        )
    return rows


def sparse_probe_row(accuracy: dict[int, float]) -> MetricRow:
    """One row for the sparse probes: ``k=1 81.2% · k=2 88.0% · k=5 93.5%``."""
    value = " · ".join(f"k={k} {_pct(acc)}" for k, acc in sorted(accuracy.items()))
    return MetricRow("sparse_probe_accuracy", "Sparse probe (top-k latents)", value, SPARSE_HELP)


def _grid(rows: list[MetricRow], columns: int) -> None:
    for start in range(0, len(rows), columns):
        for col, row in zip(st.columns(columns), rows[start : start + columns], strict=False):
            with col:
                st.metric(row.label, row.value, help=row.help)
                st.latex(METRIC_LATEX[row.key])


def render_metrics(current: Current, *, columns: int = 3) -> None:
    """Every metric as ``st.metric`` with its formula (``st.latex``) below it, in a grid."""
    cfg = current.sae_config
    status = "finished" if current.finished else f"paused at step {current.steps}"
    st.caption(
        f"Held-out split ({current.metrics.n_samples or current.dataset.n_test:,} samples) · "
        f"{current.steps:,} steps in {current.train_seconds:.2f} s · {status} · "
        f"{cfg.method}, d_sae {cfg.d_sae}"
    )
    rows = metric_rows(current.metrics)
    _grid([r for r in rows if r.key not in WIDE], columns)
    _grid([r for r in rows if r.key in WIDE], max(1, columns - 1))
    _render_l0_pair(current)
    render_prefix_fve(current)
    if not current.finished:
        st.caption("Probe accuracy is computed when training finishes.")
    m = current.metrics
    hint = undefined_fve_hint(m)
    if hint:
        st.caption(hint)
    worse = negative_fve_hint(m)
    if worse:
        st.warning(worse, icon=":material/warning:")
    advice = sparsity_advice(cfg.method, cfg.lam, cfg.d_sae, m.l0, m.dead_fraction)
    if advice:
        st.info(advice, icon=":material/lightbulb:")


def l0_pair(current: Current) -> tuple[float | None, float] | None:
    """(training L0, held-out inference L0) for a method whose inference encoder differs from its
    training one (BatchTopK); None for the others. Training L0 is None without a history."""
    if not methods.get(current.sae_config.method).inference_differs:
        return None
    history = current.history
    train = float(history["l0"].iloc[-1]) if "l0" in history and len(history) else None
    return train, current.metrics.l0


def _render_l0_pair(current: Current) -> None:
    pair = l0_pair(current)
    if pair is None:
        return
    train, inference = pair
    left, right = st.columns(2)
    left.metric(
        "L0 in training (last step)",
        fmt(train, "{:.2f}"),
        help="the training encoder's L0 (BatchTopK: k per sample on average over the batch)",
    )
    right.metric(
        "L0 at inference (held-out)",
        fmt(inference, "{:.2f}"),
        help="the inference encoder's L0 on the test split (BatchTopK: z·1[z > θ])",
    )


def weight_decay_latex(tied: bool) -> str:
    """The weight-decay term as training adds it: W_dec alone when tied (one shared matrix)."""
    return TIED_WEIGHT_DECAY_LATEX if tied else WEIGHT_DECAY_LATEX


def objective_latex(cfg: SAEConfig) -> str:
    """The full objective ``cfg`` trains with: the method's own form where it has one (KL),
    weight decay only when set."""
    main = methods.get(cfg.method).objective_latex or OBJECTIVE_LATEX
    return main + weight_decay_latex(cfg.tied) if cfg.weight_decay else main


def render_objective(current: Current) -> None:
    """The objective the model minimised, its penalty R, and the λ convention."""
    cfg = current.sae_config
    st.latex(objective_latex(cfg))
    method = methods.get(cfg.method)
    st.latex(method.penalty_latex)
    lam = f"{cfg.lam:g}" if method.uses_lam else "unused"
    extra = f", k = {cfg.k}" if method.uses_k else f", ρ = {cfg.rho:g}" if method.uses_rho else ""
    if method.takes_target_l0 and cfg.target_l0 is not None:
        extra += f", target L0 = {cfg.target_l0:g}"
    if "jumprelu_bandwidth" in method.knobs:
        extra += f", STE bandwidth ε = {cfg.jumprelu_bandwidth:g}"
    st.caption(f"This model: method {cfg.method}, λ = {lam}{extra}. {LAM_CONVENTION}")


def render_prefix_fve(current: Current) -> None:
    """Matryoshka: the held-out FVE of each nested prefix (the first m latents alone), one row."""
    if model_prefixes(current.model) is None:
        return
    table = current.cached(
        "prefix_fve", lambda: compute_prefix_fve(current.model, current.dataset.x_test)
    )
    st.caption(
        "FVE of each prefix alone (held-out): x̂ from latents 0…m−1 only. Every prefix was "
        "trained to reconstruct, so early latents hold the coarse directions."
    )
    cells = st.columns(len(table))
    for cell, row in zip(cells, table.itertuples(index=False), strict=True):
        cell.metric(f"first {row.prefix} latents", fmt(row.fve, "{:.3f}"), help=row.latents)
