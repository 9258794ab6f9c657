"""The shared-cache benchmark's row is well formed and its sessions trained once."""

from __future__ import annotations

from benchmarks import shared_cache
from tests.benchmarks.test_smoke import check_row


def test_the_row_reports_one_training_for_three_sessions() -> None:
    (row,) = shared_cache.run(quick=True)
    check_row(row)
    assert row.name == shared_cache.NAME
    assert "trainings: 1; identical metrics in 3 sessions: True" in row.details
