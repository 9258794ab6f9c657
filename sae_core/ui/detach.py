"""A training whose browser went away keeps going, so the class still gets its model.

Streamlit stops a session's script when its websocket closes: a reload, a closed tab, or a
browser that misses the server's pings for 30 s (school wifi; in the 30-session load test,
Chromiums starved of CPU). A Train run stopped that way used to end as a partial model
("paused at step 203") and released the shared cache's claim, so the reloaded page, or every
other student waiting on that set-up, started the same training again from step 0.

:class:`DetachOnDisconnect` wraps the live view's redraws during a full (shared) training: when a
redraw is stopped and the session has no browser connected any more, the run carries on without
drawing, finishes, publishes its model to the session and the server's cache, and the page
shown after the browser reconnects (or the reloaded page, through the cache) has it. A stop
while the browser is still connected (Streamlit's own Stop) and any click (a rerun) still stop
the run at once, as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from streamlit.runtime.scriptrunner_utils.exceptions import StopException

GONE_WAIT_S = 0.5  # Streamlit asks the script to stop just before it marks the session inactive


def browser_connected() -> bool:
    """True while this script's session has a live websocket (True outside a server: AppTest)."""
    from streamlit import runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None or not runtime.exists():
        return True
    return runtime.get_instance().is_active_session(ctx.session_id)


class DetachOnDisconnect:
    """Run ``draw()`` calls until the browser goes; after that, skip them (``detached``).

    ``connected()`` says whether the session's browser is still there; after a stop it is asked
    again for up to ``wait_s`` (the disconnect marks the session inactive right after stopping
    its script).
    """

    def __init__(
        self,
        connected: Callable[[], bool] = browser_connected,
        *,
        wait_s: float = GONE_WAIT_S,
    ) -> None:
        self._connected = connected
        self._wait_s = wait_s
        self.detached = False

    def draw(self, draw: Callable[[], None]) -> None:
        """``draw()``, unless detached; a stop with the browser gone detaches instead of raising."""
        if self.detached:
            return
        try:
            draw()
        except StopException:
            if not self._gone():
                raise  # the user's Stop: the run ends here, as before
            self.detached = True

    def _gone(self) -> bool:
        deadline = time.monotonic() + self._wait_s
        while self._connected():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True
