"""Saved runs by set-up: the runs folder rule (torch-free)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sae_core.runs import runs_root
from sae_core.ui import saved_setups


def test_the_runs_folder_check_follows_runs_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(saved_setups.RUNS_ENV, str(tmp_path / "runs"))
    assert saved_setups.runs_folder_exists() is runs_root().is_dir() is False
    (tmp_path / "runs").mkdir()
    assert saved_setups.runs_folder_exists() is runs_root().is_dir() is True
    monkeypatch.delenv(saved_setups.RUNS_ENV)
    monkeypatch.chdir(tmp_path)  # no variable: ./runs, here the folder just made
    assert runs_root() == Path("runs")
    assert saved_setups.runs_folder_exists() is True
