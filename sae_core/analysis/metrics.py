r"""Evaluation metrics, exactly as SAE_NOTES.md ("Metrics") defines them (the dictionary metrics
MMCS and MCC in :mod:`sae_core.analysis.matching`, F1 and absorption in ``feature_scores``).

The ``compute_*`` functions are pure functions of numpy arrays that accumulate in float64;
:func:`evaluate` runs a model over a dataset split and gathers them all into :class:`EvalMetrics`
(the linear probes live in :mod:`sae_core.analysis.probe`).
Shapes: ``x``, ``x_hat`` [n, d_in]; ``latents`` [n, d_sae]; ``W_dec`` [d_sae, d_in];
``features`` [F, d_in] (ground-truth directions).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from sae_core.analysis.feature_scores import FEATURE_LATEX, feature_metrics
from sae_core.analysis.matching import compute_mcc, compute_mmcs, recovered_count
from sae_core.analysis.probe import SPARSE_PROBE_KS, probe_accuracies
from sae_core.analysis.splice import SPLICE_LATEX, dataset_loss_recovered
from sae_core.data.dataset import Dataset
from sae_core.errors import ConfigError

if TYPE_CHECKING:  # torch: the app's first page shows metrics without loading it
    from sae_core.model import SparseAutoencoder

_CHUNK = 4096  # rows per float64 block: whole-matrix float64 copies of MNIST would be ~0.5 GB

METRIC_LATEX: dict[str, str] = {
    "mse": r"\mathrm{MSE} = \frac{1}{n}\sum_{i} \frac{\lVert x_i - \hat x_i \rVert^2}{d_{\mathrm{in}}}",
    "fve": r"\mathrm{FVE} = 1 - \frac{\sum_i \lVert x_i - \hat x_i \rVert^2}"
    r"{\sum_i \lVert x_i - \bar x \rVert^2}",
    "fvu": r"\mathrm{FVU} = 1 - \mathrm{FVE}",
    "l0": r"L_0 = \frac{1}{n}\sum_i \#\{\, j : f_j(x_i) > 0 \,\}",
    "firing_frequency": r"p_j = \frac{1}{n}\#\{\, i : f_j(x_i) > 0 \,\}",
    "dead_fraction": r"\text{dead} = \frac{1}{d_{\mathrm{sae}}}\#\{\, j : p_j = 0 \,\}",
    "dense_fraction": r"\text{dense} = \frac{1}{d_{\mathrm{sae}}}\#\{\, j : p_j > 0.5 \,\}",
    "gamma": r"\gamma = \frac{\sum_i \lVert \hat x_i \rVert^2}{\sum_i x_i \cdot \hat x_i}",
    "norm_ratio": r"\frac{\frac{1}{n}\sum_i \lVert \hat x_i \rVert}{\frac{1}{n}\sum_i \lVert x_i \rVert}",
    "mmcs": r"\mathrm{MMCS} = \frac{1}{|G|}\sum_{g \in G} \max_j \cos(g, W_{\mathrm{dec},j})",
    "mcc": r"\mathrm{MCC} = \frac{1}{|G|}\max_{\pi\ \text{one-to-one}} \sum_{g \in G}"
    r"\lvert \cos(g, W_{\mathrm{dec},\pi(g)}) \rvert",
    "recovered": r"\#\{\, g \in G : \max_j \cos(g, W_{\mathrm{dec},j}) \ge 0.9 \,\}",
    "probe_accuracy": r"\mathrm{acc} = \frac{1}{n_{\mathrm{test}}}\#\{\, i : "
    r"\arg\max_c (A f(x_i) + b)_c = y_i \,\}",
    "probe_accuracy_input": r"\mathrm{acc} = \frac{1}{n_{\mathrm{test}}}\#\{\, i : "
    r"\arg\max_c (A x_i + b)_c = y_i \,\}",
    **FEATURE_LATEX,
    **SPLICE_LATEX,
    "sparse_probe_accuracy": r"\mathrm{acc}_k = \frac{1}{C}\sum_{c} \mathrm{balanced\ acc}\big("
    r"c \text{ vs rest} \mid f_{S_{c,k}}\big),\ S_{c,k} = \operatorname{top}_k\, j \mapsto "
    r"\big\lvert \bar f_j^{\,y = c} - \bar f_j^{\,y \neq c} \big\rvert",
}
"""LaTeX for the UI, keyed by :class:`EvalMetrics` field name (plus ``firing_frequency``)."""


def per_sample_sq_error(x: np.ndarray, x_hat: np.ndarray) -> np.ndarray:
    """‖x_i − x̂_i‖² per sample: x, x_hat [n, d_in] -> [n] float64."""
    out = np.empty(x.shape[0], dtype=np.float64)
    for s in range(0, x.shape[0], _CHUNK):
        diff = np.asarray(x[s : s + _CHUNK], np.float64) - np.asarray(x_hat[s : s + _CHUNK])
        out[s : s + _CHUNK] = np.einsum("ij,ij->i", diff, diff)
    return out


def _row_norms(a: np.ndarray) -> np.ndarray:
    """‖a_i‖ per row: [n, d] -> [n] float64."""
    return np.sqrt(np.einsum("ij,ij->i", a, a, dtype=np.float64))


def compute_mse(x: np.ndarray, x_hat: np.ndarray) -> float:
    """MSE = (1/n) Σ_i ‖x_i − x̂_i‖² / d_in, the per-element mean squared error. x, x_hat [n, d_in]."""
    return float(per_sample_sq_error(x, x_hat).mean() / x.shape[1])


def compute_fve(x: np.ndarray, x_hat: np.ndarray) -> float:
    """FVE = 1 − Σ_i ‖x_i − x̂_i‖² / Σ_i ‖x_i − x̄‖², x̄ the mean of these same samples.

    x, x_hat [n, d_in]. Returns NaN (silently) when the samples have zero total variance.
    """
    x_bar = np.mean(x, axis=0, dtype=np.float64)
    total = per_sample_sq_error(x, np.broadcast_to(x_bar, x.shape)).sum()
    if not total > 0:
        return math.nan
    return float(1.0 - per_sample_sq_error(x, x_hat).sum() / total)


def l0_per_sample(latents: np.ndarray) -> np.ndarray:
    """#{j : f_j > 0} per sample: latents [n, d_sae] -> [n] int64."""
    return np.count_nonzero(latents > 0, axis=1).astype(np.int64)


def compute_l0(latents: np.ndarray) -> float:
    """L0 = mean over samples of #{j : f_j > 0}. latents [n, d_sae]."""
    return float(l0_per_sample(latents).mean())


def firing_frequency(latents: np.ndarray) -> np.ndarray:
    """p_j = fraction of samples with f_j > 0: latents [n, d_sae] -> [d_sae] float64 in [0, 1]."""
    return np.count_nonzero(latents > 0, axis=0) / latents.shape[0]


def dead_fraction(freq: np.ndarray) -> float:
    """Fraction of latents with p_j == 0 on the evaluated samples. freq [d_sae]."""
    return float(np.mean(freq == 0))


def dense_fraction(freq: np.ndarray, threshold: float = 0.5) -> float:
    """Fraction of latents with p_j > threshold (default 0.5). freq [d_sae]."""
    return float(np.mean(freq > threshold))


def compute_shrinkage(x: np.ndarray, x_hat: np.ndarray) -> tuple[float, float]:
    """Shrinkage of reconstructions. x, x_hat [n, d_in] -> (gamma, norm_ratio).

    gamma = Σ_i ‖x̂_i‖² / Σ_i x_i·x̂_i, the relative reconstruction bias (γ < 1: codes shrunk;
    γ = 1 for x̂ = x, 1/2 for x̂ = x/2). norm_ratio = mean_i ‖x̂_i‖ / mean_i ‖x_i‖ (a ratio of means,
    not a mean of ratios, so near-zero samples cannot blow it up). NaN where a denominator is 0.
    """
    dot = sum(
        float(np.einsum("ij,ij->", x[s : s + _CHUNK], x_hat[s : s + _CHUNK], dtype=np.float64))
        for s in range(0, x.shape[0], _CHUNK)
    )
    x_hat_norms = _row_norms(x_hat)
    x_norm_mean = float(_row_norms(x).mean())
    gamma = float(np.sum(x_hat_norms**2)) / dot if dot != 0 else math.nan
    ratio = float(x_hat_norms.mean()) / x_norm_mean if x_norm_mean > 0 else math.nan
    return gamma, ratio


def _json_float(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


@dataclass(frozen=True, kw_only=True)
class EvalMetrics:
    """All metrics of one model on one split (see :data:`METRIC_LATEX`).

    ``mmcs``, ``mcc`` and ``recovered`` are None without ground-truth features; ``f1`` without
    the features' activity (synthetic data's test split); ``absorption`` without a feature
    hierarchy; the probe accuracies without labels or when probes were skipped.
    ``sparse_probe_accuracy`` maps k (latents kept per class, ``SPARSE_PROBE_KS``) to accuracy.
    """

    mse: float
    fve: float
    l0: float
    dead_fraction: float
    dense_fraction: float
    gamma: float
    norm_ratio: float
    mmcs: float | None = None
    mcc: float | None = None
    recovered: int | None = None
    probe_accuracy: float | None = None
    probe_accuracy_input: float | None = None
    f1: float | None = None
    absorption: float | None = None
    sparse_probe_accuracy: dict[int, float] | None = None
    loss_recovered: float | None = None  # network activations only (analysis.splice)
    accuracy_with_sae: float | None = None
    n_samples: int = 0
    split: str = "test"

    @property
    def fvu(self) -> float:
        """Fraction of variance unexplained, 1 − FVE."""
        return 1.0 - self.fve

    def to_dict(self) -> dict[str, Any]:
        """Flat, JSON-safe dict of numbers: every field plus ``fvu``; NaN and ±inf become None.

        ``sparse_probe_accuracy`` becomes one key per k (``sparse_probe_accuracy_k1``, …), so
        tables and saved runs hold numbers only; :meth:`to_json` nests it again.
        """
        out: dict[str, Any] = {}
        for key, value in {**asdict(self), "fvu": self.fvu}.items():
            if key == "sparse_probe_accuracy":
                sparse = value or {}
                out.update({_sparse_key(k): _json_float(sparse.get(k)) for k in SPARSE_PROBE_KS})
                continue
            out[key] = _json_float(value) if isinstance(value, float) else value
        return out

    def to_json(self) -> dict[str, Any]:
        """:meth:`to_dict` with ``sparse_probe_accuracy`` as {"k": accuracy} (null: no labels)."""
        return json_metrics(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvalMetrics:
        """Inverse of :meth:`to_dict`: ignores unknown keys (``fvu``), None -> NaN where required."""
        optional = {"mmcs", "mcc", "recovered", "probe_accuracy", "probe_accuracy_input"}
        optional |= {"f1", "absorption", "sparse_probe_accuracy", "loss_recovered"}
        optional |= {"accuracy_with_sae"}
        kwargs: dict[str, Any] = {}
        sparse = {k: data.get(_sparse_key(k)) for k in SPARSE_PROBE_KS}
        if any(_present(v) for v in sparse.values()):
            kwargs["sparse_probe_accuracy"] = {k: _number_or_nan(v) for k, v in sparse.items()}
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            kwargs[f.name] = math.nan if value is None and f.name not in optional else value
        if isinstance(kwargs.get("sparse_probe_accuracy"), dict):  # the nested (JSON) form
            kwargs["sparse_probe_accuracy"] = {
                int(k): _number_or_nan(v) for k, v in kwargs["sparse_probe_accuracy"].items()
            }
        return cls(**kwargs)


def _sparse_key(k: int) -> str:
    return f"sparse_probe_accuracy_k{k}"


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _number_or_nan(value: Any) -> float:
    return float(value) if _present(value) else math.nan


def json_metrics(flat: dict[str, Any]) -> dict[str, Any]:
    """A flat metrics dict (:meth:`EvalMetrics.to_dict`, a sweep row) with the per-k sparse
    probe keys folded into ``sparse_probe_accuracy``: {"1": acc, …}, or None without labels."""
    keys = [_sparse_key(k) for k in SPARSE_PROBE_KS]
    out = {key: value for key, value in flat.items() if key not in keys}
    values = {str(k): flat.get(key) for k, key in zip(SPARSE_PROBE_KS, keys, strict=True)}
    present = any(_present(v) for v in values.values())
    out["sparse_probe_accuracy"] = (
        {k: v if _present(v) else None for k, v in values.items()} if present else None
    )
    return out


def evaluate(
    model: SparseAutoencoder,
    dataset: Dataset,
    *,
    split: str = "test",
    probe: bool = True,
    max_samples: int | None = None,
) -> EvalMetrics:
    """Every metric of ``model`` on ``dataset``'s ``split`` ("test" or "train").

    ``max_samples`` keeps the first rows of the split. Dictionary recovery needs
    ``dataset.features``; F1 and absorption the features' activity, kept for the test split;
    probes (trained on x_train, tested on x_test, on latents and on raw
    inputs) need labels and ``probe=True``.
    """
    if split not in ("train", "test"):
        raise ConfigError(f"split={split!r} is invalid: choose 'train' or 'test'")
    if max_samples is not None and max_samples < 1:
        raise ConfigError(f"max_samples={max_samples!r} is invalid: choose a positive integer")
    x = (dataset.x_test if split == "test" else dataset.x_train)[:max_samples]
    latents, x_hat = model.reconstruct_numpy(x)
    freq = firing_frequency(latents)
    gamma, norm_ratio = compute_shrinkage(x, x_hat)
    recovery: dict[str, Any] = {}
    if dataset.features is not None:
        W_dec = model.W_dec.detach().cpu().numpy()
        recovery = {
            "mmcs": compute_mmcs(dataset.features, W_dec),
            "mcc": compute_mcc(dataset.features, W_dec),
            "recovered": recovered_count(dataset.features, W_dec),
        }
    if dataset.features is not None and split == "test" and dataset.feature_activity is not None:
        W_dec = model.W_dec.detach().cpu().numpy()
        active = dataset.feature_activity[:max_samples]
        recovery |= feature_metrics(
            dataset.features, W_dec, latents, active, dataset.feature_children
        )
    probes: dict[str, Any] = {}
    if probe and dataset.y_train is not None and dataset.y_test is not None:
        test_latents = latents if split == "test" else None
        probes = probe_accuracies(model, dataset, test_latents, max_samples)
    y = dataset.y_test if split == "test" else dataset.y_train
    spliced: dict[str, Any] = dataset_loss_recovered(
        dataset, x, x_hat, None if y is None else y[:max_samples]
    )
    return EvalMetrics(
        mse=compute_mse(x, x_hat),
        fve=compute_fve(x, x_hat),
        l0=compute_l0(latents),
        dead_fraction=dead_fraction(freq),
        dense_fraction=dense_fraction(freq),
        gamma=gamma,
        norm_ratio=norm_ratio,
        n_samples=int(x.shape[0]),
        split=split,
        **recovery,
        **probes,
        **spliced,
    )
