"""Make the Train controls hold a model's set-up (a scenario's, a loaded run's, the quick start's).

Without it, a scenario shows a ZCA-patches TopK model while the Train page still reads digits/L1,
and the address bar (the shareable link) describes the controls, not the model. The set-up goes
through the link format of the control registry (:mod:`sae_core.app.controls`): each config
field and data option is written as the link value of the control that ``sets`` it, parsed
back (snapped to the sliders' grids, with a notice for what moved) and seeded into the
controls, so a scenario's set-up is exactly what its link says. Under a teacher link the controls
it fixed keep their values (:func:`sae_core.ui.teacher.locked`); the notices name those that
differ from the adopted set-up.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import streamlit as st

from sae_core.app.controls import GROUPS, Control, link_fields, train_controls
from sae_core.app.link import format_value, parse_setup
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import SOURCES
from sae_core.ui.keep import SHADOW_PREFIX, current
from sae_core.ui.state import DataChoice
from sae_core.ui.teacher import locked


def _data_control(controls: tuple[Control, ...], option: str, source: str) -> Control | None:
    """The control that sets data ``option`` of ``source``: one that applies to the source (the
    data seed is synthetic data's own, else the split seed), else any that sets it (it keeps the
    value, unshown); a spec's folder (``path``) only where the source has a folder control."""
    setting = [c for c in controls if c.sets == f"data.{option}"]
    for_source = [c for c in setting if c.when is None or c.when[0] != "src" or c.applies(source)]
    if for_source or option == "path":
        return next(iter(for_source), None)
    return next(iter(setting), None)


def setup_query(
    data: DataChoice, sae: SAEConfig, train: TrainConfig
) -> tuple[dict[str, str], list[str]]:
    """The set-up as link values (control name -> text), and what no control can hold."""
    controls = train_controls()
    missing: list[str] = []
    query: dict[str, str] = {}
    source, _, path = data.spec.partition(":")
    folder = _data_control(controls, "path", source)
    if source in SOURCES:
        query[_named(controls, "data.source")] = source
        if path and folder is not None:
            query[folder.name] = path
    else:  # a path the CLI trained on: the Train page keeps its own data controls
        missing.append(f"data {data.spec}")
    for option, value in data.options.items() if source in SOURCES else ():
        control = _data_control(controls, option, source)
        if value is None:
            continue
        if control is None:
            missing.append(f"{option}={value}")
        else:
            query[control.name] = _text(value)
    configs = {"sae": asdict(sae), "train": asdict(train)}
    for c in controls:
        if c.config in configs:
            query[c.name] = format_value(c.from_config(configs[c.config][c.config_field]))
    if train.steps is not None:
        missing.append(f"steps={train.steps} (the Train page counts epochs)")
    held = {c.config_field for c in controls if c.config == "train"} | {"steps"}
    default = asdict(TrainConfig())
    missing += [
        f"{name}={value}"
        for name, value in asdict(train).items()
        if name not in held and value != default[name]
    ]
    held_sae = {c.config_field for c in controls if c.config == "sae"}
    default_sae = asdict(SAEConfig(d_in=sae.d_in, d_sae=sae.d_sae))
    missing += [  # e.g. a JumpReLU bandwidth set on the command line
        f"{name}={value}"
        for name, value in asdict(sae).items()
        if name not in held_sae and name != "d_in" and value != default_sae[name]
    ]
    return query, missing


def _named(controls: tuple[Control, ...], sets: str) -> str:
    return next(c.name for c in controls if c.sets == sets)


def _text(value: Any) -> str:
    if isinstance(value, (tuple, list)):  # image_shape (h, w) -> "hxw"
        return "x".join(str(v) for v in value)
    return format_value(value)


def adopt_setup(data: DataChoice, sae: SAEConfig, train: TrainConfig) -> list[str]:
    """Seed every Train control from this set-up; returns notices (snapped or missing values).

    Call it from a page that does not draw the Train controls (Start, Compare): their values
    are set through the keys kept widgets read (:mod:`sae_core.ui.keep`). A set-up whose data
    no control can hold (a file the CLI trained on) leaves the data controls as they are.
    """
    query, missing = setup_query(data, sae, train)
    parsed = parse_setup(query, link_fields(), GROUPS)
    model_only = data.spec.partition(":")[0] not in SOURCES
    fixed: list[str] = []
    for c in train_controls():
        if model_only and c.config == "data":
            continue
        value = parsed.values.get(c.name, c.default)
        if c.group is not None and locked(c.group):  # the teacher's link fixed it: it stays
            if value != current(c.key, c.default):
                fixed.append(c.name)
            continue
        st.session_state[SHADOW_PREFIX + c.key] = value
        st.session_state.pop(c.key, None)  # the widget takes the value above when drawn
    kept = [f"{', '.join(fixed)} kept as your teacher's link fixed them"] if fixed else []
    return [f"{m} has no control" for m in missing] + list(parsed.notices) + kept
