"""Score parse results against the hand-checked gold of the real-report corpus (tests/real/).

A gold file holds the values as printed (see tests/real/README.md). Every number of tables 二,
三 and 四 is a cell; a cell is right when the parse gives the gold value (a blank cell is 0), a
miss when the parse gives null for a number the document prints, and wrong when the parse gives
another number or a number where the document prints none. Tables a gold file leaves out (an
excerpt) are not scored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REAL = Path(__file__).resolve().parent / "real"
META_KEYS = ("agency", "year", "format", "published")
TABLES = ("active", "requests", "appeals")
# kinds whose cells must be ≥ 99 % right (the others, text dumps, ≥ 95 %)
EXACT_KINDS = ("html", "pdf", "docx")


@dataclass
class Score:
    doc: str
    kind: str
    variants: list[str]
    origin: str = "?"
    right: int = 0
    missed: int = 0
    wrong: list[str] = field(default_factory=list)
    meta_right: int = 0
    meta_total: int = 0
    meta_wrong: list[str] = field(default_factory=list)

    @property
    def cells(self) -> int:
        return self.right + self.missed + len(self.wrong)


def documents() -> list[tuple[Path, dict[str, Any]]]:
    """(document path, gold) for every gold file of the corpus, public and rewritten."""
    out = []
    for gold_path in sorted(REAL.glob("*/gold/*.json")) + sorted(REAL.glob("gold/*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        folder = gold_path.parent.parent / "docs"
        doc = next((p for p in sorted(folder.glob(gold_path.stem + ".*"))), None)
        if doc is not None:
            out.append((doc, gold))
    return out


def _cells(value: Any, path: str) -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k != "amount_text":
                out.update(_cells(v, f"{path}.{k}"))
        return out
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out.update(_cells(v, f"{path}.{i}"))
        return out
    return {path: value}


def _value(result: dict, path: str) -> Any:
    node: Any = result
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def score(doc: Path, gold: dict[str, Any], result: dict[str, Any]) -> Score:
    s = Score(doc.name, gold.get("kind", "?"), list(gold.get("variants", [])), gold.get("origin", "?"))
    for key in META_KEYS:
        if key not in gold:
            continue
        s.meta_total += 1
        if result.get(key) == gold[key]:
            s.meta_right += 1
        else:
            s.meta_wrong.append(f"{key}: {result.get(key)!r} != {gold[key]!r}")
    for table in TABLES:
        if table not in gold:
            continue  # an excerpt: not scored
        want = _cells(gold[table], table) if gold[table] is not None else {}
        got = _cells(result.get(table), table) if result.get(table) is not None else {}
        for path, w in want.items():
            g = _value(result, path)
            if g == w and (g is None or isinstance(g, bool) == isinstance(w, bool)):
                s.right += 1
            elif g is None:
                s.missed += 1
            else:
                s.wrong.append(f"{path}: {g!r} != {w!r}")
        for path, g in got.items():  # numbers where the document prints none
            if path not in want and g is not None:
                s.wrong.append(f"{path}: {g!r} where the document has no such cell")
    return s


def parse(doc: Path) -> dict[str, Any]:
    from extract import ExtractError, parse_file

    try:
        return parse_file(doc)
    except ExtractError as e:
        return {"error": str(e)}


def summary(scores: list[Score]) -> list[tuple[str, int, int, int, int, float, float]]:
    """Per variant class: (class, documents, cells, right, wrong, cell accuracy, metadata accuracy)."""
    classes: dict[str, list[Score]] = {}
    for s in scores:
        for v in s.variants or ["(none)"]:
            classes.setdefault(v, []).append(s)
        classes.setdefault(f"kind:{s.kind}", []).append(s)
        classes.setdefault(f"origin:{s.origin}", []).append(s)
    out = []
    for name, group in sorted(classes.items()):
        cells = sum(s.cells for s in group)
        right = sum(s.right for s in group)
        wrong = sum(len(s.wrong) for s in group)
        meta_total = sum(s.meta_total for s in group)
        meta = sum(s.meta_right for s in group) / meta_total if meta_total else 1.0
        out.append((name, len(group), cells, right, wrong, right / cells if cells else 1.0, meta))
    return out
