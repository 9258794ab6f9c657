"""Each page's charts as one standalone HTML file (sidebar button; DESIGN: figures as HTML)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from sae_core.figures.html import figures_html
from tests.helpers.app import app_with_model, make_current


def test_html_holds_every_chart_with_plotly_embedded_once() -> None:
    figures = {
        "a chart": go.Figure(go.Bar(x=[1, 2], y=[3, 4])),
        "b": go.Figure(go.Scatter(x=[0], y=[7], name="only-in-b")),
    }
    page = figures_html(figures, "Reconstructions <digits>")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<title>Reconstructions &lt;digits&gt;</title>" in page
    assert 'id="a_chart"' in page and 'id="b"' in page and "only-in-b" in page
    # plotly.js inline once (offline), not once per chart
    assert page.count("Plotly.newPlot") == 2 and page.count("plotly.js v") == 1


def _page_script() -> None:
    import plotly.graph_objects as go
    import streamlit as st

    from sae_core.ui.charts import chart, render_download, start_page

    start_page()
    if st.session_state.get("draw", True):
        chart(go.Figure(go.Bar(x=[1], y=[2])), "one")
        chart(go.Figure(go.Bar(x=[1], y=[3])), "two", st.columns(2)[1])
    render_download("Test page", "test")


def test_a_page_offers_the_charts_it_drew_as_one_download() -> None:
    at = AppTest.from_function(_page_script).run()
    button = at.get_by_key("charts_html")
    assert button.proto.label == "Charts on this page (HTML, 2)"
    assert list(at.session_state["_page_charts"]) == ["one", "two"]


def test_a_page_without_charts_offers_no_download() -> None:
    at = AppTest.from_function(_page_script)
    at.session_state["draw"] = False
    at.run()
    with pytest.raises(KeyError):
        at.get_by_key("charts_html")


def test_every_page_offers_the_charts_it_drew(digits_model: Any) -> None:
    for page, keys in {
        "reconstructions": {"recon_grid"},
        "filters": {"filt_atoms", "filt_latent_top", "filt_latent_hist"},
        "compare": {"cmp_frontier"},
        "activations": {"act_values", "act_l0", "act_frequency", "act_shrinkage", "act_heatmap"},
    }.items():
        at = app_with_model(digits_model, f"app_pages/{page}.py")
        drawn = set(at.session_state["_page_charts"])
        assert keys <= drawn, page
        label = at.get_by_key("charts_html").proto.label
        assert label == f"Charts on this page (HTML, {len(drawn)})", page
    at = app_with_model(digits_model, "app_pages/learn.py")
    with pytest.raises(KeyError):  # no charts there: no button
        at.get_by_key("charts_html")


@pytest.fixture(scope="module")
def digits_model() -> Any:
    return make_current("digits", d_sae=32, epochs=1)


def _overlapping_runs_script() -> None:
    """This page draws one chart while an older run of another page (Play on Train, cut short
    by a page switch) still draws two: session state is shared between the two runs."""
    from unittest import mock

    import plotly.graph_objects as go

    from sae_core.ui import charts

    charts.start_page()
    charts.chart(go.Figure(go.Bar(x=[1], y=[2])), "this_page")
    with mock.patch.object(charts, "_running_page", return_value="another page's hash"):
        charts.chart(go.Figure(go.Bar(x=[1], y=[3])), "train_history")
        charts.chart(go.Figure(go.Bar(x=[1], y=[4])), "train_preview")
    charts.render_download("Test page", "test")


def test_charts_of_another_pages_run_are_not_counted_or_saved() -> None:
    at = AppTest.from_function(_overlapping_runs_script).run()
    assert not at.exception
    assert at.get_by_key("charts_html").proto.label == "Charts on this page (HTML, 1)"
    assert list(at.session_state["_page_charts"]) == ["this_page"]
