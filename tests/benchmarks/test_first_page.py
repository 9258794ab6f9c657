"""The first-page benchmark's row (benchmarks/first_page.py): medians, ratio, verdict.

The measurement itself starts servers and a browser (``python -m benchmarks.run --only
first_page``); here its arithmetic is checked on given times, with no clock involved.
"""

from __future__ import annotations

import pytest

from benchmarks import first_page
from benchmarks.common import FAIL, PASS


def result(hello: list[float], app: list[float]) -> dict[str, dict[str, list[float]]]:
    """A measure() result whose servers all answered health after 1 s."""
    return {
        "hello": {"up_s": [1.0] * len(hello), "drawn_s": hello},
        "app": {"up_s": [1.0] * len(app), "drawn_s": app},
    }


def test_the_ratio_of_medians_meets_the_target() -> None:
    row = first_page.row(result(hello=[2.0, 4.0, 3.0], app=[3.5, 9.0, 4.2]))
    assert row.name == first_page.NAME and row.status == PASS
    assert row.measured == "1.40× (4.20 s vs 3.00 s)"  # medians 4.2 and 3.0, not means
    assert row.margin == pytest.approx(1.5 / 1.4)
    assert "page itself took 3.20 s against 2.00 s" in row.details[0]


def test_a_page_slower_than_one_and_a_half_hello_worlds_fails() -> None:
    row = first_page.row(result(hello=[2.0, 2.0], app=[3.0, 5.0]))
    assert row.status == FAIL and row.measured.startswith("2.00×")
    assert row.margin == pytest.approx(0.75)
    assert row.details[1] == "all app starts (s): 3.00, 5.00"
