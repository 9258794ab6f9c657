"""The "Which SAE wins at the same sparsity?" scenario returns its race (its time is a benchmark:
``python -m benchmarks.run --only scenarios``, never asserted here)."""

from __future__ import annotations

import torch

from sae_core.app.scenarios import RACE_METHODS, SCENARIOS

torch.set_num_threads(1)


def test_method_race_scenario_returns_a_table_of_every_method() -> None:
    result = SCENARIOS["method_race"].run()
    table = result.table
    assert set(table["method"]) == set(RACE_METHODS) and set(table["target_l0"]) == {3.0, 6.0}
    assert table["f1"].notna().all()
    shown = result.show.sae_config.method
    assert shown in RACE_METHODS and shown in result.conclusion
    assert f"FVU {shown} @ L0 3" in result.headline
    assert len(result.extra_models) == len(table)
