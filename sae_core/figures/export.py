"""Figures as static PNG or SVG files, for slides and papers.

The engine is kaleido (>= 1, from PyPI), which renders with the plotly.js that ships inside the
``plotly`` package in a headless Chrome or Chromium already on the machine (Debian's
``apt-get install chromium``; ``BROWSER_PATH`` points it at another). MathJax, which kaleido
would fetch from a CDN, is switched off (our figures use Unicode, not LaTeX), so export works
offline. One browser start serves a whole batch: :func:`save_figures` costs a few seconds in
all, not per file.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from sae_core.errors import ExportError

FORMATS = ("png", "svg")
DEFAULT_WIDTH = 900  # px, when a figure sets none (the app lets the page decide)
DEFAULT_HEIGHT = 450  # px, plotly's own default height
PNG_SCALE = 2  # PNGs at twice the layout's pixels: sharp on slides and high-dpi screens
_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
_INSTALL_CHROME = (
    "install Chrome or Chromium (Debian/Ubuntu: apt-get install chromium), or set BROWSER_PATH "
    "to one; online, `kaleido_get_chrome` downloads one"
)


def missing_engine() -> str | None:
    """Why static images cannot be written here (no kaleido >= 1, no Chrome), or None."""
    if importlib.util.find_spec("kaleido") is None:
        return "the kaleido package is not installed (pip install 'kaleido>=1')"
    import kaleido

    if not hasattr(kaleido, "write_fig_from_object_sync"):
        return "kaleido is older than 1.0 (pip install --upgrade 'kaleido>=1')"
    browser = _find_browser()
    if browser is None:
        return f"no Chrome or Chromium was found: {_INSTALL_CHROME}"
    if not (os.path.isfile(browser) and os.access(browser, os.X_OK)):  # e.g. a stale BROWSER_PATH
        return f"the browser {browser} is not an executable file: {_INSTALL_CHROME}"
    return None


def _find_browser() -> str | None:
    try:  # kaleido's own search: BROWSER_PATH, PATH, usual places, a kaleido_get_chrome download
        from choreographer.browsers.chromium import Chromium

        found = Chromium.find_browser(skip_local=False)
        return None if found is None else str(found)
    except (ImportError, AttributeError, TypeError):  # its API moved: look on PATH ourselves
        return next((p for name in _BROWSERS if (p := shutil.which(name))), None)


def save_figure(fig: go.Figure, path: str | Path, *, scale: float = PNG_SCALE) -> Path:
    """Write ``fig`` to ``path`` as PNG or SVG (by its suffix; folders are created); returns it.

    Width and height are the figure's layout size (900 × 450 px when unset); ``scale``
    multiplies a PNG's pixels.
    """
    path = Path(path).expanduser()
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ExportError(
            f"cannot save a figure as {path.name!r}: name it .png or .svg "
            f"(formats: {', '.join(FORMATS)})"
        )
    prepare_folder(path.parent)
    _write([(fig, path, fmt)], scale)
    return path


def save_figures(
    figures: Mapping[str, go.Figure],
    folder: str | Path,
    formats: Sequence[str] = FORMATS,
    *,
    scale: float = PNG_SCALE,
) -> list[Path]:
    """Write each figure as ``folder/<key>.<format>`` for every format; returns the paths.

    ``figures``: file stem -> figure (keys are made safe for file names). The folder is created
    if needed; existing files of the same names are replaced.
    """
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ExportError(
            f"image format(s) {', '.join(map(repr, bad)) or 'none'} not supported: choose from "
            f"{', '.join(FORMATS)}"
        )
    folder = Path(folder).expanduser()
    prepare_folder(folder)
    jobs = [
        (fig, folder / f"{file_stem(key)}.{fmt}", fmt)
        for key, fig in figures.items()
        for fmt in dict.fromkeys(formats)
    ]
    _write(jobs, scale)
    return [path for _, path, _ in jobs]


def prepare_folder(folder: Path) -> None:
    """Create ``folder`` (and parents), or say in one line why it cannot hold images."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(
            f"cannot create the figures folder {folder}: {exc.strerror or exc}"
        ) from None
    if not folder.is_dir():
        raise ExportError(f"{folder} is not a folder: choose a folder for the figures")


def file_stem(key: str) -> str:
    """``"L0 per sample"`` -> ``"L0_per_sample"``: letters, digits, ``-`` and ``_`` only."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in key).strip("_") or "figure"


def _write(jobs: Iterable[tuple[go.Figure, Path, str]], scale: float) -> None:
    missing = missing_engine()
    if missing is not None:
        raise ExportError(f"cannot save figures as images: {missing}")
    import kaleido

    specs = [
        {"fig": fig.to_dict(), "path": path, "opts": _options(fig, fmt, scale)}
        for fig, path, fmt in jobs
    ]
    try:
        kaleido.write_fig_from_object_sync(specs, kopts={"mathjax": False}, cancel_on_error=True)
    except OSError as exc:
        raise ExportError(f"cannot write the figures: {exc.strerror or exc}") from None
    except Exception as exc:  # kaleido's and the browser's own errors, of many kinds
        raise ExportError(
            f"the image engine failed ({type(exc).__name__}: {exc}); if Chrome cannot start "
            f"here, {_INSTALL_CHROME}"
        ) from None


def _options(fig: go.Figure, fmt: str, scale: float) -> dict[str, Any]:
    return {
        "format": fmt,
        "width": fig.layout.width or DEFAULT_WIDTH,
        "height": fig.layout.height or DEFAULT_HEIGHT,
        "scale": scale if fmt == "png" else 1,
    }
