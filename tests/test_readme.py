"""The README's Python examples run as written (a notebook user copies them first)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def readme_python_blocks() -> list[str]:
    return PYTHON_BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8"))


def test_the_readme_has_a_use_from_python_section_with_code() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## Use from Python" in text
    assert readme_python_blocks()


@pytest.mark.parametrize("index", range(len(readme_python_blocks())))
def test_each_readme_python_block_runs_as_written(
    index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # whatever it writes lands here
    code = readme_python_blocks()[index]
    namespace: dict[str, object] = {"__name__": "__readme__"}
    exec(compile(code, f"README.md python block {index + 1}", "exec"), namespace)
    if "sae" in namespace:  # the estimator example: it learned something
        assert namespace["sae"].score(namespace["data"].x_test) > 0.5  # type: ignore[attr-defined]
