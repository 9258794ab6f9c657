"""The server's one shared model cache: made on first use, its byte budget, reset and forgotten.

Every Streamlit session of the server runs in this process, so a module global is the server's
cache (:class:`~sae_core.runs.shared_cache.SharedModelCache`); :func:`reset_shared_cache`
replaces it, as a restart would. :mod:`sae_core.ui.shared_models` turns its entries into the
pages' models. Nothing heavy is imported until a cache is made (the first page stays torch-free).
"""

from __future__ import annotations

import math
import os
import sys
import threading
from typing import TYPE_CHECKING

from sae_core.errors import ConfigError

if TYPE_CHECKING:
    from sae_core.runs.shared_cache import SharedModelCache
    from sae_core.ui.state import Current

BUDGET_ENV = "SAE_EXPLORER_MODEL_CACHE_MB"
DEFAULT_BUDGET_MB = 512

_cache: SharedModelCache | None = None
_cache_lock = threading.Lock()


def cache_budget_bytes() -> int:
    """The cache's budget: ``$SAE_EXPLORER_MODEL_CACHE_MB`` megabytes, else 512 MB."""
    raw = os.environ.get(BUDGET_ENV, "").strip()
    if not raw:
        return DEFAULT_BUDGET_MB * 2**20
    try:
        megabytes = float(raw)
    except ValueError:
        megabytes = -1.0
    if not (megabytes >= 0 and math.isfinite(megabytes)):
        raise ConfigError(
            f"{BUDGET_ENV}={raw!r} is not a size: set it to megabytes, e.g. "
            f"{BUDGET_ENV}={DEFAULT_BUDGET_MB} (0 keeps no models)"
        )
    return int(megabytes * 2**20)


def shared_cache() -> SharedModelCache:
    """The server's one cache, made on first use."""
    global _cache
    with _cache_lock:
        if _cache is None:
            from sae_core.runs.shared_cache import SharedModelCache

            _cache = SharedModelCache(cache_budget_bytes())
        return _cache


def existing_cache() -> SharedModelCache | None:
    """The cache if one was made (None: nothing trained or found in this process yet)."""
    return _cache


def reset_shared_cache(budget_bytes: int | None = None) -> SharedModelCache:
    """A new, empty cache in place of the old one, as after a restart (tests reset it)."""
    global _cache
    from sae_core.runs.digest_index import forget_index
    from sae_core.runs.shared_cache import SharedModelCache

    with _cache_lock:
        budget = cache_budget_bytes() if budget_bytes is None else budget_bytes
        _cache = SharedModelCache(budget)
    forget_index()
    return _cache


def forget_shared_cache() -> None:
    """Drop the cache (a new one is made on next use) without importing anything heavy: test
    fixtures call it so that tests never share trained models."""
    global _cache
    with _cache_lock:
        _cache = None
    index = sys.modules.get("sae_core.runs.digest_index")
    if index is not None:
        index.forget_index()


def record_saved(current: Current) -> None:
    """After ``current`` was saved: sessions shown its set-up from the cache learn its run name."""
    cache = existing_cache()
    if cache is not None and current.setup_digest is not None and current.saved_as:
        cache.mark_saved(current.setup_digest, current.saved_as)
