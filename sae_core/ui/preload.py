"""Load torch, scikit-learn and the trainer in the background, once per server process.

The Start page needs none of them (issue 15: an instant first page;
``tests/pages/test_first_page.py`` keeps its imports free of them), yet the first Train or
scenario click would otherwise wait seconds for their imports (issue 15 measured torch at 2.6 s
and scikit-learn at 1.1 s). app.py calls :func:`start_preload` after every script run, so the
first page is drawn before the thread competes for the interpreter; the first call starts one
daemon thread that imports :data:`PRELOAD_MODULES`. A Train clicked meanwhile imports the same
modules and waits on Python's per-module import lock for what the thread has begun: nothing is
imported twice, and nobody waits longer than the imports themselves take.
"""

from __future__ import annotations

import gc
import importlib
import logging
import threading

# What the Train page, the quick start and the scenarios need beyond the Start page's imports:
# the trainer and torch, metrics with scikit-learn's probe and SciPy's matching, the curves.
PRELOAD_MODULES: tuple[str, ...] = (
    "torch",
    "sae_core.training.fit",
    "sklearn.linear_model",
    "scipy.optimize",
    "sae_core.figures.curves",
)
THREAD_NAME = "sae-preload"

_lock = threading.Lock()
_thread: threading.Thread | None = None
_log = logging.getLogger(__name__)


def start_preload() -> threading.Thread:
    """Start the preload thread if this process has none yet; return it (cheap after the first)."""
    global _thread
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=_preload, name=THREAD_NAME, daemon=True)
            _thread.start()
        return _thread


def _preload() -> None:
    """Import each of :data:`PRELOAD_MODULES` (a failure is logged, the rest still load)."""
    for name in PRELOAD_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # the click that needs it imports it again and shows the error there
            _log.exception("preloading %s failed", name)
    # Like server.freeze_startup_objects (which ran before these imports existed): torch's and
    # scikit-learn's ~190 000 long-lived objects leave the collector's full passes
    gc.freeze()
