"""Issue 14: a set-up trained once is shown to the next session at once (the shared model cache).

Three AppTest sessions in one process, as three browser tabs of one server: the first opens a
link and presses Train (a real training), the second presses Train on the same set-up (a cache
hit), the third opens the link (a reload: the model is shown on opening, no click). Each is
timed from its action to the finished script run, CPU time of this process included; the result
is the ratio of the training's time to the hit's. Target: a hit at least 5× faster than
training (it skips training and evaluation; what is left is drawing the page).

python -m benchmarks.run --only shared_cache
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks.common import Row, status_of

NAME = "14.1 shared model cache: Train hit vs training"
MIN_RATIO = 5.0
TARGET = f"a second session's Train ≥ {MIN_RATIO:g}× faster than the first's training"
LINK = {"page": "train", "method": "l1", "h": "512", "ep": "60", "seed": "1"}


def _session(query: dict[str, str]) -> Any:
    from streamlit.testing.v1 import AppTest

    from tests.helpers.app import APP, TIMEOUT

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params.update(query)
    return at


def _timed(action: Any) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run(quick: bool) -> list[Row]:
    from sae_core.ui.shared_models import reset_shared_cache
    from tests.helpers.app import app_state

    link = {**LINK, "ep": "20"} if quick else LINK
    cache = reset_shared_cache()
    first, second = _session(link), _session(link)
    first.run()
    trained = _timed(lambda: first.button(key="train_go").click().run())
    second.run()  # opened from the link: shows the model already; Train is still a hit
    hit = _timed(lambda: second.button(key="train_go").click().run())
    reload = _session(link)
    opened = _timed(reload.run)
    shown = [app_state(at).current for at in (first, second, reload)]
    same = all(c is not None for c in shown) and len({c.metrics.fve for c in shown}) == 1  # type: ignore[union-attr]
    ratio = trained / hit if hit > 0 else float("inf")
    ok = same and cache.stats.trained == 1 and ratio >= MIN_RATIO
    return [
        Row(
            name=NAME,
            measured=f"{ratio:.1f}× (train {trained:.2f} s, hit {hit:.2f} s)",
            target=TARGET,
            margin=ratio / MIN_RATIO,
            status=status_of(ok),
            details=(
                f"reload of the link (model shown on opening): {opened:.2f} s",
                f"trainings: {cache.stats.trained}; identical metrics in 3 sessions: {same}",
                f"set-up: digits, {link}",
            ),
        )
    ]
