"""Make the Train controls hold a model's set-up (a scenario's, a loaded run's, the quick start's).

Without it, a scenario shows a ZCA-patches TopK model while the Train page still reads digits/L1,
and the address bar (the shareable link) describes the controls, not the model. The set-up goes
through the link registry (:mod:`sae_core.ui.url_state`): it is written as link values, parsed
back (snapped to the sliders' grids, with a notice for what moved) and seeded into the controls,
so a scenario's set-up is exactly what its link says.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import streamlit as st

from sae_core.app.link import format_value, parse_setup
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import SOURCES
from sae_core.ui.keep import SHADOW_PREFIX
from sae_core.ui.state import DataChoice
from sae_core.ui.url_state import setup_fields

# load_dataset option -> link field (the data seed depends on the source: see setup_query)
DATA_FIELDS: dict[str, str] = {
    "patch_size": "ps",
    "whitening": "wh",
    "n_patches": "np",
    "eps": "eps",
    "n_features": "nf",
    "d_in": "din",
    "mean_active": "act",
    "noise": "noise",
    "n_samples": "ns",
    "magnitude": "mag",
    "max_samples": "cap",
    "download": "dl",
    "label_column": "lbl",
    "image_shape": "shape",
    "preprocess": "pre",
    "test_fraction": "tf",
}
SAE_FIELDS: dict[str, str] = {
    "method": "method",
    "lam": "lam",
    "k": "k",
    "rho": "rho",
    "d_sae": "h",
    "tied": "tied",
    "unit_norm_decoder": "unit",
    "weight_decay": "wd",
    "init_encoder_from_decoder": "einit",
    "init_b_dec_from_mean": "binit",
}
TRAIN_FIELDS: dict[str, str] = {
    "epochs": "ep",
    "seed": "seed",
    "lr": "lr",
    "batch_size": "bs",
    "lam_warmup_steps": "warm",
    "dead_remedy": "dead",
}
FOLDER_FIELDS = {"mnist": "mdir", "fashion-mnist": "fdir", "idx": "idir"}
MODEL_FIELD_NAMES = frozenset(SAE_FIELDS.values()) | frozenset(TRAIN_FIELDS.values())


def setup_query(
    data: DataChoice, sae: SAEConfig, train: TrainConfig
) -> tuple[dict[str, str], list[str]]:
    """The set-up as link values (field name -> text), and what no control can hold."""
    missing: list[str] = []
    query: dict[str, str] = {}
    source, _, path = data.spec.partition(":")
    if source in SOURCES:
        query["src"] = source
        if path and source in FOLDER_FIELDS:
            query[FOLDER_FIELDS[source]] = path
    else:  # a path the CLI trained on: the Train page keeps its own data controls
        missing.append(f"data {data.spec}")
    for option, value in data.options.items() if "src" in query else ():
        if option == "seed":
            query["dseed" if source == "synthetic" else "ss"] = format_value(value)
        elif option in DATA_FIELDS and value is not None:
            query[DATA_FIELDS[option]] = _text(value)
        elif value is not None:
            missing.append(f"{option}={value}")
    for config, names in ((asdict(sae), SAE_FIELDS), (asdict(train), TRAIN_FIELDS)):
        query.update({names[k]: format_value(config[k]) for k in names})
    if train.steps is not None:
        missing.append(f"steps={train.steps} (the Train page counts epochs)")
    default = asdict(TrainConfig())
    missing += [
        f"{name}={value}"
        for name, value in asdict(train).items()
        if name not in TRAIN_FIELDS and name != "steps" and value != default[name]
    ]
    return query, missing


def _text(value: Any) -> str:
    if isinstance(value, (tuple, list)):  # image_shape (h, w) -> "hxw"
        return "x".join(str(v) for v in value)
    return format_value(value)


def adopt_setup(data: DataChoice, sae: SAEConfig, train: TrainConfig) -> list[str]:
    """Seed every Train control from this set-up; returns notices (snapped or missing values).

    Call it from a page that does not draw the Train controls (Start, Compare): their values
    are set through the keys kept widgets read (:mod:`sae_core.ui.keep`).
    """
    query, missing = setup_query(data, sae, train)
    fields = setup_fields()
    parsed = parse_setup(query, fields)
    model_only = "src" not in query
    for f in fields:
        if not f.key.startswith("train_"):  # the page and the analysis pages' own controls stay
            continue
        if not (model_only and f.name not in MODEL_FIELD_NAMES):
            st.session_state[SHADOW_PREFIX + f.key] = parsed.values.get(f.name, f.default)
            st.session_state.pop(f.key, None)  # the widget takes the value above when drawn
    return [f"{m} has no control" for m in missing] + list(parsed.notices)
