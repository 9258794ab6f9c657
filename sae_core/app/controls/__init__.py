"""The control registry: every Train and analysis-page control declared once.

A :class:`Control` (``spec.py``) says which config field it sets, how it is drawn (widget,
label, help, bounds or choices), its default, its name in a link and the teacher-mode group
that can hide it, as tensorflow/playground's ``state.ts`` does. The declarations: ``data.py``
(data source and options), ``model.py`` (method, λ, k, ρ, d_sae, schedule, advanced) and
``analysis.py`` (the analysis pages' own controls). Everything else derives from them:

- the link format, :func:`link_fields` (parse and encode in :mod:`sae_core.app.link`);
- the Train form and data picker (``sae_core/ui/config_form.py``, ``data_picker.py``) and the
  analysis pages, which draw each widget from its entry (``sae_core/ui/keep.py``);
- adopting a shown model's set-up into the controls (``sae_core/ui/adopt.py``), through
  :func:`config_controls`.

Built on each call, not at import: the method select lists the methods registered by then, and
a folder's default is its environment variable's value now.

    controls = by_name(train_controls())
    controls["ep"].lo, controls["ep"].hi, controls["ep"].default   # 1, 1000, TrainConfig().epochs
"""

from __future__ import annotations

from collections.abc import Iterable

from sae_core.app.controls.analysis import (
    ATOMS_PER_PAGE,
    FILTER_WEIGHTS,
    PICKED_BY_PAGE,
    RECON_MODES,
    UNIT_CHOICES,
    analysis_controls,
)
from sae_core.app.controls.data import (
    FOLDER_SOURCES,
    PREPROCESS_CHOICES,
    data_controls,
)
from sae_core.app.controls.model import (
    K_MAX,
    LAM_GRID,
    advanced_controls,
    model_controls,
)
from sae_core.app.controls.spec import GROUP_LABELS, GROUPS, Control, config_defaults
from sae_core.app.link import Field
from sae_core.app.pages import PAGE_NAMES

__all__ = [
    "ATOMS_PER_PAGE",
    "FILTER_WEIGHTS",
    "FOLDER_SOURCES",
    "GROUPS",
    "GROUP_LABELS",
    "K_MAX",
    "LAM_GRID",
    "PICKED_BY_PAGE",
    "PREPROCESS_CHOICES",
    "RECON_MODES",
    "UNIT_CHOICES",
    "Control",
    "analysis_controls",
    "by_key",
    "by_name",
    "config_controls",
    "link_fields",
    "train_controls",
]


def train_controls() -> tuple[Control, ...]:
    """The Train page's controls: data, then model and training, then advanced (link order)."""
    defaults = config_defaults()
    return (*data_controls(defaults), *model_controls(defaults), *advanced_controls(defaults))


def config_controls(config: str) -> dict[str, Control]:
    """The Train controls that set a field of ``config`` (``"sae"``, ``"train"``), by field."""
    return {c.config_field: c for c in train_controls() if c.config == config}


def page_field() -> Field:
    """``page=``: which page a link opens (the first, Start, when absent)."""
    return Field(name="page", key="", kind="choice", default=PAGE_NAMES[0], choices=PAGE_NAMES)


def link_fields() -> tuple[Field, ...]:
    """The link format: the page, the Train controls, then the analysis pages' controls."""
    return (page_field(), *(c.field for c in (*train_controls(), *analysis_controls())))


def by_name(controls: Iterable[Control]) -> dict[str, Control]:
    return {c.name: c for c in controls}


def by_key(controls: Iterable[Control]) -> dict[str, Control]:
    return {c.key: c for c in controls}
