"""The packages depend one way: crawler → archive ← extract, and only gongkai/ (the command line and
the orchestration) uses all three; no module imports one that imports it back. Every import counts,
those inside functions too."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# package -> the project's packages it must never import
FORBIDDEN = {
    "archive": {"crawler", "gongkai"},
    "extract": {"archive", "crawler", "gongkai"},
    "crawler": {"gongkai"},
}


def imported(path: Path) -> set[str]:
    """Top-level package names a module imports (statements anywhere, and importlib/resources strings)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("import_module", "files") and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            out.add(node.args[0].value.split(".")[0])
    return out


def test_packages_import_one_way() -> None:
    wrong = []
    for package, banned in FORBIDDEN.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            bad = imported(path) & banned
            if bad:
                wrong.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert wrong == []


def test_the_rule_sees_imports_inside_functions(tmp_path: Path) -> None:
    mod = tmp_path / "m.py"
    mod.write_text("def f():\n    from crawler.runner import run_crawl\n    importlib.import_module('gongkai.cli')\n")
    assert imported(mod) == {"crawler", "gongkai"}


PACKAGES = ("gongkai", "crawler", "extract", "archive")


def module_imports() -> dict[str, set[str]]:
    """Every module of ours → the modules of ours it imports, relative imports and packages included."""
    paths: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            paths[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = ".".join(here[: len(here) - node.level + 1] + [node.module or ""]) if node.level else node.module
                base = (base or "").strip(".")
                found |= {base} | {f"{base}.{a.name}" for a in node.names}
        graph[name] = {m for m in found if m in paths} - {name}
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


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = module_imports()
    # the graph is really read: relative imports and imports of a package's __init__ included
    assert "crawler.portal.server" in graph["crawler.portal"] or "crawler.portal.pages" in graph["crawler.portal.server"]
    assert "archive.web.plugin" in graph["archive.web.app"]
    assert cycle(graph) is None, " → ".join(cycle(graph) or [])
