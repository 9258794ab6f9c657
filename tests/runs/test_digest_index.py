"""Saved runs found by set-up digest or link key (the shared cache's second level)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sae_core.config import TrainConfig
from sae_core.runs import save_run
from sae_core.runs.digest_index import DIGEST_KEY, LINK_KEY, find_saved_run, forget_index
from tests.helpers.models import random_model


def _save(root: Path, name: str, extra: dict[str, object]) -> Path:
    return save_run(
        random_model(),
        TrainConfig(epochs=1),
        metrics={"fve": 0.5},
        history=pd.DataFrame({"step": [1]}),
        data_name="digits",
        name=name,
        root=root,
        extra=extra,
    )


def test_a_run_is_found_by_its_digest_or_link_key_and_an_older_run_never(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    assert find_saved_run(digest="d1", root=root) is None  # no folder yet
    _save(root, "old", {"data_spec": "digits"})  # saved before digests: not indexed
    path = _save(root, "new", {DIGEST_KEY: "d1", LINK_KEY: "L1"})
    by_digest = find_saved_run(digest="d1", root=root)
    by_link = find_saved_run(link_key="L1", root=root)
    assert by_digest is not None and by_digest.path == path and by_digest.link_key == "L1"
    assert by_link == by_digest and by_link.digest == "d1"
    assert find_saved_run(digest="d2", link_key="L2", root=root) is None


def test_a_run_saved_later_is_found_without_a_restart(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    _save(root, "first", {DIGEST_KEY: "d1"})
    assert find_saved_run(digest="d2", root=root) is None  # the index is built here
    _save(root, "second", {DIGEST_KEY: "d2"})  # renamed into the folder: its mtime changes
    found = find_saved_run(digest="d2", root=root)
    assert found is not None and found.path.name == "second"


def test_a_run_with_an_unreadable_config_is_left_out(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    path = _save(root, "broken", {DIGEST_KEY: "d1"})
    (path / "config.json").write_text("{not json")
    forget_index()  # rewritten in place: the folder's own mtime did not change
    assert find_saved_run(digest="d1", root=root) is None
