"""Issue 15, an instant first page: the Start page is drawn without torch or scikit-learn.

The app runs in a fresh interpreter (this one imported torch long ago), under an import hook
that notes which thread first imports each heavy package: the page's script thread must import
none of them, and the preload thread (sae_core/ui/preload.py) must import them all afterwards,
so the first Train rarely waits. How fast the page appears is a benchmark
(``python -m benchmarks.run --only first_page``), not a test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sae_core.app.scenarios import SCENARIOS
from sae_core.ui.preload import PRELOAD_MODULES, THREAD_NAME
from tests.helpers.app import APP
from tests.helpers.env import ROOT

# the packages the first page must not import (each costs a second or more): torch and
# scikit-learn as the issue says, and SciPy, which scikit-learn and the feature matching bring
HEAVY = ("torch", "sklearn", "scipy")

PROBE = r"""
import importlib.abc, json, sys, threading

HEAVY = {heavy!r}
first = {{}}  # package -> name of the thread that imported it first


class Recorder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in HEAVY and top not in first:
            first[top] = threading.current_thread().name
        return None  # the normal finders import it


sys.meta_path.insert(0, Recorder())
from streamlit.testing.v1 import AppTest

at = AppTest.from_file({app!r}, default_timeout=120).run()
page = {{
    "exceptions": [str(e.value) for e in at.exception],
    "titles": [t.value for t in at.title],
    "subheaders": [s.value for s in at.subheader],
    "buttons": [b.key for b in at.button],
}}
preload = [t for t in threading.enumerate() if t.name == {thread!r}]
for t in preload:
    t.join(timeout=300)
print(json.dumps({{
    "page": page,
    "first": first,
    "preload_threads": len(preload),
    "loaded": {{m: m in sys.modules for m in {modules!r}}},
}}))
"""


def _first_page_run(env: dict[str, str] | None = None) -> dict[str, object]:
    """Run the app once in a fresh interpreter; what it drew and who imported what."""
    code = PROBE.format(heavy=HEAVY, app=str(APP), thread=THREAD_NAME, modules=PRELOAD_MODULES)
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_start_page_is_drawn_without_torch_and_the_preload_then_loads_them() -> None:
    _check_first_page(_first_page_run())


def test_a_runs_folder_to_search_does_not_bring_torch_into_the_first_page(
    tmp_path: Path,
) -> None:
    # Opening a link looks its set-up up among the saved runs (the shared cache's second
    # level): reading the runs' config.json must not import torch (sae_core.runs is lazy)
    run = tmp_path / "runs" / "someone-elses-run"
    run.mkdir(parents=True)
    extra = {"setup_digest": "0" * 64, "link_key": "not-this-link"}
    (run / "config.json").write_text(json.dumps({"extra": extra}), encoding="utf-8")
    _check_first_page(_first_page_run({"SAE_EXPLORER_RUNS": str(tmp_path / "runs")}))


def _check_first_page(result: dict[str, object]) -> None:
    page = result["page"]
    assert isinstance(page, dict)
    # the whole Start page was drawn, not an error or a stub
    assert page["exceptions"] == []
    assert page["titles"] == ["SAE Explorer"]
    assert {"Quick start", "Guided scenarios"} <= set(page["subheaders"])
    assert "home_quick" in page["buttons"]
    assert {f"home_run_{key}" for key in SCENARIOS} <= set(page["buttons"])
    first = result["first"]
    assert isinstance(first, dict)
    # The preload thread starts after the page's run (end of app.py), so a heavy package the
    # page (or anything before it) imported would be noted under that thread's name: the one
    # preload thread imported every one of them first, and nothing else did
    assert result["preload_threads"] == 1
    assert first == dict.fromkeys(HEAVY, THREAD_NAME), f"imported first by: {first}"
    assert result["loaded"] == dict.fromkeys(PRELOAD_MODULES, True)
