"""The data-source registry: one entry per source, defaults read from the specs, never copied."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sae_core.cli.commands import main
from sae_core.data import (
    SOURCES,
    DataSource,
    SourceOption,
    canonical_options,
    load_dataset,
    option_default,
    parse_data_spec,
)
from sae_core.data.loaders import SourceRequest
from sae_core.data.patches import PatchSpec
from sae_core.data.preprocessing import RawData
from sae_core.data.registry import options_of
from sae_core.data.synthetic import DEFAULT_MEAN_ACTIVE, SyntheticSpec
from sae_core.errors import ConfigError


@pytest.mark.parametrize(
    ("source", "spec"), [("patches", PatchSpec()), ("synthetic", SyntheticSpec())]
)
def test_option_defaults_are_the_spec_defaults(source: str, spec: object) -> None:
    for option in SOURCES[source].options:
        expected = getattr(spec, option)
        if option == "mean_active":
            expected = DEFAULT_MEAN_ACTIVE  # the spec's None: this many per sample
        assert option_default(source, option) == expected, option


def test_help_lines_show_the_default_the_spec_holds() -> None:
    help_line = dict(
        zip(SOURCES["synthetic"].options, SOURCES["synthetic"].option_help, strict=True)
    )
    assert help_line["n_samples"].endswith(f"(default {SyntheticSpec().n_samples})")
    assert help_line["magnitude"] == "uniform | exponential | constant (default uniform)"
    assert "default" not in help_line["p_fire"]  # unset: mean_active decides


def test_common_keywords_default_to_load_datasets_own() -> None:
    assert option_default("digits", "seed") == 0
    assert option_default("synthetic", "test_fraction") == 0.2
    assert option_default("mnist", "download") is False
    with pytest.raises(KeyError, match="takes no option"):
        option_default("digits", "n_samples")


def test_an_option_the_spec_lacks_is_refused_at_import() -> None:
    with pytest.raises(ValueError, match="takes no keyword n_patchez"):
        options_of(PatchSpec, SourceOption(name="n_patchez"))


def test_mean_active_default_yields_to_p_fire() -> None:
    assert canonical_options("synthetic", {"mean_active": 4.0, "noise": 0.0, "seed": 0}) == {}
    kept = canonical_options("synthetic", {"p_fire": 0.1, "mean_active": 4.0})
    assert kept == {"p_fire": 0.1, "mean_active": 4}


def _toy_loader(request: SourceRequest) -> RawData:
    x = np.arange(40, dtype=np.float32).reshape(20, 2) * request.options.get("scale", 1)
    return RawData(x=x, description="toy rows")


def test_a_new_source_is_one_entry(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def toy(*, scale: int = 3) -> None: ...

    entry = DataSource(
        name="toy",
        title="Toy rows",
        description="twenty rows of counting",
        needs="nothing",
        loader=_toy_loader,
        takes=options_of(toy, SourceOption(name="scale", help="multiplies every value")),
    )
    monkeypatch.setitem(SOURCES, "toy", entry)
    assert parse_data_spec("toy").source == "toy"
    assert option_default("toy", "scale") == 3
    dataset = load_dataset("toy", scale=2, test_fraction=0.25)
    assert dataset.x_train.shape == (15, 2) and dataset.x_test.shape == (5, 2)
    with pytest.raises(ConfigError, match="it accepts scale"):
        load_dataset("toy", other=1)
    assert main(["data"]) == 0
    assert "--opt scale=…  multiplies every value (default 3)" in capsys.readouterr().out


def test_path_rule_is_checked() -> None:
    with pytest.raises(ValueError, match="path="):
        dataclasses.replace(SOURCES["digits"], path="sometimes")
