"""``--figures DIR`` on ``train`` and ``eval``: the model's main charts as PNG and SVG files.

The folder and the image engine are checked before training, so a missing Chrome never throws a
trained model away; the charts are those of :func:`sae_core.figures.make_model_figures`, drawn
on the held-out split as the app draws them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sae_core.errors import ExportError

if TYPE_CHECKING:
    from sae_core.data.dataset import Dataset
    from sae_core.model import SparseAutoencoder

FIGURES_HELP = (
    "also save the model's main charts (training curves, decoder atoms, activation, L0 and "
    "firing-frequency histograms) as PNG and SVG in this folder; needs Chrome or Chromium"
)


def check_figures_dir(folder: str | None) -> Path | None:
    """The ``--figures`` folder (created), or None; ExportError now if no image can be written."""
    if not folder:
        return None
    from sae_core.figures.export import missing_engine, prepare_folder

    path = Path(folder).expanduser().resolve()
    prepare_folder(path)
    missing = missing_engine()
    if missing is not None:
        raise ExportError(f"--figures cannot write images: {missing}")
    return path


def write_model_figures(
    folder: Path,
    model: SparseAutoencoder,
    dataset: Dataset,
    history: Any = None,
    dead_window: int | None = None,
) -> list[Path]:
    """Encode the held-out split, draw the main charts and save each as PNG and SVG."""
    from sae_core import methods
    from sae_core.analysis.metrics import firing_frequency, l0_per_sample
    from sae_core.analysis.prefixes import model_prefixes
    from sae_core.figures import make_model_figures, save_figures

    latents = model.encode_numpy(dataset.x_test)
    figures = make_model_figures(
        W_dec=model.W_dec.detach().cpu().numpy(),
        latents=latents,
        freq=firing_frequency(latents),
        l0_per_sample=l0_per_sample(latents),
        history=history,
        image_shape=dataset.image_shape,
        k=model.cfg.k if methods.get(model.cfg.method).uses_k else None,
        dead_window=dead_window,
        prefixes=model_prefixes(model),
    )
    return save_figures(figures, folder)


def save_model_figures(
    folder: Path | None,
    model: SparseAutoencoder,
    dataset: Dataset,
    history: Any,
    dead_window: int | None,
    json_output: bool,
) -> None:
    """:func:`write_model_figures` when ``--figures`` was given (``folder``), then one line
    naming the folder: on stdout, or on stderr beside ``--json`` (stdout stays one JSON object)."""
    if folder is None:
        return
    paths = write_model_figures(folder, model, dataset, history, dead_window)
    stems = sorted({p.stem for p in paths})
    print(
        f"saved {len(paths)} figure files ({', '.join(stems)}; PNG and SVG) to {folder}",
        file=sys.stderr if json_output else sys.stdout,
    )
