"""A set-up as a link: URL query values <-> validated control values, with teacher-mode flags.

Pure (no Streamlit) and generic: the app's fields and teacher-mode groups come from the control
registry (:mod:`sae_core.app.controls`), which derives each :class:`Field`. Parsing never
raises: unknown names, wrong types and out-of-range values are dropped or clamped, and every
change is reported as a one-line notice. Encoding writes only values that differ from
their defaults, so a default set-up is an empty query.

    fields = (Field(name="lam", key="train_lam", kind="grid", default=0.1, choices=LAM_GRID),)
    parsed = parse_setup({"lam": "0.15", "x": "1"}, fields)  # lam -> 0.2, x ignored, 2 notices
    encode_setup(parsed.values, fields)                       # {"lam": "0.2"}

over 300 lines: one link format, its parsing and its encoding side by side (values, then the
teacher flags); split, the two halves of each round trip would sit in different files.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

KINDS = ("choice", "grid", "int", "float", "bool", "text")
TEXT_MAX = 300  # characters kept from a text value (folder paths, label columns)
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")

TEACHER_NAMES = ("teacher", "hide", "only", "pages")


@dataclass(frozen=True, kw_only=True)
class Field:
    """One control in the URL: its query name, widget key, kind, default and allowed values.

    ``choices`` lists a choice's options or a grid's slider values; ``lo``/``hi`` bound ints and
    floats; ``decimals`` rounds floats. ``when = (other, values)`` writes the field only while
    field ``other`` has one of ``values`` (k only for TopK), though it is always read.
    """

    name: str
    key: str
    kind: str
    default: Any
    choices: tuple[Any, ...] = ()
    lo: float | None = None
    hi: float | None = None
    decimals: int | None = None
    when: tuple[str, tuple[Any, ...]] | None = None


# ``go=1``: train the link's set-up on opening it. Not a control: read once, never written back.
GO_FIELD = Field(name="go", key="", kind="bool", default=False)


@dataclass(frozen=True)
class Teacher:
    """Teacher mode: on or off, the control groups hidden from students, the pages they see.

    The groups a link may name are the registry's (``sae_core.app.controls.GROUPS``); the
    functions below take them as ``groups``. ``pages``: the page names students may open, in
    navigation order (empty: every page); a link names them ``pages=train,filters``.
    """

    enabled: bool = False
    hidden: frozenset[str] = frozenset()
    pages: tuple[str, ...] = ()

    def shows_page(self, name: str) -> bool:
        """Whether page ``name`` is open to students (always, outside a ``pages=`` link)."""
        return not self.pages or name in self.pages


@dataclass(frozen=True, kw_only=True)
class ParsedSetup:
    values: dict[str, Any]  # field name -> valid value (only the fields the query set)
    notices: list[str] = field(default_factory=list)
    teacher: Teacher = Teacher()


def format_value(value: Any) -> str:
    """Compact text that reads back to exactly ``value`` (``1e-05``, ``4``, ``0.3``, ``1``)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def snap_to_grid(value: float, grid: Iterable[float]) -> Any:
    """The grid value nearest ``value`` on a log scale (0 and below: the smallest value)."""
    values = sorted(grid)
    positive = [g for g in values if g > 0]
    if value <= 0 or not positive:
        return values[0]
    return min(positive, key=lambda g: abs(math.log(g) - math.log(value)))


def _number(raw: str) -> float | None:
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _clamp(f: Field, value: float) -> float:
    lo = -math.inf if f.lo is None else f.lo
    hi = math.inf if f.hi is None else f.hi
    return min(max(value, lo), hi)


def _parse_numeric(f: Field, raw: str) -> tuple[Any, str | None]:
    number = _number(raw)
    if number is None:
        return None, f"{f.name}={raw!r} is not a number: ignored"
    if f.kind == "grid":
        value: Any = snap_to_grid(number, f.choices)
        snapped = f"{f.name}={raw} is not a slider value: using {format_value(value)}"
        return value, None if value == number else snapped
    if f.kind == "int" and not number.is_integer():
        return None, f"{f.name}={raw} is not a whole number: ignored"
    clamped = _clamp(f, number)
    if clamped != number:
        note: str | None = f"{f.name}={raw} is out of range: using {format_value(clamped)}"
    elif f.decimals is not None and round(number, f.decimals) != number:
        note = f"{f.name}={raw} rounded to {f.decimals} decimals"
    else:
        note = None
    if f.kind == "int":
        return int(clamped), note
    return clamped if f.decimals is None else round(clamped, f.decimals), note


def _parse_text(f: Field, raw: str) -> tuple[Any, str | None]:
    if f.kind == "bool":
        word = raw.strip().lower()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS, None
        return None, f"{f.name}={raw!r} is not on/off (1 or 0): ignored"
    if f.kind == "choice":
        match = [c for c in f.choices if str(c).lower() == raw.strip().lower()]
        if match:
            return match[0], None
        allowed = ", ".join(str(c) for c in f.choices)
        return None, f"{f.name}={raw!r} is not one of {allowed}: ignored"
    text = "".join(c for c in raw if c.isprintable()).strip()
    note = None if text == raw else f"{f.name}: cleaned to {text[:TEXT_MAX]!r}"
    if len(text) > TEXT_MAX:
        note = f"{f.name}: longer than {TEXT_MAX} characters, cut"
    return text[:TEXT_MAX], note


def parse_value(f: Field, raw: str) -> tuple[Any, str | None]:
    """(valid value or None, notice or None) for one raw query value."""
    if f.kind in ("grid", "int", "float"):
        return _parse_numeric(f, raw)
    return _parse_text(f, raw)


def is_valid(f: Field, value: Any) -> bool:
    """Whether ``value`` could be this field's widget value."""
    if f.kind in ("choice", "grid"):
        return value in f.choices
    if f.kind == "bool":
        return isinstance(value, bool)
    if f.kind == "text":
        return isinstance(value, str) and len(value) <= TEXT_MAX
    kind_ok = isinstance(value, int) if f.kind == "int" else isinstance(value, float)
    return kind_ok and not isinstance(value, bool) and _clamp(f, value) == value


def _last(raw: Any) -> str:
    """A repeated query name keeps its last value (as ``st.query_params`` does)."""
    if isinstance(raw, (list, tuple)):
        return str(raw[-1]) if raw else ""
    return str(raw)


def _groups(
    raw: str, notices: list[str], name: str, groups: Sequence[str], what: str = "control(s)"
) -> set[str]:
    words = {w.strip().lower() for w in raw.split(",") if w.strip()}
    unknown = sorted(words - set(groups))
    if unknown:
        notices.append(f"{name}: unknown {what} {', '.join(unknown)} ignored")
    return words & set(groups)


def parse_teacher(
    query: Mapping[str, Any],
    notices: list[str],
    groups: Sequence[str] = (),
    pages: Sequence[str] = (),
) -> Teacher:
    """``teacher=1``, ``hide=data,method`` and/or ``only=lam`` (hide all ``groups`` but these),
    ``pages=train,filters`` (of ``pages``: students see only these)."""
    hidden: set[str] = set()
    if "hide" in query:
        hidden |= _groups(_last(query["hide"]), notices, "hide", groups)
    if "only" in query:
        hidden |= set(groups) - _groups(_last(query["only"]), notices, "only", groups)
    shown: tuple[str, ...] = ()
    if "pages" in query:
        named = _groups(_last(query["pages"]), notices, "pages", pages, "page(s)")
        shown = tuple(p for p in pages if p in named)
    flag = _last(query.get("teacher", "0")).strip().lower()
    if flag not in TRUE_WORDS + FALSE_WORDS:
        notices.append(f"teacher={flag!r} is not on/off (1 or 0): ignored")
    enabled = flag in TRUE_WORDS or bool(hidden) or bool(shown)
    return Teacher(enabled=enabled, hidden=frozenset(hidden), pages=shown)


def parse_setup(
    query: Mapping[str, Any], fields: Iterable[Field], groups: Sequence[str] = ()
) -> ParsedSetup:
    """Valid values for the fields ``query`` names; notices for everything dropped or changed.

    ``groups``: the teacher-mode groups ``hide=`` and ``only=`` may name; ``pages=`` may name
    the choices of the ``page`` field. A ``page`` a ``pages=`` list leaves out is dropped.
    """
    by_name = {f.name: f for f in fields}
    values: dict[str, Any] = {}
    notices: list[str] = []
    known = (*TEACHER_NAMES, GO_FIELD.name)
    unknown = sorted(str(n) for n in query if n not in by_name and n not in known)
    if unknown:
        notices.append(f"unknown setting(s) ignored: {', '.join(unknown)}")
    for name, raw in query.items():
        f = by_name.get(name)
        if f is None:
            continue
        value, note = parse_value(f, _last(raw))
        if note:
            notices.append(note)
        if value is not None:
            values[name] = value
    if GO_FIELD.name in query:  # read by the app on opening (sae_core/ui/open_link.py)
        go_note = parse_value(GO_FIELD, _last(query[GO_FIELD.name]))[1]
        notices.extend([go_note] if go_note else [])
    page = by_name.get("page")
    teacher = parse_teacher(query, notices, groups, page.choices if page is not None else ())
    if "page" in values and not teacher.shows_page(values["page"]):
        notices.append(f"page={values.pop('page')} is not among pages={','.join(teacher.pages)}")
    return ParsedSetup(values=values, notices=notices, teacher=teacher)


def _applies(
    f: Field, values: Mapping[str, Any], defaults: Mapping[str, Any], by_name: Mapping[str, Field]
) -> bool:
    """``f``'s condition holds, and so does the condition of the field it depends on (whitening
    ε applies when whitening is on, which applies only to patches)."""
    if f.when is None:
        return True
    other, allowed = f.when
    parent = by_name.get(other)
    return values.get(other, defaults.get(other)) in allowed and (
        parent is None or _applies(parent, values, defaults, by_name)
    )


def encode_teacher(teacher: Teacher, groups: Sequence[str]) -> dict[str, str]:
    """``teacher=1``, ``hide=…`` or ``only=…`` (of ``groups``, in order), whichever is shorter,
    and ``pages=…`` when the pages are limited."""
    if not teacher.enabled:
        return {}
    params = {"teacher": "1"}
    if teacher.hidden:
        hide = ",".join(g for g in groups if g in teacher.hidden)
        only = ",".join(g for g in groups if g not in teacher.hidden)
        params.update({"hide": hide} if len(hide) <= len(only) else {"only": only})
    if teacher.pages:
        params["pages"] = ",".join(teacher.pages)
    return params


def field_applies(f: Field, values: Mapping[str, Any], fields: Iterable[Field]) -> bool:
    """Whether ``f`` applies to the set-up ``values`` (field name -> value; absent: default):
    k only for TopK, whitening ε only with whitening on patches."""
    fields = tuple(fields)
    defaults = {g.name: g.default for g in fields}
    return _applies(f, values, defaults, {g.name: g for g in fields})


def encode_setup(
    values: Mapping[str, Any],
    fields: Iterable[Field],
    teacher: Teacher | None = None,
    groups: Sequence[str] = (),
) -> dict[str, str]:
    """Query values for the fields that differ from their defaults (and apply), in field order,
    then the ``teacher`` flags (naming its hidden ``groups``)."""
    fields = tuple(fields)
    defaults = {f.name: f.default for f in fields}
    by_name = {f.name: f for f in fields}
    params: dict[str, str] = {}
    for f in fields:
        if f.name not in values or values[f.name] == f.default:
            continue
        if _applies(f, values, defaults, by_name):
            params[f.name] = format_value(values[f.name])
    return {**params, **encode_teacher(teacher or Teacher(), groups)}


def query_string(params: Mapping[str, str]) -> str:
    """``method=topk&k=16&hide=data,method``: commas, colons and slashes left readable."""
    return urlencode(dict(params), safe=",:/")


def setup_key(values: Mapping[str, Any], fields: Iterable[Field]) -> str:
    """A short name (32 hex digits) of the set-up ``values`` describe over ``fields``.

    Every field that applies counts, at its value or else its default, and nothing else, so the
    links ``?method=l1`` and ``?method=l1&k=8`` (k ignored by L1), or one naming a default,
    name the same set-up. The app's shared model cache finds a link's model by it.
    """
    fields = tuple(fields)
    full = {f.name: values.get(f.name, f.default) for f in fields}
    canon = {f.name: format_value(full[f.name]) for f in fields if field_applies(f, full, fields)}
    text = json.dumps(canon, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]
