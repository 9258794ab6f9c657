"""The 'Reproduce in Python' snippet runs as shown and gives the same metrics."""

from __future__ import annotations

import contextlib
import io

import pytest

from sae_core.app.snippet import reproduce_snippet
from sae_core.config import SAEConfig, TrainConfig
from sae_core.data import load_dataset
from sae_core.training.fit import train


@pytest.mark.parametrize(
    ("spec", "options", "sae_kw"),
    [
        ("digits", {}, {"method": "topk", "k": 5, "d_sae": 32}),
        ("synthetic", {"n_features": 16, "d_in": 8, "n_samples": 1000}, {"lam": 0.3, "d_sae": 16}),
    ],
)
def test_snippet_executes_and_reproduces_the_metrics(spec, options, sae_kw) -> None:
    dataset = load_dataset(spec, **options)
    sae = SAEConfig(d_in=dataset.d_in, **sae_kw)
    tc = TrainConfig(epochs=2, seed=7, lr=5e-3)
    code = reproduce_snippet(spec, options, sae, tc)
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()) as out:
        exec(compile(code, "<snippet>", "exec"), namespace)
    assert "fve" in out.getvalue()
    expected = train(sae, dataset, tc).metrics.to_dict()
    assert namespace["result"].metrics.to_dict() == expected
    assert "seed=7" in code and "lr=0.005" in code


def test_the_snippet_of_a_stepped_model_stops_at_its_step() -> None:
    from sae_core.ui.reproduce import snippet_for
    from tests.helpers.app import TRAIN_PAGE, app_state, click, open_app, set_widgets

    at = open_app(TRAIN_PAGE)
    set_widgets(at, train_epochs=2, train_step_size=10).run()
    click(at, "train_step")
    current = app_state(at).current
    assert not current.finished and current.steps == 10
    code = snippet_for(current)
    assert "steps=10" in code
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "<snippet>", "exec"), namespace)
    result = namespace["result"]
    assert result.steps == 10
    assert result.metrics.fve == pytest.approx(current.metrics.fve, abs=1e-6)
