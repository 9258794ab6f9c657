"""The CLI tells the user on stderr when a CSV column named like a label became the labels."""

from __future__ import annotations

import json

import numpy as np

from sae_core.cli.commands import main


def _write_csv(path, header: str) -> None:
    rng = np.random.default_rng(0)
    table = np.column_stack([rng.random((300, 5)), rng.integers(0, 3, 300)])
    np.savetxt(path, table, delimiter=",", fmt="%.5f", header=header, comments="")


def test_train_uses_a_label_column_by_name_and_says_so_on_stderr(capsys, tmp_path) -> None:
    path = tmp_path / "cells.csv"
    _write_csv(path, "a,b,c,d,e,target")
    argv = ["train", "--data", str(path), "--epochs", "1", "--hidden", "8", "--json"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["config"]["sae"]["d_in"] == 5  # the labels are not a feature
    assert "note: column 6 ('target') is used as the labels" in err
    assert "label_column=none" in err

    assert main([*argv, "--opt", "label_column=none"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["config"]["sae"]["d_in"] == 6 and "note:" not in err
