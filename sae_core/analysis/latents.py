"""Per-latent tables and statistics: what each latent does, for the exploration pages.

Numbers and tables only (no streamlit, no plotting): the Activations and Filters & latents pages
call these and hand the results to :mod:`sae_core.figures`. Shapes: ``latents`` [n, d_sae];
``W_dec`` [d_sae, d_in]; ``labels`` [n] integers; ``x``, ``x_hat`` [n, d_in]. A latent *fires* on
a sample when its value is > 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sae_core.analysis.matching import cosine_matrix
from sae_core.analysis.metrics import (
    compute_shrinkage,
    firing_frequency,
    l0_per_sample,
)
from sae_core.errors import ConfigError

if TYPE_CHECKING:  # pandas (0.5-2 s to import) loads with the first table, not the first page
    import pandas as pd

LATENT_SORTS: tuple[str, ...] = (
    "frequency",
    "mean_activation",
    "max_activation",
    "decoder_norm",
    "latent",
)


def latent_table(
    latents: np.ndarray, W_dec: np.ndarray, labels: np.ndarray | None = None, top_n: int = 16
) -> pd.DataFrame:
    """One row per latent, in latent order.

    Columns: latent, frequency (p_j), log10_frequency (log10(p_j + 1e-10)), mean_activation (over
    firing samples; NaN when dead), max_activation, decoder_norm (‖W_dec[j]‖), dead (p_j = 0),
    dense (p_j > 0.5) and, given ``labels``, top_label: the most common label among the latent's
    ``top_n`` highest firing samples (ties -> smallest label; <NA> when dead).
    """
    import pandas as pd

    freq = firing_frequency(latents)
    firing = latents > 0
    counts = firing.sum(axis=0)
    sums = np.where(firing, latents, 0).sum(axis=0, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_act = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    table = pd.DataFrame(
        {
            "latent": np.arange(latents.shape[1]),
            "frequency": freq,
            "log10_frequency": np.log10(freq + 1e-10),
            "mean_activation": mean_act,
            "max_activation": latents.max(axis=0).astype(np.float64),
            "decoder_norm": np.linalg.norm(np.asarray(W_dec, np.float64), axis=1),
            "dead": freq == 0,
            "dense": freq > 0.5,
        }
    )
    if labels is not None:
        table["top_label"] = pd.array(_top_labels(latents, labels, top_n), dtype="Int64")
    return table


def _top_labels(latents: np.ndarray, labels: np.ndarray, top_n: int) -> list[int | None]:
    """Mode label among each latent's top_n firing samples: -> [d_sae], None for dead latents."""
    n, d_sae = latents.shape
    top_n = min(top_n, n)
    top = np.argpartition(-latents, top_n - 1, axis=0)[:top_n]  # [top_n, d_sae]
    fires = np.take_along_axis(latents, top, axis=0) > 0
    classes, label_idx = np.unique(np.asarray(labels), return_inverse=True)
    cols = np.broadcast_to(np.arange(d_sae), top.shape)
    votes = np.zeros((classes.size, d_sae), dtype=np.int64)
    np.add.at(votes, (label_idx[top][fires], cols[fires]), 1)
    best = votes.argmax(axis=0)
    alive = votes.sum(axis=0) > 0
    return [int(classes[b]) if ok else None for b, ok in zip(best, alive, strict=True)]


def sort_latent_table(table: pd.DataFrame, by: str, descending: bool = True) -> pd.DataFrame:
    """``table`` (a :func:`latent_table`) sorted by column ``by`` (one of ``LATENT_SORTS``).

    Ties keep latent order; NaN (dead latents' mean activation) go last. The index is reset, so
    row position i is the i-th row shown.
    """
    if by not in table.columns:
        raise ConfigError(f"cannot sort latents by {by!r}: choose one of {', '.join(LATENT_SORTS)}")
    ordered = table.sort_values(by, ascending=not descending, kind="stable", na_position="last")
    return ordered.reset_index(drop=True)


def page_count(n_items: int, per_page: int) -> int:
    """Pages needed for ``n_items`` at ``per_page`` each (at least 1)."""
    if per_page < 1:
        raise ConfigError(f"per_page={per_page!r} is invalid: choose a positive integer")
    return max(1, math.ceil(n_items / per_page))


def mean_activation(latents: np.ndarray) -> np.ndarray:
    """ρ̂_j, the mean value of each latent over the samples: [n, d_sae] -> [d_sae] float64."""
    return np.asarray(latents.mean(axis=0, dtype=np.float64))


@dataclass(frozen=True, kw_only=True)
class SparsityStats:
    """The headline numbers of the Activations page (test split)."""

    n_samples: int
    d_sae: int
    l0_mean: float
    l0_median: float
    dead_count: int  # latents with p_j = 0
    dense_count: int  # latents with p_j > 0.5
    gamma: float  # Σ‖x̂‖² / Σ x·x̂ (NaN when undefined)
    norm_ratio: float  # mean ‖x̂‖ / mean ‖x‖


def compute_sparsity_stats(x: np.ndarray, x_hat: np.ndarray, latents: np.ndarray) -> SparsityStats:
    """L0 mean and median, dead and dense counts and shrinkage of one model's outputs."""
    l0 = l0_per_sample(latents)
    freq = firing_frequency(latents)
    gamma, norm_ratio = compute_shrinkage(x, x_hat)
    return SparsityStats(
        n_samples=int(latents.shape[0]),
        d_sae=int(latents.shape[1]),
        l0_mean=float(l0.mean()),
        l0_median=float(np.median(l0)),
        dead_count=int(np.count_nonzero(freq == 0)),
        dense_count=int(np.count_nonzero(freq > 0.5)),
        gamma=gamma,
        norm_ratio=norm_ratio,
    )


def top_activating(
    latents: np.ndarray, j: int, n: int = 16, firing_only: bool = True
) -> pd.DataFrame:
    """The ``n`` samples where latent ``j`` is largest: DataFrame(sample, activation), descending.

    Ties go to the lower sample index. With ``firing_only`` samples where it does not fire are
    dropped, so a rare latent returns fewer rows and a dead one none.
    """
    import pandas as pd

    values = np.asarray(latents[:, j], np.float64)
    order = np.argsort(-values, kind="stable")[:n]
    if firing_only:
        order = order[values[order] > 0]
    return pd.DataFrame({"sample": order.astype(np.int64), "activation": values[order]})


def quantile_samples(
    latents: np.ndarray, j: int, n_bins: int = 4, per_bin: int = 4, seed: int = 0
) -> pd.DataFrame:
    """Random firing samples from each activation-quantile bin of latent ``j``.

    The firing samples are ranked by activation and split into ``n_bins`` equal-count bins
    (bin 0 lowest), so every bin is populated when at least ``n_bins`` samples fire. Up to
    ``per_bin`` are drawn from each without replacement. Returns DataFrame(sample, activation,
    bin) ordered by bin, then activation descending; empty for a dead latent.
    """
    import pandas as pd

    values = np.asarray(latents[:, j], np.float64)
    firing = np.flatnonzero(values > 0)
    ranked = firing[np.argsort(values[firing], kind="stable")]
    rng = np.random.default_rng(seed)
    frames = []
    for b, members in enumerate(np.array_split(ranked, n_bins)):
        chosen = rng.choice(members, min(per_bin, members.size), replace=False)
        chosen = chosen[np.argsort(-values[chosen], kind="stable")]
        frames.append(pd.DataFrame({"sample": chosen, "activation": values[chosen], "bin": b}))
    table = pd.concat(frames, ignore_index=True)
    return table.astype({"sample": np.int64, "activation": np.float64, "bin": np.int64})


def sample_titles(samples: pd.DataFrame) -> list[str]:
    """Short titles for example samples: "#id a=0.53" (prefixed "q2 " when a ``bin`` is given).

    ``samples`` has columns sample, activation and optionally bin (as :func:`top_activating`
    and :func:`quantile_samples` return).
    """
    ids = samples["sample"].to_numpy()
    acts = samples["activation"].to_numpy()
    bins = samples["bin"].to_numpy() if "bin" in samples.columns else None
    return [
        ("" if bins is None else f"q{int(bins[i]) + 1} ") + f"#{int(ids[i])} a={acts[i]:.2g}"
        for i in range(len(ids))
    ]


def label_distribution(latents: np.ndarray, labels: np.ndarray, j: int) -> pd.DataFrame:
    """Labels of the samples where latent ``j`` fires: DataFrame(label, count, fraction).

    One row per label present in ``labels`` (zero counts included, so charts keep their axis),
    sorted by label; fractions sum to 1, or are all 0 when the latent never fires.
    """
    import pandas as pd

    labels = np.asarray(labels)
    classes, label_idx = np.unique(labels, return_inverse=True)
    counts = np.bincount(label_idx[latents[:, j] > 0], minlength=classes.size)
    total = counts.sum()
    fraction = counts / total if total > 0 else np.zeros(classes.size)
    return pd.DataFrame({"label": classes, "count": counts.astype(np.int64), "fraction": fraction})


def decoder_cosine_similarity(W_dec: np.ndarray) -> np.ndarray:
    """Cosine between every pair of decoder atoms: [d_sae, d_in] -> [d_sae, d_sae] float64.

    Quadratic in d_sae (8 GB at d_sae 32 768): for one latent use :func:`nearest_latents`.
    """
    return cosine_matrix(W_dec, W_dec)


def nearest_latents(W_dec: np.ndarray, j: int, n: int = 5) -> pd.DataFrame:
    """The ``n`` latents whose atoms are most cosine-similar to atom ``j`` (``j`` excluded).

    Returns DataFrame(latent, cosine), cosine descending, ties to the lower index.
    """
    import pandas as pd

    cos = cosine_matrix(W_dec[j : j + 1], W_dec)[0]
    order = np.argsort(-cos, kind="stable")
    order = order[order != j][:n]
    return pd.DataFrame({"latent": order.astype(np.int64), "cosine": cos[order]})


def atom_smoothness(W_dec: np.ndarray, image_shape: tuple[int, int]) -> float:
    """Mean correlation of horizontally and vertically neighbouring pixels over the atoms.

    W_dec: [d_sae, h·w]. Localised edges and blobs score well above 0; pixel noise scores ≈ 0.
    """
    h, w = image_shape
    atoms = W_dec.reshape(-1, h, w).astype(np.float64)
    atoms = atoms - atoms.mean(axis=(1, 2), keepdims=True)

    def corr(a: np.ndarray, b: np.ndarray) -> float:
        num = (a * b).sum(axis=(1, 2))
        den = np.sqrt((a * a).sum(axis=(1, 2)) * (b * b).sum(axis=(1, 2))) + 1e-12
        return float(np.mean(num / den))

    across = corr(atoms[:, :, :-1], atoms[:, :, 1:])
    down = corr(atoms[:, :-1, :], atoms[:, 1:, :])
    return (across + down) / 2
