"""The command line talks: live progress on a terminal (quiet with --json or in a pipe), defaults
and a help line for every option, quick refusals before torch is imported, "did you mean"."""

from __future__ import annotations

import argparse
import json
import os
import pty
import subprocess
import sys

import pytest

from sae_core.cli.commands import build_parser
from tests.helpers.cli import cli_error
from tests.helpers.env import ROOT


def run_in_a_terminal(*argv: str) -> tuple[int, str]:
    """Run ``python -m sae_core ARGV`` with stdin, stdout and stderr on a pseudo-terminal."""
    leader, follower = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "sae_core", *argv],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        cwd=ROOT,
        close_fds=True,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal (EIO on Linux)
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return child.wait(timeout=300), b"".join(chunks).decode(errors="replace")


def test_train_on_a_terminal_shows_a_live_line_with_rate_eta_loss_and_l0() -> None:
    code, text = run_in_a_terminal("train", "--data", "digits", "--epochs", "2")
    assert code == 0, text
    for word in ("steps/s", "ETA", "loss", "L0", "24/24 steps"):
        assert word in text, text
    assert "held-out metrics" in text  # the results still follow


def test_train_with_json_on_a_terminal_prints_no_progress_only_the_json() -> None:
    code, text = run_in_a_terminal("train", "--data", "digits", "--epochs", "2", "--json")
    assert code == 0, text
    assert "steps/s" not in text and "ETA" not in text and "\x1b[K" not in text
    assert json.loads(text)["steps"] == 24


def test_sweep_on_a_terminal_counts_the_steps_of_every_group() -> None:
    # 16 and 2048 latents are too far apart to share a padded stack: two groups, one by one
    argv = ("sweep", "--data", "digits", "--epochs", "1", "--hidden", "16,2048")
    code, text = run_in_a_terminal(*argv)
    assert code == 0, text
    assert "24/24 steps (group 2/2)" in text and "steps/s" in text


def test_a_width_sweep_that_pads_into_one_stack_counts_one_group() -> None:
    argv = ("sweep", "--data", "digits", "--epochs", "1", "--hidden", "16,32")
    code, text = run_in_a_terminal(*argv)
    assert code == 0, text
    assert "12/12 steps" in text and "group" not in text and "2 models trained" in text


def test_train_into_a_pipe_keeps_stderr_empty() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sae_core", "train", "--data", "digits", "--epochs", "1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0 and done.stderr == ""
    assert "held-out metrics" in done.stdout


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", ["train", "sweep", "eval", "export"])
def test_every_option_has_a_help_line(command: str) -> None:
    sub = subcommands()[command]
    for action in sub._actions:
        assert action.help, f"{command} {action.option_strings or action.dest} has no help"


@pytest.mark.parametrize("command", ["train", "sweep"])
def test_help_shows_the_defaults(command: str) -> None:
    text = " ".join(subcommands()[command].format_help().split())  # one line: no wrapping
    for shown in (
        "passes over the training split (default: 20)",
        "Adam learning rate (default: 0.003)",
        "(default: 0.2)",  # --test-fraction
        "(default: 1)",  # --threads
        "samples per step (default: 128)",
    ):
        assert shown in text, shown
    if command == "sweep":
        assert "(default: 0.1)" in text and "(default: 128)" in text  # the lists, plainly


# Each argv is refused in-process; the child then reports whether torch was ever imported.
_CHECK_WITHOUT_TORCH = """
import json, sys
from sae_core.cli.commands import main
codes = [main(argv) for argv in json.loads(sys.argv[1])]
print(json.dumps({"codes": codes, "torch": "torch" in sys.modules}))
"""


def test_bad_data_and_arguments_are_refused_before_torch_is_imported(tmp_path) -> None:
    refused = [
        ["train", "--data", "digts"],
        ["train", "--data", "patches", "--opt", "patch_siz=12"],
        ["train", "--data", "no/such/file.csv"],
        ["train", "--data", "digits", "--test-fraction", "1.5"],
        ["train", "--data", "digits", "--preprocess", "scale02"],
        ["train", "--data", "digits", "--lam", "-1"],
        ["train", "--data", "digits", "--method", "topk", "--k", "500"],
        ["train", "--data", "digits", "--dead-remedy", "auxk"],
        ["sweep", "--data", "digits", "--hidden", "16,0"],
        ["sweep", "--data", "digtis", "--lam", "0.1,1"],
        ["sweep", "--data", "digits", "--method", "topk", "--lam", "0.1,1"],
        ["eval", str(tmp_path), "--opt", "n_features=4"],
        ["eval", str(tmp_path), "--data", "digts"],
    ]
    done = subprocess.run(
        [sys.executable, "-c", _CHECK_WITHOUT_TORCH, json.dumps(refused)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    result = json.loads(done.stdout)
    assert result["codes"] == [2] * len(refused), done.stderr
    assert result["torch"] is False


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["train", "--data", "digits", "--lamm", "3"], "did you mean --lam?"),
        (["train", "--data", "digits", "--hiden", "3"], "did you mean --hidden?"),
        (["sweep", "--data", "digits", "--seed", "1", "--sedds", "1,2"], "did you mean --seeds?"),
        (["train", "--data", "digits", "--method", "topkk"], "did you mean 'topk'?"),
        (["trian", "--data", "digits"], "did you mean 'train'?"),
        (["train", "--data", "digts"], "did you mean digits?"),
        (["train", "--data", "fashion-mnst"], "did you mean fashion-mnist?"),
        (["train", "--data", "patches", "--opt", "patch_siz=12"], "did you mean patch_size?"),
    ],
)
def test_misspellings_get_a_did_you_mean(capsys, argv: list[str], hint: str) -> None:
    assert hint in cli_error(capsys, *argv)


def test_a_missing_file_is_not_taken_for_a_misspelled_source(capsys) -> None:
    assert "did you mean" not in cli_error(capsys, "train", "--data", "file.csv")
