"""Turn errors into messages: users see what went wrong and how to fix it, never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from sae_core.errors import SAEExplorerError

log = logging.getLogger("sae_explorer")


@contextmanager
def user_errors(action: str) -> Iterator[None]:
    """Run a block; a user error becomes ``st.error``, a bug becomes a short message (logged)."""
    try:
        yield
    except SAEExplorerError as exc:
        st.error(f"{action} failed: {exc}", icon=":material/error:")
    except MemoryError:
        st.error(
            f"{action} failed: not enough memory. Use fewer samples or a smaller hidden size.",
            icon=":material/error:",
        )
    except Exception as exc:  # a bug: keep the app alive, keep the details in the server log
        log.exception("unexpected error during %s", action)
        st.error(
            f"{action} failed unexpectedly ({type(exc).__name__}: {exc}). Nothing saved was "
            "changed; try other settings, or report this.",
            icon=":material/bug_report:",
        )
