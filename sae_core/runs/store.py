"""Where run folders live on disk and the primitives that keep them whole.

Names are checked before any path is built; files are written and fsynced inside a hidden temp
folder that is renamed into place; temp folders left by a crash are removed once stale.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Mapping
from pathlib import Path

from sae_core.errors import RunError

ENV_VAR = "SAE_EXPLORER_RUNS"
# A run folder's files (runs.format reads and writes them; here so that light readers, such as
# runs.digest_index, need no torch).
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.safetensors"
METRICS_FILE = "metrics.json"
HISTORY_FILE = "history.csv"
TEMP_PREFIX = ".tmp-"
STALE_TEMP_SECONDS = 3600  # younger temp folders may belong to a save still in progress
MAX_NAME_LENGTH = 80
_NAME_RE = re.compile(r"[A-Za-z0-9._-]+")


def runs_root(root: str | Path | None = None) -> Path:
    """The runs folder: ``root`` if given, else ``$SAE_EXPLORER_RUNS``, else ``./runs``."""
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env).expanduser() if env else Path("runs")


def safe_run_name(name: str) -> str:
    """Return ``name`` if it is a safe folder name, else raise RunError saying what is allowed."""
    ok = (
        isinstance(name, str)
        and 1 <= len(name) <= MAX_NAME_LENGTH
        and _NAME_RE.fullmatch(name) is not None
        and not name.startswith(".")
        and ".." not in name
    )
    if not ok:
        shown = repr(name[:40] + "…" if isinstance(name, str) and len(name) > 40 else name)
        raise RunError(
            f"run name {shown} is not allowed: use 1 to {MAX_NAME_LENGTH} letters, "
            "digits, '.', '_' or '-', not starting with '.' and without '..'"
        )
    return name


def run_path(name: str, root: str | Path | None = None) -> Path:
    """The folder of run ``name``; RunError if the name is unsafe or a link leads outside the root."""
    safe_run_name(name)
    base = runs_root(root).resolve()
    path = base / name
    if not path.resolve().is_relative_to(base):
        raise RunError(
            f"run {name!r} points outside the runs folder {base}: "
            "remove the link and save the run inside the folder"
        )
    return path


def write_folder(folder: Path, files: Mapping[str, bytes]) -> None:
    """Create ``folder`` and write each file durably (data and directory entries fsynced)."""
    folder.mkdir()
    for file_name, content in files.items():
        write_synced(folder / file_name, content)
    fsync_dir(folder)


def refuse_existing(final: Path) -> None:
    if os.path.lexists(final):
        raise RunError(
            f"a run named {final.name!r} already exists in {final.parent}: "
            "choose another name or delete that run first"
        )


def write_synced(path: Path, content: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def fsync_dir(path: Path) -> None:
    """Make a rename or a new entry durable; directories cannot be opened on Windows."""
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temps(
    root: str | Path | None = None, max_age_seconds: float = STALE_TEMP_SECONDS
) -> int:
    """Delete temp folders left by crashed saves or deletes; returns how many were removed."""
    base, removed, cutoff = runs_root(root), 0, time.time() - max_age_seconds
    try:
        entries = list(base.iterdir())
    except OSError:
        return 0
    for entry in entries:
        try:
            stale = entry.name.startswith(TEMP_PREFIX) and entry.lstat().st_mtime < cutoff
        except OSError:
            continue
        if stale and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed


def file_source(folder: Path, file_name: str) -> str:
    return f"{file_name} of run {folder.name!r}"


def read_run_file(folder: Path, file_name: str) -> bytes:
    try:
        return (folder / file_name).read_bytes()
    except FileNotFoundError:
        raise RunError(
            f"run {folder.name!r} has no {file_name}: it is incomplete; "
            "delete it and save the model again"
        ) from None
    except OSError as exc:
        raise RunError(
            f"cannot read {file_source(folder, file_name)} ({exc.strerror or exc}): "
            "check the file's permissions"
        ) from None
