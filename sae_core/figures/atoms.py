"""Dictionary atoms (decoder or encoder directions), one page at a time.

d_sae can be 4096, far too many subplots for a browser, so a call draws one page of at most
``max_atoms`` atoms in the chosen order; the page asks for the next page.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from sae_core.errors import DataError
from sae_core.figures.images import grid_height
from sae_core.figures.mosaic import make_mosaic_figure
from sae_core.figures.theme import DIVERGING_SCALE, apply_theme, as_array, symmetric_limit

ATOM_ORDERS: tuple[str, ...] = ("frequency", "norm", "index")
MAX_ATOMS = 100
_ORDER_WORDS = {
    "frequency": "most frequent first",
    "norm": "largest norm first",
    "index": "by index",
}


def atoms_as_rows(
    W: np.ndarray,
    *,
    d_sae: int | None = None,
    freq: np.ndarray | None = None,
    image_shape: Sequence[int] | None = None,
) -> np.ndarray:
    """W as [d_sae, d_in] whether given as W_dec [d_sae, d_in] or W_enc [d_in, d_sae].

    The orientation comes from ``d_sae``, else len(freq), else the pixel count of ``image_shape``;
    a square W with none of these is taken as decoder rows.
    """
    arr = as_array(W, "W", 2)
    if d_sae is None and freq is not None:
        d_sae = len(freq)
    if d_sae is None and image_shape is not None:
        d_in = int(np.prod(image_shape))
        return arr.T if arr.shape[0] == d_in and arr.shape[1] != d_in else arr
    if d_sae is None or arr.shape[0] == d_sae:
        return arr
    if arr.shape[1] == d_sae:
        return arr.T
    raise DataError(
        f"W has shape {arr.shape} but neither side is d_sae = {d_sae}: "
        "pass W_dec [d_sae, d_in] or W_enc [d_in, d_sae] of the same model as the frequencies."
    )


def order_atoms(atoms: np.ndarray, order: str, freq: np.ndarray | None = None) -> np.ndarray:
    """Latent indices [d_sae] in display order; atoms [d_sae, d_in], freq [d_sae]. Ties keep index order."""
    if order == "index":
        return np.arange(len(atoms))
    if order == "norm":
        return np.argsort(-np.linalg.norm(atoms, axis=1), kind="stable")
    if order == "frequency":
        if freq is None:
            raise DataError(
                "order='frequency' needs the firing frequencies: pass freq, or order='norm'."
            )
        return np.argsort(-np.asarray(freq, dtype=np.float64), kind="stable")
    raise DataError(f"unknown atom order {order!r}: use one of {', '.join(ATOM_ORDERS)}.")


def make_atom_grid_figure(
    W: np.ndarray,
    image_shape: Sequence[int] | None = None,
    order: str = "frequency",
    freq: np.ndarray | None = None,
    page: int = 0,
    per_page: int = 48,
    *,
    d_sae: int | None = None,
    ncols: int = 8,
    max_atoms: int = MAX_ATOMS,
    title: str = "Decoder atoms",
    prefixes: Sequence[int] | None = None,
) -> go.Figure:
    """One page of atoms, each on its own symmetric diverging scale (zmin = -zmax = max |w|).

    W: W_dec [d_sae, d_in] or W_enc [d_in, d_sae]; freq [d_sae] firing frequencies (required for
    order='frequency', shown in the titles when given). ``page`` counts from 0 and is clamped to the
    last page. Image atoms are drawn as a grid titled "#j"; non-image atoms as one heat-map of
    atoms × input dimensions, each row scaled to max |w| = 1. ``prefixes`` (Matryoshka's nested sizes): each atom's
    title names the smallest prefix it belongs to, and the subtitle lists the boundaries.
    """
    atoms = atoms_as_rows(W, d_sae=d_sae, freq=freq, image_shape=image_shape)
    freq_arr = None if freq is None else np.asarray(freq, dtype=np.float64)
    count = max(1, min(per_page, max_atoms))
    n_pages = max(1, -(-len(atoms) // count))
    page = min(max(page, 0), n_pages - 1)
    shown = order_atoms(atoms, order, freq_arr)[page * count : (page + 1) * count]
    labels = [_atom_label(int(j), freq_arr) for j in shown]
    if prefixes:  # "#17 p=0.05 ≤32": the smallest prefix holding latent j
        labels = [
            f"{label} ≤{_prefix_of(int(j), prefixes)}"
            for label, j in zip(labels, shown, strict=True)
        ]
    subtitle = (
        f"latents {page * count + 1}–{page * count + len(shown)} of {len(atoms)}, "
        f"{_ORDER_WORDS.get(order, order)} (page {page + 1} of {n_pages}); "
        "blue < 0 < red, each atom scaled to its own max |w|"
    )
    if prefixes:
        subtitle += f"; prefix boundaries after latents {', '.join(str(m) for m in prefixes)}"
    if image_shape is None:
        fig = _atom_heatmap(atoms[shown], labels)
        return apply_theme(
            fig,
            title,
            x_label="input dimension (index)",
            y_label="latent",
            subtitle=subtitle,
            height=max(260, 16 * len(shown) + 140),
        )
    h, w = int(image_shape[0]), int(image_shape[1])
    cells = atoms[shown].reshape(len(shown), h, w)  # each on its own symmetric scale
    fig, layout = make_mosaic_figure(cells, labels, cols=ncols, signed=True, zrange=None)
    return apply_theme(fig, title, subtitle=subtitle, height=grid_height(layout.rows))


def _prefix_of(j: int, prefixes: Sequence[int]) -> int:
    """The smallest prefix size m with j < m (latent j's block, coarse to fine)."""
    return next((m for m in prefixes if j < m), prefixes[-1])


def _atom_label(j: int, freq: np.ndarray | None) -> str:
    return f"#{j}" if freq is None else f"#{j} p={freq[j]:.2g}"


def _atom_heatmap(atoms: np.ndarray, labels: list[str]) -> go.Figure:
    """atoms [m, d_in] as one heat-map: one trace instead of m line plots keeps the page light."""
    limits = np.array([symmetric_limit(row) for row in atoms]).reshape(-1, 1)
    scaled = atoms / limits if len(atoms) else atoms
    fig = go.Figure(
        go.Heatmap(
            z=scaled.astype(np.float32),
            y=labels,
            customdata=atoms.astype(np.float32),
            colorscale=DIVERGING_SCALE,
            zmin=-1.0,
            zmax=1.0,
            zmid=0.0,
            colorbar={"title": {"text": "w / max|w|"}, "thickness": 12},
            hovertemplate="%{y}, dim %{x}: w = %{customdata:.3g}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", type="category", showgrid=False)
    fig.update_xaxes(showgrid=False)
    return fig
