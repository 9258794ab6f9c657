"""The command line run in-process, as a user would type it: its JSON, or its one error line."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sae_core.cli.commands import main


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    """Run the CLI (``argv`` should include ``--json``), expect exit 0, return what it printed."""
    assert main(list(argv)) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


def cli_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run the CLI, expect exit 2, and return its single stderr line (never a traceback)."""
    assert main(list(argv)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()
