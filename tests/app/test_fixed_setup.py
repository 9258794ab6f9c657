"""The read-only summary of what a teacher link fixes."""

from __future__ import annotations

from sae_core.app.controls import GROUPS
from sae_core.app.fixed_setup import fixed_summary

ALL_BUT_LAM = frozenset(GROUPS) - {"lam"}


def test_the_summary_lists_the_fixed_settings_that_apply() -> None:
    rows = dict(fixed_summary({"method": "topk", "k": 6, "h": 32}, ALL_BUT_LAM))
    assert rows["Data source"].startswith("Digits")
    assert rows["Method"] == "TopK" and rows["k"] == "6" and rows["Hidden size d_sae"] == "32"
    assert rows["Epochs"] == "20" and rows["Seed"] == "0"
    assert "λ" not in rows  # not hidden (and TopK ignores it)
    assert "Whitening" not in rows and "Tied weights" not in rows  # n/a, or at its default


def test_data_options_appear_where_they_apply_and_differ_from_their_default() -> None:
    rows = dict(fixed_summary({"src": "patches", "wh": "zca", "eps": 3.0}, ALL_BUT_LAM))
    assert rows["Data source"] == "Natural-image patches"
    assert rows["Whitening"] == "zca" and rows["Whitening ε"] == "3"
    assert "Method" in rows and rows["Method"] == "L1"


def test_only_the_hidden_groups_are_listed() -> None:
    rows = dict(fixed_summary({"method": "l1", "lam": 0.5}, frozenset({"hidden"})))
    assert list(rows) == ["Hidden size d_sae"]
    assert fixed_summary({}, frozenset()) == []
