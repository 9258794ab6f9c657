"""Run in a fresh process by benchmarks/app_latency.py: drives the app with AppTest, prints JSON.

    python -m benchmarks.app_probe

Times in seconds, each a [wall clock, process CPU time] pair: the first run of app.py (a cold start:
streamlit, plotly and the core imported for the first time), the background preload it starts
(scikit-learn, pandas, the trainer), Train clicked on the default digits set-up (twice: the
first click also pays one-off imports), every page switch with a trained model (three rounds),
then each page once after training a new model.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

START = (time.perf_counter(), time.process_time())

import torch  # noqa: E402

torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
PAGES = sorted(f"app_pages/{p.name}" for p in (ROOT / "app_pages").glob("*.py"))
TRAIN_PAGE = "app_pages/train.py"


def since(start: tuple[float, float]) -> list[float]:
    return [time.perf_counter() - start[0], time.process_time() - start[1]]


def timed_run(action: object) -> list[float]:
    start = (time.perf_counter(), time.process_time())
    action.run()  # type: ignore[attr-defined]
    return since(start)


def problems(at: object) -> list[str]:
    return [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]  # type: ignore[attr-defined]


def main() -> dict[str, object]:
    harness = (time.perf_counter(), time.process_time())
    from streamlit.testing.v1 import AppTest

    out: dict[str, object] = {"harness_import_s": since(harness)}
    at = AppTest.from_file(str(APP), default_timeout=300)
    out["cold_start_s"] = timed_run(at)
    out["cold_start_problems"] = problems(at)
    out["process_to_first_page_s"] = since(START)
    # The first page leaves scikit-learn & co. to a background thread (sae_core/ui/preload.py,
    # started by app.py after the page): a user reads the Start page before pressing Train, so
    # the clicks below are timed after it finished, and its own time is reported beside them.
    from sae_core.ui.preload import start_preload

    preload = (time.perf_counter(), time.process_time())
    start_preload().join()
    out["preload_after_first_page_s"] = since(preload)
    out["train_page_first_s"] = timed_run(at.switch_page(TRAIN_PAGE))
    clicks = []
    for _ in range(3):
        clicks.append(timed_run(at.button(key="train_go").click()))
    out["train_click_s"] = clicks
    out["train_problems"] = problems(at)
    out["charts_after_train"] = len(at.get("plotly_chart"))
    out["has_history_chart"] = any(
        getattr(c, "key", None) == "train_history"
        or "train_history" in str(getattr(c, "proto", ""))
        for c in at.get("plotly_chart")
    )
    switches: dict[str, list[list[float]]] = {page: [] for page in PAGES}
    for _ in range(3):
        for page in PAGES:
            switches[page].append(timed_run(at.switch_page(page)))
    out["page_switch_s"] = switches
    # The usual case: a new model, then each page once (its modules are imported by now, but
    # nothing of this model is cached yet).
    at.switch_page(TRAIN_PAGE).run()
    at.number_input(key="train_seed").set_value(1)
    at.button(key="train_go").click().run()
    out["new_model_switch_s"] = {
        page: timed_run(at.switch_page(page)) for page in PAGES if page != TRAIN_PAGE
    }
    out["switch_problems"] = problems(at)
    return out


if __name__ == "__main__":
    json.dump(main(), sys.stdout)
