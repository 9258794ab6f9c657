"""The package's shape: imports point one way, no module imports itself back, modules stay small.

Read from the source with ``ast`` (nothing is imported), so a new cycle or an upward import fails
here with the modules named, before it can hide behind lazy imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "sae_core"
MAX_LINES = 300  # beyond this a module says why at its top ("over 300 lines:")

# Each room may import the rooms listed (and itself); the top-level core modules are open to all.
CORE = {"methods", "encoders", "config", "model", "penalties", "errors", "topk"}
ALLOWED: dict[str, set[str]] = {
    "data": set(),
    "figures": set(),
    "analysis": {"data"},
    "training": {"data", "analysis"},
    "runs": {"data", "analysis", "training"},
    "api": {"data", "analysis", "training", "runs", "figures"},
    "app": {"data", "analysis", "training", "runs", "figures"},
    "cli": {"data", "analysis", "training", "runs", "figures", "app"},
    "ui": {"data", "analysis", "training", "runs", "figures", "app"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(imported sae_core module, whether only for type checking) for each import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(n) for n in ast.walk(node))
    found: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sae_core"):
            for alias in node.names:
                found.append((f"{node.module}.{alias.name}", id(node) in typing_only))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("sae_core"):
                    found.append((alias.name, id(node) in typing_only))
    return found


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name: str) -> str | None:
    """The module an import names (``sae_core.data.load_dataset`` -> ``sae_core.data``)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _graph(include_typing: bool) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        targets = {_resolve(t) for t, typing in _imports(path) if include_typing or not typing}
        graph[name] = {t for t in targets if t and t != name}
    return graph


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_module_imports_back_into_a_cycle() -> None:
    graph = _graph(include_typing=True)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            # a package's __init__ importing its own submodules is not a cycle back up
            if nxt.startswith(node + "."):
                continue
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_imports_point_down_the_layers() -> None:
    wrong = []
    for module, targets in _graph(include_typing=True).items():
        room = _room(module)
        if room in CORE or room == "" or room == "__main__":
            continue
        for target in targets:
            other = _room(target)
            if other in CORE or other == room:
                continue
            if other not in ALLOWED.get(room, set()):
                wrong.append(f"{module} imports {target}")
    assert not wrong, "imports running back up the layers:\n" + "\n".join(sorted(wrong))


def test_the_core_modules_import_no_subpackage_but_each_other() -> None:
    for module, targets in _graph(include_typing=False).items():
        if _room(module) in CORE:
            assert all(_room(t) in CORE or t == "sae_core" for t in targets), (module, targets)


def test_only_the_ui_layer_imports_streamlit() -> None:
    offenders = [
        name
        for name, path in MODULES.items()
        if _room(name) != "ui" and "import streamlit" in path.read_text(encoding="utf-8")
    ]
    assert not offenders


def test_long_modules_say_why_at_their_top() -> None:
    long_silent = []
    for name, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_LINES and "over 300 lines:" not in text[:3000]:
            long_silent.append(f"{name} ({text.count(chr(10))} lines)")
    assert not long_silent, "modules over 300 lines without a reason at the top: " + ", ".join(
        long_silent
    )


def test_the_top_of_the_package_holds_a_handful_of_files() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 8, top
