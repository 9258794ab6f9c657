"""The Train page's ``net`` widgets: base data (digits, or MNIST with its folder) and shape."""

from __future__ import annotations

from typing import Any

import streamlit as st

from sae_core.app.controls import Control
from sae_core.ui.keep import draw_control


def net_options(c: dict[str, Control]) -> tuple[str, dict[str, Any]]:
    """Base, width, hidden layers, layer -> (``net:digits`` / ``net:mnist[:FOLDER]``, options).

    A layer beyond the hidden layers is passed on: loading gives the source's own error."""
    c1, c2, c3, c4 = st.columns(4)
    base = str(draw_control(c["nbase"], c1))
    width = draw_control(c["nw"], c2)
    hidden = draw_control(c["nhl"], c3)
    layer = draw_control(c["nl"], c4)
    spec = f"net:{base}"
    if base == "mnist":
        folder = str(draw_control(c["mdir"], placeholder="/path/to/mnist") or "").strip()
        spec = f"{spec}:{folder}" if folder else spec
    return spec, {"width": int(width), "hidden_layers": int(hidden), "layer": int(layer)}
