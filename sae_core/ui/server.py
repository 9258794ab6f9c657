"""Process-wide settings for the Streamlit server that runs the app.

Every session's script runs in a thread of one Python process, beside the event loop that answers
HTTP requests (``/_stcore/health`` included) and websocket traffic. Under a classroom's load most
of those threads compute (training, figures) and the event loop spends its time waiting to get the
GIL back after each socket call: py-spy on the 10-session load test showed the loop blocked for
up to 3.6 s at a time in ``socket.write`` and ``Thread.start`` (docs/robustness.md, Load test).
"""

from __future__ import annotations

import gc
import sys

# CPython makes a thread that holds the GIL give it up only after it has run this long (default
# 5 ms). The event loop releases the GIL for every socket call and waits about that long to get
# it back behind each busy script thread. In the 10-session load test (browsers at idle priority)
# health answers peaked at 1.6 s with 5 ms and at 0.58-0.89 s in three runs with 0.5 ms. Compute
# barely notices: torch and the NumPy matmuls release the GIL for their arithmetic anyway.
SWITCH_INTERVAL_S = 0.0005


def tune_interpreter() -> None:
    """Apply the settings (idempotent; the first run of any session applies them)."""
    if sys.getswitchinterval() != SWITCH_INTERVAL_S:
        sys.setswitchinterval(SWITCH_INTERVAL_S)
    freeze_startup_objects()


def freeze_startup_objects() -> None:
    """Once per process: move the objects alive now (streamlit, plotly and the core after app.py's
    imports; torch and scikit-learn, which load later, are frozen by :mod:`sae_core.ui.preload`)
    out of the garbage collector's reach.

    A full collection walks every tracked object; with these it took 170 ms and landed inside a
    page's script run now and then (a 225 ms Activations visit against 47 ms usually, 5b in
    docs/benchmarks.md); without them, 10 ms. They live as long as the process anyway, and what
    sessions create later is collected as before.
    """
    if gc.get_freeze_count() == 0:
        gc.collect()  # free what is already garbage rather than keep it forever
        gc.freeze()
