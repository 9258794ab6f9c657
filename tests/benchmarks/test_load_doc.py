"""The load test's report keeps one section per mode in docs/robustness.md (no browser needed)."""

from __future__ import annotations

from pathlib import Path

from benchmarks import load_test


def _report(same_link: bool, p99: float) -> load_test.LoadReport:
    return load_test.LoadReport(
        n_sessions=30,
        wall_s=100.0,
        sessions=(),
        health_latencies_s=(0.05, p99),
        health_times_s=(1.0, 2.0),
        control_latencies_s=(0.01,),
        health_failures=0,
        same_link=same_link,
        trainings=1 if same_link else None,
    )


def test_each_mode_replaces_only_its_own_section(tmp_path: Path) -> None:
    doc = tmp_path / "robustness.md"
    doc.write_text("# Robustness\n\n## Rows\n\nkept\n\n## Load test\n\nstale figures\n")
    assert load_test.append_to_doc(_report(False, 0.5), doc)
    assert load_test.append_to_doc(_report(True, 0.7), doc)
    assert load_test.append_to_doc(_report(False, 0.6), doc)
    text = doc.read_text()
    flat = " ".join(text.split())
    assert text.count("\n## Load test\n") == 1
    assert text.count("\n## Load test, one link for the class\n") == 1
    assert "kept" in text and "stale figures" not in text
    assert "99th percentile 600 ms" in flat and "99th percentile 700 ms" in flat
    assert "500 ms" not in text  # the first default-mode report was replaced
    assert "--sessions 30 --same-link" in flat and "trained 1 set-up(s)" in flat


def test_a_missing_doc_is_not_created(tmp_path: Path) -> None:
    assert not load_test.append_to_doc(_report(False, 0.5), tmp_path / "absent.md")
    assert not (tmp_path / "absent.md").exists()
