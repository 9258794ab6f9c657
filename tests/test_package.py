"""``import sae_core``: cheap, and it hands a notebook the public API with useful help()."""

from __future__ import annotations

import subprocess
import sys

import pytest

import sae_core
import sae_core.model
from tests.conftest import ROOT


def test_importing_the_package_loads_neither_torch_nor_sklearn() -> None:
    code = (
        "import sys, sae_core\n"
        "sae_core.SAEConfig, sae_core.methods, sae_core.load_dataset\n"
        "heavy = sorted({'torch', 'sklearn', 'streamlit'} & set(sys.modules))\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)


@pytest.mark.parametrize("name", sae_core.__all__)
def test_every_public_name_resolves_and_has_help(name: str) -> None:
    value = getattr(sae_core, name)
    assert (value.__doc__ or "").strip(), f"sae_core.{name} has no docstring"
    assert name in dir(sae_core)


def test_the_public_api_holds_the_names_a_notebook_needs() -> None:
    needed = {"SparseAutoencoder", "SAEConfig", "TrainConfig", "load_dataset", "train"}
    needed |= {"evaluate", "load_run", "sweep", "methods", "make_history_figure"}
    assert needed <= set(sae_core.__all__)


def test_the_top_level_sparse_autoencoder_is_the_estimator_not_the_module() -> None:
    from sklearn.base import BaseEstimator

    assert issubclass(sae_core.SparseAutoencoder, BaseEstimator)
    assert sae_core.SparseAutoencoder is not sae_core.model.SparseAutoencoder
    assert "nn.Module" in (sae_core.__doc__ or "")


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'fit'"):
        sae_core.fit  # noqa: B018


def test_docs_api_lists_every_public_name() -> None:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    missing = [name for name in sae_core.__all__ if f"`{name}" not in text]
    assert not missing, missing
