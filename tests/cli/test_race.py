"""``sweep --methods a,b --target-l0 N,N``: the method race from the CLI."""

from __future__ import annotations

import pytest

from tests.helpers.cli import cli_error, cli_json


def test_cli_race_prints_one_run_per_method_and_target_as_json(capsys) -> None:
    out = cli_json(
        capsys,
        "sweep",
        "--data",
        "digits",
        "--methods",
        "l1,topk",
        "--target-l0",
        "8,4",
        "--hidden",
        "32",
        "--epochs",
        "2",
        "--json",
    )
    runs = out["runs"]
    assert [(r["method"], r["target_l0"]) for r in runs] == [
        ("l1", 4.0),
        ("l1", 8.0),
        ("topk", 4.0),
        ("topk", 8.0),
    ]
    assert {"l0", "fvu", "fve", "f1", "seconds", "lam", "k"} <= set(runs[0])
    assert [r["k"] for r in runs[2:]] == [4, 8] and runs[0]["k"] is None
    assert out["config"]["methods"] == ["l1", "topk"] and out["config"]["target_l0s"] == [4, 8]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--methods", "l1,nope", "--target-l0", "4"], "unknown method"),
        (["--methods", "l1"], "--target-l0"),
        (["--methods", "none", "--target-l0", "4"], "target L0 does not set"),
    ],
)
def test_cli_race_refuses_unknown_methods_and_missing_targets(capsys, argv, message) -> None:
    assert message in cli_error(capsys, "sweep", "--data", "digits", "--epochs", "1", *argv)


def test_train_takes_a_target_l0_for_a_lambda_method(capsys) -> None:
    out = cli_json(
        capsys, "train", "--data", "digits", "--method", "l1", "--target-l0", "8", "--json"
    )
    assert out["config"]["sae"]["target_l0"] == 8.0
    assert abs(out["metrics"]["l0"] - 8) <= 0.2 * 8
