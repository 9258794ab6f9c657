"""``--figures DIR`` on train and eval: the model's main charts as PNG and SVG files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sae_core.cli.commands import main
from sae_core.figures import MODEL_FIGURES, export
from tests.helpers.cli import cli_error
from tests.helpers.images import png_size, require_image_engine, svg_text

TRAIN = ("train", "--data", "digits", "--epochs", "1", "--hidden", "16")


def _check_folder(folder: Path, names: tuple[str, ...] = MODEL_FIGURES) -> None:
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{name}.{fmt}" for name in names for fmt in ("png", "svg")
    )
    for name in names:
        width, height = png_size(folder / f"{name}.png")
        assert width > 0 and height > 0
    assert "L0 per sample" in svg_text(folder / "l0_histogram.svg")


def test_train_and_eval_write_the_main_figures_and_json_stays_clean(capsys, tmp_path) -> None:
    require_image_engine()
    run, train_figures, eval_figures = tmp_path / "run", tmp_path / "a", tmp_path / "b" / "c"
    assert main([*TRAIN, "--out", str(run), "--figures", str(train_figures), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["run_dir"] == str(run)  # stdout is the JSON object alone
    assert "saved 10 figure files" in err and str(train_figures) in err
    _check_folder(train_figures)

    assert main(["eval", str(run), "--figures", str(eval_figures)]) == 0
    out = capsys.readouterr().out
    assert f"to {eval_figures}" in out
    _check_folder(eval_figures)


def test_a_missing_image_engine_is_refused_before_training(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(export, "_find_browser", lambda: None)
    run = tmp_path / "run"
    message = cli_error(capsys, *TRAIN, "--out", str(run), "--figures", str(tmp_path / "f"))
    assert "--figures cannot write images: no Chrome or Chromium was found" in message
    assert not run.exists()  # nothing was trained or saved


def test_a_figures_path_that_is_a_file_is_refused(capsys, tmp_path) -> None:
    taken = tmp_path / "taken"
    taken.write_text("x")
    message = cli_error(capsys, *TRAIN, "--figures", str(taken))
    assert "figures folder" in message or "is not a folder" in message


@pytest.mark.parametrize("command", ["train", "eval"])
def test_help_describes_figures(capsys, command) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert "--figures DIR" in capsys.readouterr().out
