"""Linear probes: how much label information a model's codes carry, next to the raw inputs.

A multinomial logistic regression trained on the training split's codes (or inputs) and scored
on the test split; :func:`sae_core.analysis.metrics.evaluate` reports both accuracies.

Sparse probing (SAEBench): for each class c, the latents are ranked by |mean f_j over training
samples of class c − mean f_j over the other training samples|, and a logistic regression on just
the top k tells class c from the rest (one-vs-rest, class-balanced weights). Its score is the
balanced test accuracy (mean of the accuracy on class c and on the rest, so chance is 0.5
whatever the class sizes); the metric is the mean over classes, for each k in ``SPARSE_PROBE_KS``.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
from threadpoolctl import threadpool_limits

from sae_core.data.dataset import Dataset

if TYPE_CHECKING:
    from sae_core.model import SparseAutoencoder

PROBE_MAX_TRAIN = 5000
"""Linear probes train on at most this many rows (a seeded subset): accuracy barely moves past it."""
PROBE_MAX_ITER = 100  # lbfgs converges in ~30 iterations on standardised digits/MNIST codes
SPARSE_PROBE_KS: tuple[int, ...] = (1, 2, 5)  # latents kept per class, as SAEBench reports


def linear_probe_accuracy(
    z_train: np.ndarray, y_train: np.ndarray, z_test: np.ndarray, y_test: np.ndarray, seed: int = 0
) -> float:
    """Test accuracy of a multinomial logistic regression trained on standardised ``z``.

    z_train [n_train, d], z_test [n_test, d], y [n] integer labels. Columns are standardised with
    the training mean and std (constant columns, e.g. dead latents, are left at 0). At most
    ``PROBE_MAX_TRAIN`` training rows are used (a subset drawn with ``seed``) and lbfgs stops after
    ``PROBE_MAX_ITER`` iterations, so it stays well under a second on MNIST-sized codes. With a
    single training class the probe predicts that class.
    """
    z_train, y_train = _capped(z_train, y_train, seed)
    classes = np.unique(y_train)
    if classes.size < 2:
        return float(np.mean(y_test == classes[0]))
    mean = z_train.mean(axis=0, dtype=np.float64)
    std = z_train.std(axis=0, dtype=np.float64)
    std[std == 0] = 1.0
    # scikit-learn (1 s to import) loads with the first probe: the app's first page needs none
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(max_iter=PROBE_MAX_ITER, random_state=seed)
    # One BLAS thread: on small problems extra threads cost 10-20x in synchronisation.
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit((z_train - mean) / std, y_train)
        return float(clf.score((z_test - mean) / std, y_test))


def top_latents_by_class(z: np.ndarray, y: np.ndarray, label: int, k: int) -> np.ndarray:
    """The k latents with the largest |mean z_j on class ``label`` − mean z_j elsewhere|.

    z [n, d_sae], y [n] -> [min(k, d_sae)] column indices, best first (ties: lower index first).
    """
    mine = y == label
    gap = np.abs(z[mine].mean(axis=0, dtype=np.float64) - z[~mine].mean(axis=0, dtype=np.float64))
    return np.argsort(-gap, kind="stable")[:k]


def sparse_probe_accuracy(
    z_train: np.ndarray,
    y_train: np.ndarray,
    z_test: np.ndarray,
    y_test: np.ndarray,
    ks: tuple[int, ...] = SPARSE_PROBE_KS,
    seed: int = 0,
) -> dict[int, float] | None:
    """{k: mean over classes of the one-vs-rest balanced test accuracy on the top-k latents}.

    Shapes as :func:`linear_probe_accuracy`. Classes missing from either split are skipped;
    None when fewer than two classes remain.
    """
    z_train, y_train = _capped(z_train, y_train, seed)
    classes = np.intersect1d(np.unique(y_train), np.unique(y_test))
    if classes.size < 2 or np.unique(y_train).size < 2:
        return None
    scores: dict[int, list[float]] = {k: [] for k in ks}
    for label in classes:
        for k in ks:
            keep = top_latents_by_class(z_train, y_train, int(label), k)
            scores[k].append(
                _balanced_binary_accuracy(
                    z_train[:, keep], y_train == label, z_test[:, keep], y_test == label, seed
                )
            )
    return {k: float(np.mean(v)) for k, v in scores.items()}


def _balanced_binary_accuracy(
    z_train: np.ndarray, t_train: np.ndarray, z_test: np.ndarray, t_test: np.ndarray, seed: int
) -> float:
    """Balanced accuracy on (z_test, t_test) of a class-weighted logistic regression on z_train."""
    mean = z_train.mean(axis=0, dtype=np.float64)
    std = z_train.std(axis=0, dtype=np.float64)
    std[std == 0] = 1.0
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(max_iter=PROBE_MAX_ITER, class_weight="balanced", random_state=seed)
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit((z_train - mean) / std, t_train)
        predicted = clf.predict((z_test - mean) / std)
    return float((np.mean(predicted[t_test]) + np.mean(~predicted[~t_test])) / 2)


def _capped(z: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``PROBE_MAX_TRAIN`` rows of (z [n, d], y [n]): a subset drawn with ``seed``."""
    if z.shape[0] <= PROBE_MAX_TRAIN:
        return z, y
    keep = np.random.default_rng(seed).choice(z.shape[0], PROBE_MAX_TRAIN, replace=False)
    return z[keep], y[keep]


def probe_accuracies(
    model: SparseAutoencoder,
    dataset: Dataset,
    test_latents: np.ndarray | None,
    max_samples: int | None,
) -> dict[str, Any]:
    """Probe accuracies on latents and on inputs, and the sparse probes; reuses the test latents when already encoded."""
    assert dataset.y_train is not None and dataset.y_test is not None
    x_train, y_train = _capped(dataset.x_train, dataset.y_train, seed=0)  # before encoding
    x_test, y_test = dataset.x_test[:max_samples], dataset.y_test[:max_samples]
    if test_latents is None:
        test_latents = model.encode_numpy(x_test)
    z_train = model.encode_numpy(x_train)
    return {
        "probe_accuracy": linear_probe_accuracy(z_train, y_train, test_latents, y_test),
        "probe_accuracy_input": linear_probe_accuracy(x_train, y_train, x_test, y_test),
        "sparse_probe_accuracy": sparse_probe_accuracy(z_train, y_train, test_latents, y_test),
    }
