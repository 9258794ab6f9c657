"""Figures saved as real PNG and SVG files, and a clear error when the image engine is missing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from sae_core.errors import ExportError
from sae_core.figures import MODEL_FIGURES, export, make_model_figures, save_figure, save_figures
from tests.helpers.images import png_size, require_image_engine, svg_root, svg_text


def _figure(title: str = "Loss by step") -> go.Figure:
    fig = go.Figure(go.Scatter(x=[1, 2, 3], y=[3.0, 1.5, 1.0], name="loss"))
    return fig.update_layout(title=title, width=400, height=300)


def test_save_figure_writes_a_png_of_the_layout_size_times_the_scale(tmp_path: Path) -> None:
    require_image_engine()
    path = save_figure(_figure(), tmp_path / "new" / "loss.png")
    assert path == tmp_path / "new" / "loss.png"
    assert png_size(path) == (400 * export.PNG_SCALE, 300 * export.PNG_SCALE)


def test_save_figures_writes_every_format_of_every_figure_in_one_go(tmp_path: Path) -> None:
    require_image_engine()
    figures = {"L0 per sample": _figure("L0 per sample"), "atoms": _figure("Decoder atoms")}
    paths = save_figures(figures, tmp_path)
    names = sorted(p.name for p in paths)
    assert names == ["L0_per_sample.png", "L0_per_sample.svg", "atoms.png", "atoms.svg"]
    assert png_size(tmp_path / "atoms.png") == (800, 600)
    root = svg_root(tmp_path / "atoms.svg")
    assert root.get("width") == "400" and root.get("height") == "300"
    assert "Decoder atoms" in svg_text(tmp_path / "atoms.svg")
    assert "L0 per sample" in svg_text(tmp_path / "L0_per_sample.svg")


def test_a_model_s_main_charts_all_render_as_svg(tmp_path: Path) -> None:
    require_image_engine()
    rng = np.random.default_rng(0)
    latents = np.maximum(rng.normal(size=(50, 16)), 0).astype(np.float32)
    history = {"step": [1, 2, 3], "loss": [3.0, 2.0, 1.5], "mse": [1.0, 0.8, 0.7], "l0": [9, 7, 6]}
    figures = make_model_figures(
        W_dec=rng.normal(size=(16, 64)).astype(np.float32),
        latents=latents,
        freq=(latents > 0).mean(axis=0),
        l0_per_sample=(latents > 0).sum(axis=1),
        history=pd.DataFrame(history),
        image_shape=(8, 8),
    )
    paths = save_figures(figures, tmp_path, formats=("svg",))
    assert [p.stem for p in paths] == list(MODEL_FIGURES)
    assert "Decoder atoms" in svg_text(tmp_path / "atoms.svg")


def test_make_model_figures_leaves_out_the_curves_without_a_history() -> None:
    latents = np.eye(4, dtype=np.float32)
    figures = make_model_figures(
        W_dec=np.eye(4, dtype=np.float32),
        latents=latents,
        freq=latents.mean(axis=0),
        l0_per_sample=np.ones(4, dtype=np.int64),
        k=1,
    )
    assert list(figures) == [name for name in MODEL_FIGURES if name != "training_curves"]
    assert all(isinstance(fig, go.Figure) for fig in figures.values())


@pytest.mark.parametrize("name", ["chart.jpg", "chart", "chart.pdf"])
def test_an_unsupported_file_type_is_refused_before_any_rendering(tmp_path: Path, name) -> None:
    with pytest.raises(ExportError, match=r"name it \.png or \.svg"):
        save_figure(_figure(), tmp_path / name)
    with pytest.raises(ExportError, match=r"'jpg' not supported: choose from png, svg"):
        save_figures({"a": _figure()}, tmp_path, formats=("png", "jpg"))


def test_no_chrome_is_a_one_line_error_that_says_how_to_install_one(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(export, "_find_browser", lambda: None)
    with pytest.raises(ExportError) as caught:
        save_figure(_figure(), tmp_path / "a.png")
    message = str(caught.value)
    assert "no Chrome or Chromium was found" in message and "apt-get install chromium" in message
    assert "\n" not in message and not (tmp_path / "a.png").exists()


def test_a_browser_path_that_is_not_a_program_is_named(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chrome"))
    message = export.missing_engine()
    assert message is not None and f"the browser {tmp_path / 'no-chrome'} is not an" in message


def test_no_kaleido_is_a_clear_error(monkeypatch) -> None:
    real = export.importlib.util.find_spec
    monkeypatch.setattr(
        export.importlib.util, "find_spec", lambda name: None if name == "kaleido" else real(name)
    )
    assert (
        export.missing_engine() == "the kaleido package is not installed (pip install 'kaleido>=1')"
    )


def test_file_stems_are_safe_names() -> None:
    assert export.file_stem("L0 per sample") == "L0_per_sample"
    assert export.file_stem("../etc/passwd") == "etc_passwd"
    assert export.file_stem("///") == "figure"
