"""The benchmarks run and report well-formed rows (cheap targets only; no timing assertions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import run as bench_run
from benchmarks.common import FAIL, INFO, PASS, SKIP, Row, format_table, markdown_table

STATUSES = {PASS, FAIL, SKIP, INFO}


def check_row(row: Row) -> None:
    assert row.name and row.measured and row.status in STATUSES
    if row.status in (PASS, FAIL) and row.margin is not None:
        assert row.margin > 0
    assert all(isinstance(line, str) and line for line in row.details)


def test_a_quick_sweep_benchmark_returns_well_formed_rows() -> None:
    from benchmarks import sweep

    rows = sweep.run(quick=True)
    assert [r.name for r in rows] == [
        "3a sweep of 8 λ on digits",
        "3c sweep of 5 hidden sizes on digits",
    ]
    for row in rows:
        check_row(row)
    assert "|ΔFVE| ≤ 0.0e+00" in rows[0].measured  # stacked models equal solo runs exactly
    assert "matmuls" in rows[0].measured and "padded stacks" in rows[1].details[0]
    # the floor the 90 % target meets is measured in the same run, part by part
    floor = " ".join(rows[0].details[-2:])
    for part in ("Adam over the stack", "a plain copy", "ReLU in place", "GEMM epilogue"):
        assert part in floor


def test_run_prints_one_table_and_writes_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench.md"
    assert bench_run.main(["--quick", "--only", "gpu", "--markdown", str(out)]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split() == ["target", "measured", "goal", "margin", "status"]
    assert "7a GPU large step" in table
    text = out.read_text(encoding="utf-8")
    assert "| target | measured | goal | margin | status |" in text
    assert "nproc" in text and "torch" in text and "Why the default is one thread" in text


def test_unknown_benchmark_names_are_refused() -> None:
    with pytest.raises(SystemExit):
        bench_run.parse_args(["--only", "digits,warp"])


def test_tables_escape_and_align_cells() -> None:
    rows = [Row(name="a|b", measured="1 s", target="≤ 2 s", margin=2.0, status=PASS)]
    assert "a\\|b" in markdown_table(rows)
    lines = format_table(rows).splitlines()
    assert len(lines) == 3 and lines[2].startswith("a|b")
