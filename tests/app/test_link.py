"""A set-up as a link: parsing never fails, keeps only valid values, and round-trips exactly."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import parse_qs

from hypothesis import given, settings
from hypothesis import strategies as st

from sae_core.app.controls import GROUPS, LAM_GRID, link_fields
from sae_core.app.link import (
    Field,
    Teacher,
    encode_setup,
    encode_teacher,
    is_valid,
    parse_setup,
    parse_value,
    query_string,
    snap_to_grid,
)
from sae_core.app.pages import PAGE_NAMES
from tests.helpers.app import ROOT

FIELDS = link_fields()
BY_NAME = {f.name: f for f in FIELDS}
NAMES = [f.name for f in FIELDS]
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


def valid_value(f: Field) -> st.SearchStrategy[Any]:
    """Any value the field's widget could hold."""
    if f.kind in ("choice", "grid"):
        return st.sampled_from(f.choices)
    if f.kind == "bool":
        return st.booleans()
    if f.kind == "int":
        return st.integers(int(f.lo or 0), int(f.hi or 10**6))
    if f.kind == "float":
        floats = st.floats(f.lo, f.hi, allow_nan=False)
        return floats.map(lambda v: round(v, f.decimals)) if f.decimals else floats
    printable = TEXT.map(lambda s: "".join(c for c in s if c.isprintable()).strip())
    return printable.filter(lambda s: len(s) <= 300)


VALID_SETUPS = st.fixed_dictionaries({}, optional={f.name: valid_value(f) for f in FIELDS}).filter(
    lambda v: all(is_valid(BY_NAME[n], x) for n, x in v.items())
)
RAW_QUERIES = st.dictionaries(
    st.one_of(st.sampled_from([*NAMES, "teacher", "hide", "only"]), TEXT),
    st.one_of(TEXT, st.lists(TEXT, max_size=3), st.sampled_from(["nan", "inf", "-5", "1e400"])),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(RAW_QUERIES)
def test_any_query_parses_to_valid_values_without_raising(query: dict[str, Any]) -> None:
    parsed = parse_setup(query, FIELDS, GROUPS)
    for name, value in parsed.values.items():
        assert is_valid(BY_NAME[name], value), (name, value)
    assert parsed.teacher.hidden <= set(GROUPS)
    unknown = [n for n in query if n not in BY_NAME and n not in ("teacher", "hide", "only")]
    if unknown:
        assert any("unknown setting" in n for n in parsed.notices)


@settings(max_examples=300, deadline=None)
@given(VALID_SETUPS)
def test_a_valid_setup_survives_encoding_and_the_url_exactly(values: dict[str, Any]) -> None:
    params = encode_setup(values, FIELDS)
    from_url = {k: v[-1] for k, v in parse_qs(query_string(params), keep_blank_values=True).items()}
    assert from_url == params
    parsed = parse_setup(from_url, FIELDS)
    assert parsed.notices == []
    for name in params:
        assert parsed.values[name] == values[name]
    assert encode_setup(parsed.values, FIELDS) == params


def test_the_default_setup_is_an_empty_query() -> None:
    assert encode_setup({f.name: f.default for f in FIELDS}, FIELDS) == {}


def test_only_changed_values_that_apply_are_written() -> None:
    values = {"method": "topk", "k": 16, "lam": 0.5, "rho": 0.1, "h": 64}
    assert encode_setup(values, FIELDS) == {"method": "topk", "k": "16", "h": "64"}


@given(st.floats(min_value=1e-9, max_value=1e3))
def test_snapping_picks_the_nearest_grid_value_on_a_log_scale(value: float) -> None:
    nearest = min(LAM_GRID, key=lambda g: abs(math.log10(g) - math.log10(value)))
    snapped = snap_to_grid(value, LAM_GRID)
    assert abs(math.log10(snapped / value)) <= abs(math.log10(nearest / value)) + 1e-12


def test_bad_values_are_dropped_or_clamped_with_a_notice_each() -> None:
    query = {"lam": "abc", "h": "-5", "method": "magic", "unknownkey": "1", "ep": "2.5", "k": "999"}
    parsed = parse_setup(query, FIELDS)
    assert parsed.values == {"h": 1, "k": 256}
    assert len(parsed.notices) == 6
    for name in ("lam", "h", "method", "unknownkey", "ep", "k"):
        assert any(name in n for n in parsed.notices), name


def test_teacher_only_hides_every_other_group_and_encodes_compactly() -> None:
    teacher = parse_setup({"teacher": "1", "only": "lam"}, FIELDS, GROUPS).teacher
    assert teacher.enabled and teacher.hidden == frozenset(GROUPS) - {"lam"}
    assert encode_teacher(teacher, GROUPS) == {"teacher": "1", "only": "lam"}
    assert encode_teacher(Teacher(enabled=True, hidden=frozenset({"seed"})), GROUPS) == {
        "teacher": "1",
        "hide": "seed",
    }


def test_unknown_teacher_groups_are_reported_and_ignored() -> None:
    parsed = parse_setup({"hide": "data,bogus"}, FIELDS, GROUPS)
    assert parsed.teacher == Teacher(enabled=True, hidden=frozenset({"data"}))
    assert any("bogus" in n for n in parsed.notices)


def test_every_page_file_has_a_link_name() -> None:
    assert {p.stem for p in (ROOT / "app_pages").glob("*.py")} == set(PAGE_NAMES)


def test_the_lambda_grid_holds_the_reference_beta_and_every_sweep_value() -> None:
    from sae_core.ui.compare.sweep import default_lams

    assert 3.0 in LAM_GRID  # UFLDL's β = 3 (SAE_NOTES)
    for lam in LAM_GRID:  # a sweep around any slider λ includes it, on the same grid
        lams = default_lams(lam)
        assert lam in lams and set(lams) <= set(LAM_GRID)
    assert default_lams(0.2) == [0.05, 0.2, 0.5] and default_lams(2e-5) == [5e-6, 2e-5, 5e-5]


def test_a_set_up_becomes_link_values_and_names_what_no_control_holds() -> None:
    from sae_core.config import SAEConfig, TrainConfig
    from sae_core.ui.adopt import setup_query
    from sae_core.ui.state import make_choice

    data = make_choice("patches", whitening="zca", eps=3.0, preprocess="centre")
    sae = SAEConfig(d_in=64, d_sae=256, method="topk", k=8, unit_norm_decoder=True)
    query, missing = setup_query(data, sae, TrainConfig(epochs=40, steps=90))
    assert {k: query[k] for k in ("src", "wh", "eps", "pre", "method", "k", "h", "unit", "ep")} == {
        "src": "patches",
        "wh": "zca",
        "eps": "3",
        "pre": "centre",
        "method": "topk",
        "k": "8",
        "h": "256",
        "unit": "1",
        "ep": "40",
    }
    assert missing == ["steps=90 (the Train page counts epochs)"]
    query, missing = setup_query(make_choice("/tmp/x.csv"), sae, TrainConfig())
    assert "src" not in query and missing == ["data /tmp/x.csv"]
    mnist, _ = setup_query(make_choice("mnist:/data/m", max_samples=2000), sae, TrainConfig())
    assert (mnist["src"], mnist["mdir"], mnist["cap"]) == ("mnist", "/data/m", "2000")


def test_a_target_l0_and_a_bandwidth_become_link_values_or_are_named() -> None:
    from sae_core.config import SAEConfig, TrainConfig
    from sae_core.ui.adopt import setup_query
    from sae_core.ui.state import make_choice

    sae = SAEConfig(d_in=32, method="jumprelu", target_l0=6, jumprelu_bandwidth=0.01)
    query, missing = setup_query(make_choice("synthetic"), sae, TrainConfig())
    assert query["tl0"] == "6" and missing == ["jumprelu_bandwidth=0.01"]
    query, _ = setup_query(make_choice("synthetic"), sae.replace(target_l0=None), TrainConfig())
    assert query["tl0"] == "0"  # the control's "off"


def test_equal_data_spelled_two_ways_is_one_choice() -> None:
    from sae_core.ui.state import make_choice

    scenario = make_choice("synthetic", mean_active=3, n_features=64)
    train_page = make_choice("synthetic", mean_active=3.0, noise=0.0, seed=0, n_features=64)
    assert scenario == train_page
    assert make_choice("patches", whitening="zca") == make_choice(
        "patches", whitening="zca", patch_size=8, n_patches=10_000, test_fraction=0.2
    )
    assert make_choice("synthetic", mean_active=4.0) == make_choice("synthetic")
    assert make_choice("synthetic", p_fire=0.1, mean_active=None) != make_choice("synthetic")


def test_ufldls_reference_set_up_is_a_link_without_adjustments() -> None:
    # SAE_NOTES: 25 sigmoid units, ρ = 0.01, β = 3, weight decay 1e-4 (UFLDL), on 8×8 patches
    query = {"src": "patches", "method": "kl", "h": "25", "rho": "0.01", "lam": "3", "wd": "0.0001"}
    parsed = parse_setup(query, FIELDS)
    assert parsed.notices == []
    assert (parsed.values["h"], parsed.values["lam"], parsed.values["wd"]) == (25, 3.0, 1e-4)


def test_a_teacher_link_can_name_the_pages_students_see() -> None:
    parsed = parse_setup(
        {"teacher": "1", "pages": "filters,train,nowhere", "page": "learn"}, FIELDS, GROUPS
    )
    assert parsed.teacher.pages == ("train", "filters")  # navigation order, unknown dropped
    assert parsed.teacher.shows_page("filters") and not parsed.teacher.shows_page("learn")
    assert "page" not in parsed.values  # a page the list leaves out is not opened
    assert any("nowhere" in n for n in parsed.notices)
    assert any("page=learn" in n for n in parsed.notices)
    assert encode_teacher(parsed.teacher, GROUPS) == {"teacher": "1", "pages": "train,filters"}
    assert Teacher().shows_page("learn")  # no list: every page


def test_setup_key_names_a_set_up_whatever_the_link_leaves_out() -> None:
    from sae_core.app.controls import train_controls
    from sae_core.app.link import setup_key

    fields = tuple(c.field for c in train_controls())
    base = setup_key({"method": "l1"}, fields)
    assert setup_key({}, fields) == base  # l1 is the default method
    assert setup_key({"method": "l1", "k": 8}, fields) == base  # k does not apply to L1
    assert setup_key({"method": "l1", "lam": 0.1}, fields) == base  # λ at its default
    assert setup_key({"method": "topk", "k": 8}, fields) != setup_key(
        {"method": "topk", "k": 16}, fields
    )
    others = [{"lam": 0.2}, {"h": 64}, {"seed": 1}, {"ep": 2}, {"src": "patches"}]
    keys = {setup_key(values, fields) for values in others}
    assert len(keys) == len(others) and base not in keys
    assert len(base) == 32 and int(base, 16) >= 0


def test_go_is_a_known_link_name_read_as_on_or_off() -> None:
    from sae_core.app.link import GO_FIELD

    on = parse_setup({"go": "1", "page": "train"}, FIELDS, GROUPS)
    assert on.values == {"page": "train"} and not on.notices  # known, and not a control
    assert parse_value(GO_FIELD, "yes") == (True, None)
    bad = parse_setup({"go": "maybe"}, FIELDS, GROUPS)
    assert "go" not in bad.values and bad.notices == ["go='maybe' is not on/off (1 or 0): ignored"]
