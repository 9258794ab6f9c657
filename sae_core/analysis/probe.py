"""Linear probes: how much label information a model's codes carry, next to the raw inputs.

A multinomial logistic regression trained on the training split's codes (or inputs) and scored
on the test split; :func:`sae_core.analysis.metrics.evaluate` reports both accuracies.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from sae_core.data.dataset import Dataset
from sae_core.model import SparseAutoencoder

PROBE_MAX_TRAIN = 5000
"""Linear probes train on at most this many rows (a seeded subset): accuracy barely moves past it."""
PROBE_MAX_ITER = 100  # lbfgs converges in ~30 iterations on standardised digits/MNIST codes


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
    clf = LogisticRegression(max_iter=PROBE_MAX_ITER, random_state=seed)
    # One BLAS thread: on small problems extra threads cost 10-20x in synchronisation.
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit((z_train - mean) / std, y_train)
        return float(clf.score((z_test - mean) / std, y_test))


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
) -> dict[str, float]:
    """Probe accuracies on latents and on inputs; reuses the test latents when already encoded."""
    assert dataset.y_train is not None and dataset.y_test is not None
    x_train, y_train = _capped(dataset.x_train, dataset.y_train, seed=0)  # before encoding
    x_test, y_test = dataset.x_test[:max_samples], dataset.y_test[:max_samples]
    if test_latents is None:
        test_latents = model.encode_numpy(x_test)
    z_train = model.encode_numpy(x_train)
    return {
        "probe_accuracy": linear_probe_accuracy(z_train, y_train, test_latents, y_test),
        "probe_accuracy_input": linear_probe_accuracy(x_train, y_train, x_test, y_test),
    }
