"""The app's pages, declared once: link name, file, title and icon.

``app.py`` builds its navigation from :data:`PAGES`; a link's ``page=`` value, every page link
and each scenario's "open this page" use these names, so adding or renaming a page happens here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class AppPage:
    """One page: ``name`` is its link name and its file's stem (``app_pages/<name>.py``)."""

    name: str
    title: str
    icon: str

    @property
    def path(self) -> str:
        return f"app_pages/{self.name}.py"


PAGES: tuple[AppPage, ...] = (  # navigation order; the first is the default page
    AppPage(name="home", title="Start", icon=":material/home:"),
    AppPage(name="train", title="Train", icon=":material/model_training:"),
    AppPage(name="reconstructions", title="Reconstructions", icon=":material/compare:"),
    AppPage(name="activations", title="Activations & sparsity", icon=":material/bar_chart:"),
    AppPage(name="filters", title="Filters & latents", icon=":material/grid_view:"),
    AppPage(name="compare", title="Compare & sweep", icon=":material/stacked_line_chart:"),
    AppPage(name="ground_truth", title="Ground truth", icon=":material/verified:"),
    AppPage(name="superposition", title="Superposition", icon=":material/scatter_plot:"),
    AppPage(name="learn", title="Learn", icon=":material/school:"),
)
PAGE_NAMES: tuple[str, ...] = tuple(p.name for p in PAGES)
_BY_NAME = {p.name: p for p in PAGES}
_BY_PATH = {p.path: p for p in PAGES}


def page_path(name: str) -> str:
    """``app_pages/<name>.py`` for a page that exists (KeyError names the pages otherwise)."""
    try:
        return _BY_NAME[name].path
    except KeyError:
        raise KeyError(f"unknown page {name!r}: choose one of {', '.join(PAGE_NAMES)}") from None


def page_title(path: str) -> str | None:
    """The navigation title of the page at ``path`` (``app_pages/filters.py``), None if none."""
    page = _BY_PATH.get(path)
    return None if page is None else page.title
