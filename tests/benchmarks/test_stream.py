"""The streaming benchmark's rows are well formed on a small file, and it skips without disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks import stream
from benchmarks.common import SKIP
from tests.benchmarks.test_smoke import check_row


def test_the_written_file_is_the_npy_it_claims(tmp_path: Path) -> None:
    path = tmp_path / "a.npy"
    stream.write_npy(path, 1000, 8, chunk=300)
    x = np.load(path)
    assert x.shape == (1000, 8) and x.dtype == np.float32 and np.isfinite(x).all()
    assert 0.3 < float((x == x.min(0)).mean()) < 0.7  # activation-like: about half at the floor


def test_rows_on_a_small_file_are_well_formed_and_the_file_is_deleted(tmp_path: Path) -> None:
    rows = stream.measure(4000, 16, steps=stream.CHUNK_STEPS, folder=tmp_path)
    assert [r.name for r in rows] == list(stream.NAMES)
    for row in rows:
        check_row(row)
    assert "MB on a 0 MB file" in rows[0].measured
    assert "the in-memory CPU time per step" in rows[1].measured
    assert list(tmp_path.iterdir()) == []


def test_too_little_free_disk_skips_both_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    def usage(path: Any) -> Any:
        return type("Usage", (), {"free": 2 * 1024**3})()

    monkeypatch.setattr(stream.shutil, "disk_usage", usage)
    rows = stream.run(quick=True)
    assert [r.status for r in rows] == [SKIP, SKIP]
    assert "only 2.0 GB free" in rows[0].measured
