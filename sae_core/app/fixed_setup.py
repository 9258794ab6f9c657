"""What a teacher link fixes, as a short read-only summary for students.

A teacher link (``?teacher=1&only=lam``) hides the controls it fixes; students still need to
know what they are training. :func:`fixed_summary` lists each hidden control that applies to
the set-up (k only for TopK, whitening ε only with whitening), with its value as the widget
would show it. The main settings (data source, method, sparsity, size, schedule) are always
listed; the rest (data options, advanced) only where they differ from their defaults.

    fixed_summary({"method": "topk", "k": 8}, frozenset({"method", "k", "hidden"}))
    # [("Data source", "Digits (8×8)"), ("Method", "TopK"), ("k", "8"), ...]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sae_core.app.controls import Control, train_controls
from sae_core.app.link import field_applies, format_value

# Listed even at their defaults: what a student needs to read the results.
MAIN_CONTROLS = frozenset({"src", "method", "lam", "k", "rho", "h", "ep", "seed", "lr", "bs"})
NEVER_LISTED = frozenset({"explain"})  # a group of text, not settings


def _text(control: Control, value: Any) -> str:
    labels = control.option_labels
    if labels is not None and value in labels:  # "TopK: keep the k largest ..." -> "TopK"
        return str(labels[value]).split(": ")[0].strip()
    return format_value(value)


def short_label(control: Control) -> str:
    """The widget label without its parenthesis: ``λ (sparsity weight, log scale)`` -> ``λ``."""
    return control.label.split(" (")[0].strip()


def fixed_summary(values: Mapping[str, Any], hidden: frozenset[str]) -> list[tuple[str, str]]:
    """(label, value text) of each Train control in a ``hidden`` group that applies now.

    ``values``: control link name -> value (absent: the control's default).
    """
    controls = train_controls()
    fields = [c.field for c in controls]
    full = {c.name: values.get(c.name, c.default) for c in controls}
    rows: list[tuple[str, str]] = []
    for c in controls:
        if c.group is None or c.group not in hidden or c.group in NEVER_LISTED:
            continue
        if not field_applies(c.field, full, fields):
            continue
        value = full[c.name]
        if c.name not in MAIN_CONTROLS and value == c.default:
            continue
        rows.append((short_label(c), _text(c, value)))
    return rows
