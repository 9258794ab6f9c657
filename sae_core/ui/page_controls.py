"""The analysis pages' controls, drawn from the control registry (``sae_core/app/controls``).

Their widget, label, default, choices, bounds and help are declared once there, where the link
format reads them too (``?page=filters&lat=17`` opens latent #17); a page passes only what
depends on its model (``max_value=d_sae - 1``) and its layout (``horizontal=True``).

    n = draw_page_control("recon_n", middle)
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from sae_core.app.controls import Control, analysis_controls, by_key
from sae_core.ui.keep import draw_control

_CONTROLS = by_key(analysis_controls())


def page_control(key: str) -> Control:
    """The registry entry of an analysis page's control, by widget key."""
    return _CONTROLS[key]


def draw_page_control(key: str, where: Any = st, **overrides: Any) -> Any:
    """Draw control ``key`` in ``where`` (``st`` or a column) as a kept widget; its value.

    ``overrides`` replace the registry's keywords (narrower bounds, fewer options, a default
    worked out from the model).
    """
    return draw_control(_CONTROLS[key], where, **overrides)
