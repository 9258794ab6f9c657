r"""The amortisation gap (SAE_NOTES.md): a trained SAE's decoder kept fixed, the data encoded three
ways at the same L0 — the SAE's own encoder (one shot, amortised), matching pursuit (greedy, k
steps) and orthogonal matching pursuit (scikit-learn's ``orthogonal_mp``, k atoms).

Both pursuits work on x − b_dec with unit-norm atoms Ŵ_j = W_dec[j] / ‖W_dec[j]‖ and rescale the
codes back, so x̂ = codes @ W_dec + b_dec for every encoder. Pursuit codes are signed (an atom
may be subtracted); an SAE's are not. L0 and F1 count a latent as firing where its code is
nonzero. Shapes: ``x`` [n, d_in]; ``W_dec`` [d_sae, d_in]; ``b_dec`` [d_in]; codes [n, d_sae].
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from sae_core.analysis.feature_scores import feature_metrics
from sae_core.analysis.matching import compute_mcc, compute_mmcs, recovered_count
from sae_core.analysis.metrics import (
    EvalMetrics,
    compute_fve,
    compute_l0,
    compute_mse,
    compute_shrinkage,
    dead_fraction,
    dense_fraction,
    evaluate,
    firing_frequency,
)
from sae_core.data.dataset import Dataset
from sae_core.errors import ConfigError
from sae_core.model import SparseAutoencoder

_CHUNK = 2048  # rows encoded at once by the pursuits

ENCODERS: dict[str, str] = {
    "sae": "SAE encoder (one shot)",
    "mp": "matching pursuit",
    "omp": "orthogonal matching pursuit",
}
"""Encoder name -> display label, in the order tables list them."""


def unit_atoms(W_dec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """W_dec [d_sae, d_in] -> (unit rows [d_sae, d_in] float64, norms [d_sae]); zero rows stay 0."""
    W = np.asarray(W_dec, dtype=np.float64)
    norms = np.linalg.norm(W, axis=1)
    safe = np.where(norms > 0, norms, 1.0)
    return W / safe[:, None], norms


def matching_pursuit(x: np.ndarray, atoms: np.ndarray, k: int) -> np.ndarray:
    """Greedy matching pursuit, k steps: x [n, d_in] (already centred), atoms [d_sae, d_in]
    unit rows -> codes [n, d_sae] float64 with x ≈ codes @ atoms.

    Each step adds to every sample the atom with the largest |⟨residual, atom⟩| and that
    projection; an atom may be chosen twice, so at most k codes are nonzero.
    """
    residual = np.array(x, dtype=np.float64)
    codes = np.zeros((residual.shape[0], atoms.shape[0]))
    rows = np.arange(residual.shape[0])
    for _ in range(k):
        proj = residual @ atoms.T  # [n, d_sae]
        best = np.argmax(np.abs(proj), axis=1)
        step = proj[rows, best]
        codes[rows, best] += step
        residual -= step[:, None] * atoms[best]
    return codes


def orthogonal_pursuit(x: np.ndarray, atoms: np.ndarray, k: int) -> np.ndarray:
    """OMP with k atoms (scikit-learn): x [n, d_in] centred, atoms [d_sae, d_in] unit rows ->
    codes [n, d_sae]; the least-squares fit on the chosen atoms, so the residual is orthogonal
    to them. k is capped at d_in, beyond which the chosen atoms could not be independent."""
    from sklearn.linear_model import orthogonal_mp

    k = min(k, atoms.shape[1], atoms.shape[0])
    coef = orthogonal_mp(atoms.T, np.asarray(x, np.float64).T, n_nonzero_coefs=k, precompute=True)
    return np.asarray(coef).reshape(atoms.shape[0], -1).T  # [d_sae, n] -> [n, d_sae]


def encode_with(model: SparseAutoencoder, x: np.ndarray, encoder: str, k: int) -> np.ndarray:
    """Codes of x [n, d_in] by ``encoder`` ("sae", "mp", "omp") on the model's decoder: [n, d_sae]
    float64 with x̂ = codes @ W_dec + b_dec. ``k`` (atoms per sample) is read by the pursuits."""
    if encoder not in ENCODERS:
        raise ConfigError(f"encoder={encoder!r} is invalid: choose one of {', '.join(ENCODERS)}")
    if encoder == "sae":
        return model.encode_numpy(x).astype(np.float64)
    if k < 1:
        raise ConfigError(f"k={k!r} is invalid: a pursuit needs at least one atom per sample")
    atoms, norms = unit_atoms(model.W_dec.detach().cpu().numpy())
    centred = np.asarray(x, np.float64) - model.b_dec.detach().cpu().numpy().astype(np.float64)
    pursue = matching_pursuit if encoder == "mp" else orthogonal_pursuit
    # in row blocks: MP's projections are [rows, d_sae] float64 per step
    codes = np.concatenate(
        [pursue(centred[s : s + _CHUNK], atoms, k) for s in range(0, len(centred), _CHUNK)]
        or [np.zeros((0, atoms.shape[0]))]
    )
    return codes / np.where(norms > 0, norms, 1.0)  # codes of the unit atoms -> of W_dec's rows


def decode_codes(model: SparseAutoencoder, codes: np.ndarray) -> np.ndarray:
    """codes [n, d_sae] -> x̂ = codes @ W_dec + b_dec [n, d_in] float64."""
    W_dec = model.W_dec.detach().cpu().numpy().astype(np.float64)
    return codes @ W_dec + model.b_dec.detach().cpu().numpy().astype(np.float64)


def default_k(model: SparseAutoencoder, x: np.ndarray) -> int:
    """The SAE's own L0 on x [n, d_in], rounded (at least 1): the pursuits' fair budget."""
    l0 = float(np.count_nonzero(model.encode_numpy(x), axis=1).mean())
    return max(1, round(l0))


def encoder_row(model: SparseAutoencoder, dataset: Dataset, encoder: str, k: int) -> dict:
    """One encoder on the held-out split: {encoder, label, k, l0, fve, encode_seconds, f1}."""
    x = dataset.x_test
    start = time.perf_counter()
    codes = encode_with(model, x, encoder, k)
    seconds = time.perf_counter() - start
    fired = np.abs(codes)  # signed pursuit codes: an atom fires where its code is nonzero
    f1 = None
    if dataset.features is not None and dataset.feature_activity is not None:
        W_dec = model.W_dec.detach().cpu().numpy()
        f1 = feature_metrics(dataset.features, W_dec, fired, dataset.feature_activity, None)["f1"]
    return {
        "encoder": encoder,
        "label": ENCODERS[encoder],
        "k": k,
        "l0": float(np.count_nonzero(codes, axis=1).mean()),
        "fve": compute_fve(x, decode_codes(model, codes)),
        "encode_seconds": seconds,
        "f1": f1,
    }


def compare_encoders(
    model: SparseAutoencoder, dataset: Dataset, k: int | None = None
) -> pd.DataFrame:
    """The three encoders on ``dataset``'s held-out split at L0 ``k`` (default: the SAE's own
    L0, rounded): one row each, columns encoder, label, k, l0, fve, encode_seconds, f1 (None
    without synthetic ground truth)."""
    k = default_k(model, dataset.x_test) if k is None else k
    return pd.DataFrame([encoder_row(model, dataset, name, k) for name in ENCODERS])


def evaluate_encoder(
    model: SparseAutoencoder, dataset: Dataset, encoder: str = "sae", k: int | None = None
) -> tuple[EvalMetrics, int | None]:
    """:func:`~sae_core.analysis.metrics.evaluate` on the held-out split with ``encoder``'s codes
    in place of the SAE's: (metrics, k used; None for "sae"). Pursuit codes give the
    reconstruction metrics, L0, firing, dictionary and feature scores; the probes, trained on
    the SAE's own latents, are left None. ``k`` defaults to the SAE's held-out L0, rounded."""
    if encoder == "sae":
        return evaluate(model, dataset), None
    x = dataset.x_test
    k = default_k(model, x) if k is None else k
    codes = encode_with(model, x, encoder, k)
    fired = np.abs(codes)  # firing = a nonzero code, whatever its sign
    x_hat = decode_codes(model, codes)
    freq = firing_frequency(fired)
    gamma, norm_ratio = compute_shrinkage(x, x_hat)
    scores: dict = {}
    if dataset.features is not None:
        W_dec = model.W_dec.detach().cpu().numpy()
        scores = {
            "mmcs": compute_mmcs(dataset.features, W_dec),
            "mcc": compute_mcc(dataset.features, W_dec),
            "recovered": recovered_count(dataset.features, W_dec),
        }
        if dataset.feature_activity is not None:
            active, children = dataset.feature_activity, dataset.feature_children
            scores |= feature_metrics(dataset.features, W_dec, fired, active, children)
    metrics = EvalMetrics(
        mse=compute_mse(x, x_hat),
        fve=compute_fve(x, x_hat),
        l0=compute_l0(fired),
        dead_fraction=dead_fraction(freq),
        dense_fraction=dense_fraction(freq),
        gamma=gamma,
        norm_ratio=norm_ratio,
        n_samples=int(x.shape[0]),
        split="test",
        **scores,
    )
    return metrics, k
