"""The notebook functions: data as a Dataset or a spec, settings by field name, tables out."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import sae_core
from sae_core.data.dataset import Dataset
from sae_core.errors import ConfigError
from sae_core.runs import save_run


@pytest.fixture(scope="module")
def small_digits() -> Dataset:
    return sae_core.load_dataset("digits", max_samples=400)


def test_train_takes_settings_by_field_name_and_the_width_from_the_data(
    small_digits: Dataset,
) -> None:
    result = sae_core.train(small_digits, method="topk", k=4, d_sae=32, epochs=2, probe=False)
    assert result.sae_config.d_in == 64 and result.sae_config.k == 4
    assert result.train_config.epochs == 2
    assert 0 < result.metrics.fve <= 1 and result.metrics.l0 <= 4


def test_train_accepts_a_data_spec_string() -> None:
    result = sae_core.train("digits", d_sae=16, steps=3, probe=False)
    assert result.steps == 3 and result.model.cfg.d_in == 64


def test_settings_override_given_configs(small_digits: Dataset) -> None:
    base = sae_core.SAEConfig(d_in=64, d_sae=16, method="l2", lam=0.5)
    result = sae_core.train(small_digits, base, lam=0.01, steps=2, probe=False)
    assert result.sae_config.method == "l2" and result.sae_config.lam == 0.01


def test_an_unknown_setting_is_refused_naming_it_and_the_choices(small_digits: Dataset) -> None:
    with pytest.raises(ConfigError, match=r"lamda.*SAEConfig.*lam"):
        sae_core.train(small_digits, lamda=0.1)


def test_arrays_are_pointed_to_load_dataset_or_the_estimator(small_digits: Dataset) -> None:
    with pytest.raises(ConfigError, match="SparseAutoencoder estimator"):
        sae_core.train(small_digits.x_train)  # type: ignore[arg-type]


def test_sweep_returns_one_table_row_per_model(small_digits: Dataset) -> None:
    table = sae_core.sweep(small_digits, lams=[0.01, 0.1], d_saes=[8, 16], d_sae=8, steps=3)
    assert isinstance(table, pd.DataFrame) and len(table) == 4
    assert {"lam", "d_sae", "seed", "method", "fve", "l0", "fvu"} <= set(table.columns)
    sae_core.make_sweep_figure(table[table["d_sae"] == 8])  # the table feeds the figure


def test_evaluate_takes_the_module_a_train_result_or_a_loaded_run(
    small_digits: Dataset, tmp_path: Path
) -> None:
    result = sae_core.train(small_digits, d_sae=16, steps=5, probe=False)
    by_module = sae_core.evaluate(result.model, small_digits, probe=False)
    by_result = sae_core.evaluate(result, small_digits, probe=False)
    assert by_module.fve == by_result.fve == pytest.approx(result.metrics.fve)
    path = save_run(
        result.model,
        result.train_config,
        metrics=result.metrics.to_dict(),
        history=result.history,
        data_name="digits",
        root=tmp_path,
    )
    run = sae_core.load_run(str(path))  # a folder path given as a string
    assert sae_core.evaluate(run, small_digits, probe=False).fve == pytest.approx(by_module.fve)
    assert sae_core.load_run(path.name, root=tmp_path).name == path.name  # or a name in a root
