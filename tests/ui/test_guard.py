"""App-wide safety nets: errors become messages, the upload cap matches the core's limit."""

from __future__ import annotations

import tomllib
from streamlit.testing.v1 import AppTest

from sae_core.data.files.tabular import MAX_FILE_BYTES
from tests.conftest import ROOT


def _guarded_script() -> None:
    import streamlit as st

    from sae_core.errors import DataError
    from sae_core.ui.guard import user_errors

    with user_errors("Loading"):
        raise DataError("x.csv has 3 NaN values (first at row 2, column 1): clean or drop them")
    with user_errors("Drawing"):
        raise KeyError("a bug")
    st.write("still running")


def test_user_errors_and_bugs_become_messages_without_a_traceback() -> None:
    at = AppTest.from_function(_guarded_script, default_timeout=60).run()
    assert not at.exception
    messages = [e.value for e in at.error]
    assert messages[0].startswith("Loading failed: x.csv has 3 NaN values")
    assert "Drawing failed unexpectedly (KeyError" in messages[1]
    assert "Traceback" not in " ".join(messages)
    assert at.markdown[-1].value == "still running"


def test_the_server_upload_cap_matches_the_parsers_limit_and_listens_on_localhost() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 1024**2 == MAX_FILE_BYTES
    assert config["server"]["address"] == "127.0.0.1"
