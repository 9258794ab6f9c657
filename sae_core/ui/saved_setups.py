"""Saved runs found by set-up, without importing torch when there is no runs folder.

The shared model cache (:mod:`sae_core.ui.shared_models`) and opening a link
(:mod:`sae_core.ui.open_link`) look a set-up up among the saved runs before training it;
:func:`saved_run` answers at once, torch-free, where no runs folder exists (a first page).

    found = saved_run(link_key=key)   # SavedSetup(path, digest, link_key), or None
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sae_core.runs.digest_index import SavedSetup

RUNS_ENV = "SAE_EXPLORER_RUNS"  # sae_core.runs.store.ENV_VAR, read here without importing torch


def runs_folder_exists() -> bool:
    """Whether a runs folder is there to search (``runs_root``'s rule, without its torch
    imports: ``$SAE_EXPLORER_RUNS``, else ``./runs``)."""
    folder = os.environ.get(RUNS_ENV, "").strip() or "runs"
    return Path(folder).expanduser().is_dir()


def saved_run(*, digest: str | None = None, link_key: str | None = None) -> SavedSetup | None:
    """The saved run of a set-up digest or link key (None without a runs folder)."""
    if not runs_folder_exists():
        return None
    from sae_core.runs.digest_index import find_saved_run

    return find_saved_run(digest=digest, link_key=link_key)
