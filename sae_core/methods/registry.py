"""The registry: register, look up and list methods (one entry per method)."""

from __future__ import annotations

from collections.abc import Iterator

from sae_core.methods.spec import Method

_REGISTRY: dict[str, Method] = {}


def register(method: Method) -> Method:
    """Add ``method`` to the registry (a name already there is replaced); returns it."""
    _REGISTRY[method.name] = method
    return method


def unregister(name: str) -> None:
    """Remove a method (tests that register a toy method clean up with this)."""
    _REGISTRY.pop(name, None)


def get(name: str) -> Method:
    """The method called ``name``; KeyError names the known ones."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown method {name!r}: choose one of {', '.join(_REGISTRY)}") from None


def names() -> tuple[str, ...]:
    """Registered method names, in registration order (the order forms list them)."""
    return tuple(_REGISTRY)


def all_methods() -> Iterator[Method]:
    return iter(tuple(_REGISTRY.values()))


TARGET_L0_VIA: dict[str, str] = {
    "k": "k = round(target): TopK keeps exactly that many",
    "own": "the method's own loss pulls L0 toward the target",
    "lam": "a controller moves λ until the running L0 settles at the target",
}
"""How a method meets a target L0 (:attr:`Method.target_l0_via`), in words for captions."""


def with_target_l0() -> tuple[str, ...]:
    """Names of the methods whose sparsity a target L0 can set."""
    return tuple(m.name for m in _REGISTRY.values() if m.takes_target_l0)


def with_knob(knob: str) -> tuple[str, ...]:
    """Names of the methods that read ``knob`` (``"lam"``, ``"k"``, ``"rho"``)."""
    return tuple(m.name for m in _REGISTRY.values() if knob in m.knobs)
