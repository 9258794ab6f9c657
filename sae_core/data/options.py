"""A data source's keyword options, with defaults read from the spec or function they feed."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True, kw_only=True)
class SourceOption:
    """One keyword option of a source, as ``load_dataset(..., name=value)`` takes it."""

    name: str
    help: str = ""
    choices: tuple[str, ...] = ()
    # None: read from the spec or function the option feeds (see :func:`options_of`); stated
    # only where the spec's own default is None standing for a computed value
    default: Any = None
    unless: str | None = None  # the default holds only while this other option is unset
    bounds: tuple[float, float] | None = None  # (low, high) inclusive, the spec's own limits

    @property
    def help_line(self) -> str:
        """Choices, help, bounds and default in one line: ``none | zca | pca (default none)``."""
        text = " | ".join(self.choices)
        if self.help:
            text = f"{text}: {self.help}" if text else self.help
        if self.bounds is not None:
            text = f"{text}, {_shown(self.bounds[0])}..{_shown(self.bounds[1])}"
        return text if self.default is None else f"{text} (default {_shown(self.default)})"


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:g}" if isinstance(value, float) else str(value)


def keyword_defaults(owner: Callable[..., Any]) -> dict[str, Any]:
    """The keyword defaults of a function or (data)class: ``PatchSpec`` -> {"patch_size": 8, …}."""
    parameters = inspect.signature(owner).parameters.values()
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


def options_of(owner: Callable[..., Any], *options: SourceOption) -> tuple[SourceOption, ...]:
    """``options`` with their defaults read from ``owner``, the spec or function they feed."""
    defaults = keyword_defaults(owner)
    unknown = [o.name for o in options if o.name not in defaults]
    if unknown:  # a renamed spec field must not leave a stale option behind
        raise ValueError(f"{owner.__name__} takes no keyword {', '.join(unknown)}")
    return tuple(
        o if o.default is not None else replace(o, default=defaults[o.name]) for o in options
    )
