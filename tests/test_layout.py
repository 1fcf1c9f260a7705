"""The packages depend one way: crawler → archive ← extract, and only gongkai/ (the command line and
the orchestration) uses all three. Every import counts, those inside functions too."""

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
