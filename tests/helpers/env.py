"""Where the project is, and what a test needs from the machine.

A test that needs something the machine lacks (Chromium, the shared MNIST folder) skips, except
in CI (``CI=true``), where it fails: there the need must be met.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"
IN_CI = os.environ.get("CI") == "true"


def require(missing: str | None, ci_message: str) -> None:
    """Skip the test when ``missing`` names what is absent; in CI fail with ``ci_message``."""
    if missing is None:
        return
    import pytest  # here, not at the top: the benchmarks import this module without pytest

    if IN_CI:
        pytest.fail(f"{ci_message}, but {missing}")
    pytest.skip(missing)


def require_shared_mnist() -> Path:
    """The real MNIST folder beside the project (skip without it, fail in CI)."""
    missing = None if SHARED_MNIST.is_dir() else f"{SHARED_MNIST} is not present"
    require(missing, "CI must have the shared MNIST data")
    return SHARED_MNIST
