"""What a control is (:class:`Control`), the teacher-mode groups, and the defaults controls mirror."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any

from sae_core.app.link import KINDS, Field
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.data.patches import PatchSpec
from sae_core.data.synthetic import DEFAULT_MEAN_ACTIVE, SyntheticSpec
from sae_core.data.toy.source import ToySourceSpec

# Teacher mode: the groups of Train controls a link can hide ("explain": the explanatory text).
GROUP_LABELS: dict[str, str] = {
    "data": "data source and its options",
    "method": "method",
    "lam": "λ",
    "k": "k (TopK)",
    "rho": "ρ (KL)",
    "hidden": "hidden size",
    "epochs": "epochs",
    "seed": "seed",
    "lr": "learning rate",
    "batch": "batch size",
    "advanced": "advanced options",
    "explain": "explanatory text",
}
GROUPS: tuple[str, ...] = tuple(GROUP_LABELS)
CONFIGS = ("sae", "train", "data")  # what a control's ``sets`` names the field of


@dataclass(frozen=True, kw_only=True)
class Control:
    """One control: what it sets, how it is drawn, how a link names it, who may hide it.

    ``sets``: the config field it sets, ``"sae.<field>"`` (:class:`SAEConfig`),
    ``"train.<field>"`` (:class:`TrainConfig`) or ``"data.<option>"`` (a ``load_dataset``
    option; ``"data.source"`` and ``"data.path"`` are the two halves of a ``source:path`` data
    spec); None for an analysis page's own control. ``widget``: the Streamlit widget that draws it (``"select_slider"``). ``kind``,
    ``choices``, ``lo``/``hi``, ``decimals`` and ``when`` are its link format (:class:`Field`):
    ``when = (other, values)`` means it applies only while control ``other`` holds one of
    ``values``. ``step`` and ``option_labels`` (each choice as shown) are the widget's.
    ``group``: the teacher-mode group that hides it (None: never hidden). ``off``: the value
    that stands for the config field's None (Target L0's 0 = unset); None when the field always
    holds a value.
    """

    name: str  # in a link: ?lam=0.1
    key: str  # the widget's key in st.session_state
    kind: str
    widget: str
    label: str
    default: Any
    sets: str | None = None
    choices: tuple[Any, ...] = ()
    option_labels: Mapping[Any, str] | None = None
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    decimals: int | None = None
    help: str | None = None
    group: str | None = None
    when: tuple[str, tuple[Any, ...]] | None = None
    off: Any = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"control {self.name}: kind={self.kind!r}, choose one of {KINDS}")
        if self.group is not None and self.group not in GROUPS:
            raise ValueError(f"control {self.name}: group={self.group!r}, choose one of {GROUPS}")
        if self.sets is not None and self.sets.partition(".")[0] not in CONFIGS:
            raise ValueError(f"control {self.name}: sets={self.sets!r}, not a field of {CONFIGS}")

    @property
    def config(self) -> str:
        """``"sae"``, ``"train"`` or ``"data"``: whose field it sets ("" for a page's own)."""
        return "" if self.sets is None else self.sets.partition(".")[0]

    @property
    def config_field(self) -> str:
        """The field or data option it sets, without the config: ``lam``, ``n_samples``."""
        return "" if self.sets is None else self.sets.partition(".")[2]

    @property
    def field(self) -> Field:
        """The control in the link format."""
        return Field(
            name=self.name,
            key=self.key,
            kind=self.kind,
            default=self.default,
            choices=self.choices,
            lo=self.lo,
            hi=self.hi,
            decimals=self.decimals,
            when=self.when,
        )

    def to_config(self, value: Any) -> Any:
        """The config field's value for the control's ``value`` (None where it is ``off``)."""
        return None if self.off is not None and value == self.off else value

    def from_config(self, value: Any) -> Any:
        """The control's value for the config field's ``value`` (``off`` for None; a tuple, such
        as Matryoshka's prefixes, as comma-separated text)."""
        if isinstance(value, (tuple, list)):
            return ",".join(str(v) for v in value)
        return self.off if value is None else value

    def applies(self, value: Any) -> bool:
        """Whether it applies while its ``when`` control holds ``value`` (always without one)."""
        return self.when is None or value in self.when[1]


def _dataclass_defaults(cls: type) -> dict[str, Any]:
    return {f.name: f.default for f in fields(cls) if f.default is not MISSING}


def _keyword_defaults(function: Any) -> dict[str, Any]:
    parameters = inspect.signature(function).parameters.values()
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


def config_defaults() -> dict[str, Any]:
    """What each ``sets`` starts at: ``"sae.lam"`` -> 0.1, ``"data.n_samples"`` -> 8192, …

    Read from the configs, the data specs and ``load_dataset``'s keywords, never copied.
    """
    data = {
        **_dataclass_defaults(ToySourceSpec),  # first: synthetic's shared names win
        **_dataclass_defaults(PatchSpec),
        **_dataclass_defaults(SyntheticSpec),
        "mean_active": DEFAULT_MEAN_ACTIVE,  # the spec's None: this many features per sample
        **_keyword_defaults(load_dataset),
    }
    return {
        **{f"sae.{k}": v for k, v in _dataclass_defaults(SAEConfig).items()},
        **{f"train.{k}": v for k, v in _dataclass_defaults(TrainConfig).items()},
        **{f"data.{k}": v for k, v in data.items()},
    }


def declare(defaults: Mapping[str, Any], **attributes: Any) -> Control:
    """A :class:`Control`; without a ``default``, the default of the field it ``sets``."""
    if "default" not in attributes:
        default = defaults[attributes["sets"]]
        attributes["default"] = attributes.get("off") if default is None else default
    return Control(**attributes)


def option_text(values: tuple[float, ...]) -> dict[float, str]:
    """Each number as ``f"{v:g}"`` (1e-05, 0.3): labels of a log grid's options."""
    return {v: f"{v:g}" for v in values}
