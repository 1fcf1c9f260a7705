"""The archive package's modules import in one direction: no module imports one that imports it
back, directly or through others, not even inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

ARCHIVE = Path(__file__).resolve().parent.parent / "archive"


def archive_imports() -> dict[str, set[str]]:
    """archive module → the archive modules it imports (anywhere in the file)."""
    names = {p.stem for p in ARCHIVE.glob("*.py")} - {"__init__"}
    graph: dict[str, set[str]] = {}
    for name in names:
        found: set[str] = set()
        for node in ast.walk(ast.parse((ARCHIVE / f"{name}.py").read_text("utf-8"))):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                mods = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            found |= {m.split(".")[1] for m in mods if m.startswith("archive.") and m.split(".")[1] in names}
        graph[name] = found - {name}
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules along it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return path[path.index(n):] + [n]
            if n not in state and (found := visit(n)):
                return found
        path.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_the_finder_sees_a_cycle() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_no_archive_module_imports_one_that_imports_it_back() -> None:
    graph = archive_imports()
    assert "web" in graph and "plugin" in graph["web"]  # the graph is read: the app registers the plugin
    assert cycle(graph) is None, " → ".join(cycle(graph) or [])
