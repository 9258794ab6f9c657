"""Saved runs by set-up: the second level of the shared model cache (a server restart keeps them).

A run saved from the app records, in ``config.json``'s ``extra``, its set-up digest
(:data:`DIGEST_KEY`, :func:`sae_core.runs.shared_cache.setup_digest`) and its link key
(:data:`LINK_KEY`). :func:`find_saved_run` finds the run of a digest or link key. Runs saved
before the digest existed have neither and are never found (they still list and load).

The index reads each run's small ``config.json`` once and is rebuilt only when the runs folder
changes (its modification time: a save or delete renames a folder inside it).

    found = find_saved_run(digest="3f1c…")   # SavedSetup(path, digest, link_key), or None
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

from sae_core.runs.store import CONFIG_FILE, runs_root

DIGEST_KEY = "setup_digest"
LINK_KEY = "link_key"


@dataclass(frozen=True)
class SavedSetup:
    """A saved run of a known set-up: its folder, digest and link key (None if not recorded)."""

    path: Path
    digest: str
    link_key: str | None = None


@dataclass(frozen=True)
class _Index:
    root: Path
    stamp: int  # the folder's mtime in ns when read
    by_digest: dict[str, SavedSetup]
    by_link: dict[str, SavedSetup]


_lock = threading.Lock()
_index: _Index | None = None


def _read_keys(folder: Path) -> tuple[str | None, str | None]:
    """(digest, link key) a run's config records; (None, None) for older or unreadable runs."""
    try:
        data = json.loads((folder / CONFIG_FILE).read_bytes())
    except (OSError, ValueError):
        return None, None
    extra = data.get("extra") if isinstance(data, dict) else None
    if not isinstance(extra, dict):
        return None, None
    digest, link = extra.get(DIGEST_KEY), extra.get(LINK_KEY)
    return (
        digest if isinstance(digest, str) and digest else None,
        link if isinstance(link, str) and link else None,
    )


def _build(root: Path, stamp: int) -> _Index:
    by_digest: dict[str, SavedSetup] = {}
    by_link: dict[str, SavedSetup] = {}
    # in name order; two runs of one digest hold the same weights (training is deterministic)
    for folder in sorted(root.iterdir()):
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        digest, link = _read_keys(folder)
        if digest is None:  # saved before digests, or not a run
            continue
        found = SavedSetup(folder, digest, link)
        by_digest[digest] = found
        if link is not None:
            by_link[link] = found
    return _Index(root, stamp, by_digest, by_link)


def _current_index(root: str | Path | None) -> _Index | None:
    global _index
    base = runs_root(root).resolve()
    try:
        stamp = base.stat().st_mtime_ns
    except OSError:  # no runs folder yet: nothing saved
        return None
    with _lock:
        if _index is None or _index.root != base or _index.stamp != stamp:
            _index = _build(base, stamp)
        return _index


def find_saved_run(
    *, digest: str | None = None, link_key: str | None = None, root: str | Path | None = None
) -> SavedSetup | None:
    """The saved run recorded with ``digest`` (else with ``link_key``), or None."""
    index = _current_index(root)
    if index is None:
        return None
    found = index.by_digest.get(digest) if digest is not None else None
    if found is None and link_key is not None:
        found = index.by_link.get(link_key)
    if found is not None and not found.path.is_dir():  # deleted within the folder's mtime tick
        return None
    return found


def forget_index() -> None:
    """Drop the index (tests that rewrite a run in place, where the folder's mtime stays)."""
    global _index
    with _lock:
        _index = None
