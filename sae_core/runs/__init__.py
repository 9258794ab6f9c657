"""Saved runs: one folder each under the runs root, written atomically, listed as a DataFrame.

A save writes every file into a hidden ``.tmp-*`` folder inside the root, fsyncs it, then renames it
to its final name in one step, so a crash at any moment leaves either the whole run or nothing that
the listing shows. Loading never unpickles (safetensors + JSON, see ``runs.format``).

The package's names load on first use (PEP 562): saving and loading need torch, but a light
submodule (:mod:`sae_core.runs.store`, :mod:`sae_core.runs.digest_index`) must not pull it in,
since importing any submodule runs this file first, and the app's first page looks up saved runs
before torch has loaded (issue 15: an instant first page). The code lives in
:mod:`sae_core.runs.folders`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sae_core.runs.folders import (
        ENV_VAR,
        LoadedRun,
        check_run_compatible,
        default_run_name,
        delete_run,
        list_broken_runs,
        list_runs,
        load_run,
        model_bytes,
        remove_stale_temps,
        run_files,
        run_path,
        runs_root,
        safe_run_name,
        save_run,
    )

__all__ = [
    "ENV_VAR",
    "LoadedRun",
    "check_run_compatible",
    "default_run_name",
    "delete_run",
    "list_broken_runs",
    "list_runs",
    "load_run",
    "model_bytes",
    "remove_stale_temps",
    "run_files",
    "run_path",
    "runs_root",
    "safe_run_name",
    "save_run",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("sae_core.runs.folders"), name)
    raise AttributeError(f"module 'sae_core.runs' has no attribute {name!r}")
