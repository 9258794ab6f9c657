"""Gated, Matryoshka and the decoder-norm L1 on the pages: the prefix control and per-prefix FVE
on Train, the prefix-ordered atoms on Filters, the decoder-norm checkbox only for L1."""

from __future__ import annotations

from sae_core.app.controls import by_name, link_fields
from sae_core.app.link import encode_setup, parse_setup
from tests.helpers.app import app_state, errors, set_widgets, trained_app


def test_matryoshka_takes_its_prefixes_and_shows_each_prefixs_fve_on_train_and_filters():
    at = trained_app(
        train_method="matryoshka", train_prefixes="4,8,16,32", train_epochs=1, train_d_sae=32
    )
    assert app_state(at).current.sae_config.matryoshka_prefixes == (4, 8, 16, 32)
    labels = [m.label for m in at.metric]
    assert {"first 4 latents", "first 32 latents"} <= set(labels)
    at.switch_page("app_pages/filters.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Matryoshka: latents 0…3" in str(c.value) for c in at.caption)
    set_widgets(at, train_method="l1")


def test_bad_prefixes_are_an_error_on_the_page():
    at = trained_app(train_epochs=1, train_d_sae=32)
    set_widgets(at, train_method="matryoshka", train_prefixes="8,4,32").run()
    at.button(key="train_go").click().run()
    assert any("matryoshka_prefixes" in e for e in errors(at))


def test_the_decoder_norm_checkbox_is_for_l1_only_and_refuses_unit_norm_rows():
    at = trained_app(train_method="l1", train_dnorm=True, train_epochs=1, train_d_sae=32)
    assert app_state(at).current.sae_config.decoder_norm_penalty
    set_widgets(at, train_unit_norm=True).run()
    at.button(key="train_go").click().run()
    assert any("unit_norm_decoder" in e for e in errors(at))
    set_widgets(at, train_method="l2", train_unit_norm=False).run()
    assert not [w for w in at.checkbox if w.key == "train_dnorm"]


def test_prefixes_and_the_decoder_norm_option_travel_in_links():
    fields = link_fields()
    names = by_name(fields)  # type: ignore[arg-type]
    assert {"pfx", "dnorm"} <= set(names)
    query = encode_setup({"method": "matryoshka", "pfx": "16,32,64,128"}, fields)
    assert parse_setup(query, fields).values["pfx"] == "16,32,64,128"
