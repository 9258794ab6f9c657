"""'Reproduce in Python': the shown model's set-up as a script using sae_core's public API."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from sae_core.app.snippet import reproduce_snippet
from sae_core.ui.state import Current


def snippet_for(current: Current) -> str:
    """The script for ``current`` (an uploaded file becomes a path the user fills in).

    A paused or stepped model stops where it stopped: ``steps`` = its step count (the same
    batches and schedule as the run, cut there).
    """
    data = current.data
    spec = f"/path/to/{data.upload_name}" if data.upload_name else data.spec
    train = current.train_config
    if not current.finished and train.steps != current.steps:
        train = replace(train, steps=current.steps)
    return reproduce_snippet(spec, data.options, current.sae_config, train)


def render_reproduce(current: Current) -> None:
    """An expander with the runnable script (``st.code`` has a copy button)."""
    with st.expander("Reproduce in Python", icon=":material/code:"):
        st.caption(
            "Run it where `sae_core` is installed (`pip install -e .` in this project): same "
            "data, same configs and seed, so the same metrics up to floating-point noise."
        )
        if current.data.upload_name:
            st.caption(f"Trained on an upload: put the path of **{current.data.upload_name}** in.")
        st.code(snippet_for(current), language="python")
