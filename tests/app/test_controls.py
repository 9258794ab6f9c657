"""The control registry: defaults mirror the configs, every control survives a link, and the
Train page draws each widget exactly as declared (label, help, bounds, options, default)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from sae_core import methods, penalties
from sae_core.app.controls import (
    GROUPS,
    K_MAX,
    Control,
    analysis_controls,
    by_name,
    config_controls,
    link_fields,
    train_controls,
)
from sae_core.app.link import encode_setup, parse_setup
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.data.network import NetSpec
from sae_core.data.patches import PatchSpec
from sae_core.data.synthetic import SyntheticSpec
from sae_core.data.toy.source import ToySourceSpec
from sae_core.ui.config_form import FormValues
from tests.helpers.app import TRAIN_PAGE, open_app, set_widgets

CONTROLS = (*train_controls(), *analysis_controls())
BY_NAME = by_name(CONTROLS)
FIELDS = link_fields()

# What a data control starts at, worked out independently: the specs as built with no arguments.
PATCHES, SYNTHETIC = PatchSpec(), SyntheticSpec()
TOY = ToySourceSpec()
NET = NetSpec()
DATA_DEFAULTS: dict[str, Any] = {
    "patch_size": PATCHES.patch_size,
    "n_patches": PATCHES.n_patches,
    "whitening": PATCHES.whitening,
    "eps": PATCHES.eps,
    "n_samples": SYNTHETIC.n_samples,
    "n_features": SYNTHETIC.n_features,
    "d_in": SYNTHETIC.d_in,
    "mean_active": SYNTHETIC.firing_probability * SYNTHETIC.n_features,
    "magnitude": SYNTHETIC.magnitude,
    "noise": SYNTHETIC.noise,
    "zipf": SYNTHETIC.zipf,
    "correlation": SYNTHETIC.correlation,
    "hierarchy": SYNTHETIC.hierarchy,
    "d_hidden": TOY.d_hidden,
    "sparsity": TOY.sparsity,
    "importance_decay": TOY.importance_decay,
    "toy_seed": TOY.toy_seed,
    "width": NET.width,
    "hidden_layers": NET.hidden_layers,
    "layer": NET.layer,
}
# Controls whose start is the Train page's own choice, or stands for load_dataset's None.
UI_DEFAULTS: dict[str, Any] = {
    "tl0": 0,  # SAEConfig.target_l0 None: the control's "off"
    "pfx": "",  # SAEConfig.matryoshka_prefixes None: the control's "off" (default prefixes)
    "src": "digits",
    "nbase": "digits",  # net:digits
    "tnf": TOY.n_features,  # n_features shared with synthetic, whose default it names
    "cap": 10_000,
    "dl": False,
    "lbl": "",
    "shape": "",
    "pre": "default",
}


def _expected_default(c: Control) -> Any:
    if c.config == "sae":
        return getattr(SAEConfig(d_in=1), c.config_field)
    if c.config == "train":
        return getattr(TrainConfig(), c.config_field)
    return DATA_DEFAULTS[c.config_field]


@pytest.mark.parametrize("name", [c.name for c in train_controls()])
def test_each_train_controls_default_is_the_default_of_what_it_sets(name: str) -> None:
    c = BY_NAME[name]
    if name in UI_DEFAULTS:
        assert c.default == UI_DEFAULTS[name]
    elif c.sets == "data.path":
        assert isinstance(c.default, str)  # the folder's environment variable, or empty
    elif c.sets == "data.seed":
        assert c.default == 0 == _load_dataset_default("seed")
    elif c.sets == "data.test_fraction":
        assert c.default == _load_dataset_default("test_fraction")
    else:
        expected = _expected_default(c)
        assert c.default == expected and type(c.default) is type(expected), (name, expected)


def _load_dataset_default(option: str) -> Any:
    import inspect

    return inspect.signature(load_dataset).parameters[option].default


def test_a_folders_default_is_its_environment_variable_when_the_registry_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SAE_EXPLORER_MNIST_DIR", "/data/mnist")
    assert by_name(train_controls())["mdir"].default == "/data/mnist"
    monkeypatch.delenv("SAE_EXPLORER_MNIST_DIR")
    assert by_name(train_controls())["mdir"].default == ""


def test_every_control_is_declared_once_and_valid_at_its_default() -> None:
    for attribute in ("name", "key"):
        values = [getattr(c, attribute) for c in CONTROLS]
        assert len(values) == len(set(values)), attribute
    for c, f in zip(CONTROLS, FIELDS[1:], strict=True):
        assert f == c.field
        if c.kind in ("choice", "grid"):
            assert c.default in c.choices, c.name
        elif c.kind in ("int", "float") and c.name != "lat":  # lat: the page picks
            assert c.lo is not None and c.hi is not None and c.lo <= c.default <= c.hi, c.name


def test_the_form_sets_exactly_the_config_fields_its_controls_name() -> None:
    form = set(FormValues.__dataclass_fields__)
    assert form == set(config_controls("sae")) | set(config_controls("train"))


def test_teacher_groups_are_the_train_controls_groups_and_explain() -> None:
    used = {c.group for c in train_controls()}
    assert used | {"explain"} == set(GROUPS)
    assert all(c.group is None for c in analysis_controls())  # teacher mode hides Train only


def test_lam_k_and_rho_apply_to_the_methods_that_read_them() -> None:
    for knob in ("lam", "k", "rho"):
        assert BY_NAME[knob].when == ("method", methods.with_knob(knob))
    assert BY_NAME["method"].choices == methods.names()


def _sample_values(c: Control) -> list[Any]:
    """Valid values other than the default: each option, or the ends and middle of the range."""
    if c.kind in ("choice", "grid"):
        return [v for v in c.choices if v != c.default]
    if c.kind == "bool":
        return [not c.default]
    if c.kind == "text":
        return ["/data/some folder", "28x28"]
    assert c.lo is not None and c.hi is not None
    if c.kind == "int":
        middle = (int(c.lo) + int(c.hi)) // 2
        return [v for v in (int(c.lo), middle, int(c.hi)) if v != c.default]
    ends = [round(v, c.decimals) if c.decimals else v for v in (c.lo, (c.lo + c.hi) / 2, c.hi)]
    return [v for v in ends if v != c.default]


def _where_it_applies(c: Control) -> dict[str, Any]:
    """Values of the controls ``c`` depends on (and theirs), so that a link writes ``c``."""
    if c.when is None:
        return {}
    other, allowed = c.when
    parent = BY_NAME.get(other)
    return {**(_where_it_applies(parent) if parent else {}), other: allowed[0]}


def _round_trips() -> Iterator[tuple[str, Any]]:
    for c in CONTROLS:
        for value in _sample_values(c):
            yield c.name, value


@pytest.mark.parametrize(("name", "value"), list(_round_trips()))
def test_every_control_survives_a_link_round_trip(name: str, value: Any) -> None:
    values = {**_where_it_applies(BY_NAME[name]), name: value}
    query = encode_setup(values, FIELDS)
    assert name in query
    parsed = parse_setup(query, FIELDS, GROUPS)
    assert parsed.notices == []
    assert parsed.values[name] == value


@pytest.fixture
def toy_method() -> Iterator[str]:
    methods.register(
        methods.Method(
            name="toy",
            label="toy: a method registered at run time",
            activation="relu",
            penalty=lambda f, W, rho: penalties.l1_penalty(f),
            penalty_latex=r"R = \sum_j |f_j|",
            note="A test's method.",
            knobs=frozenset({"lam", "rho"}),
        )
    )
    yield "toy"
    methods.unregister("toy")


def test_a_method_registered_at_run_time_is_a_choice_and_a_link_value(toy_method: str) -> None:
    controls = by_name(train_controls())
    assert toy_method in controls["method"].choices
    assert controls["method"].option_labels is not None
    assert controls["method"].option_labels[toy_method].startswith("toy:")
    fields = link_fields()
    query = encode_setup({"method": toy_method, "lam": 0.5, "rho": 0.2, "k": 3}, fields)
    assert query == {"method": "toy", "lam": "0.5", "rho": "0.2"}  # k: toy does not read it
    assert parse_setup(query, fields).values == {"method": "toy", "lam": 0.5, "rho": 0.2}


# -- the Train page draws each control as declared -------------------------------------------

# The widget's help where the form composes it: λ's starts with the method's own words.
COMPOSED_HELP = {"lam", "k"}


def _shown_options(c: Control) -> list[str]:
    labels = c.option_labels or {}
    return [str(labels.get(v, v)) for v in c.choices]


def assert_drawn_as_declared(at: AppTest, c: Control) -> None:
    widget = getattr(at, c.widget)(key=c.key)
    assert widget.label == c.label, c.name
    if c.name == "lam":
        assert widget.help.endswith(c.help or "")
    elif c.name not in COMPOSED_HELP:
        assert (widget.help or None) == c.help, c.name
    if c.widget in ("number_input", "slider"):
        assert widget.min == c.lo, c.name
        assert widget.max == (min(K_MAX, widget.max) if c.name == "k" else c.hi), c.name
        if c.step is not None:
            assert widget.step == c.step, c.name
    if c.widget in ("selectbox", "select_slider", "radio") and c.name != "pre":
        assert list(widget.options) == _shown_options(c), c.name
    assert widget.value == c.default, c.name


def _drawn(at: AppTest, names: list[str]) -> None:
    assert not at.exception, [e.value for e in at.exception]
    for name in names:
        assert_drawn_as_declared(at, BY_NAME[name])


MODEL = ["method", "lam", "h", "ep", "seed", "lr", "bs"]
ADVANCED = ["tied", "unit", "einit", "binit", "wd", "warm", "dead"]


def test_the_train_page_draws_each_control_from_its_declaration() -> None:
    at = open_app(TRAIN_PAGE)
    _drawn(at, ["src", "pre", "tf", "ss", *MODEL, *ADVANCED])  # digits, L1
    set_widgets(at, train_source="synthetic", train_method="kl").run()
    _drawn(at, ["nf", "din", "act", "noise", "ns", "dseed", "mag", "zipf", "corr", "hier", "rho"])
    set_widgets(at, train_source="patches", train_method="topk").run()
    _drawn(at, ["ps", "wh", "np", "k"])
    set_widgets(at, train_whitening="zca").run()
    _drawn(at, ["eps"])
    set_widgets(at, train_source="file").run()
    _drawn(at, ["lbl", "shape"])
    set_widgets(at, train_source="idx").run()
    _drawn(at, ["idir", "cap"])
    set_widgets(at, train_source="net").run()
    _drawn(at, ["nbase", "nw", "nhl", "nl"])


def test_the_analysis_pages_draw_their_controls_from_their_declarations() -> None:
    from tests.helpers.app import app_with_model, make_current

    digits = make_current("digits", method="l1", d_sae=16, epochs=1)
    synthetic = make_current("synthetic", method="l1", d_sae=16, epochs=1, n_samples=512)
    for current, page, names in (
        (digits, "reconstructions", ["rm", "rn", "rs"]),
        (digits, "activations", ["alog", "arows", "aord"]),
        (digits, "filters", ["fw", "fo", "fs", "fd"]),
        (synthetic, "ground_truth", ["thr"]),
    ):
        at = app_with_model(current, f"app_pages/{page}.py")
        for name in names:
            c = BY_NAME[name]
            widget = getattr(at, c.widget)(key=c.key)
            assert widget.label == c.label and (widget.help or None) == c.help, name
            if c.name == "arows":  # at most the test samples
                assert widget.min == c.lo and widget.max == min(c.hi, current.dataset.n_test)
            if c.widget in ("selectbox", "radio"):
                assert list(widget.options) == _shown_options(c), name
