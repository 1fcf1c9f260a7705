"""Compare a parse result with a gold file (tests/seeds/gold/*.json): a list of differences."""

from __future__ import annotations

from typing import Any

GOLD_KEYS = ("agency", "year", "published", "format", "sections", "active", "requests", "appeals")


def balance_ok(result: dict[str, Any]) -> bool | None:
    return next((c["ok"] for c in result["checks"] if c["check"] == "balance"), None)


def inferred(result: dict[str, Any]) -> dict[str, list[int]]:
    """The parse contract's `cells` in the gold files' shape: row -> inferred column indexes."""
    out: dict[str, list[int]] = {}
    for ref, how in result["cells"].items():
        table, row, col = ref.split(".")
        if table == "requests" and how == "inferred":
            out.setdefault(row, []).append(int(col))
    return {k: sorted(v) for k, v in out.items()}


def differences(result: dict[str, Any], gold: dict[str, Any], prefix: str = "") -> list[str]:
    diffs: list[str] = []
    for key in GOLD_KEYS:
        diffs += _diff(result.get(key), gold.get(key), f"{prefix}{key}")
    if "balance_ok" in gold and balance_ok(result) != gold["balance_ok"]:
        diffs.append(f"{prefix}balance_ok: {balance_ok(result)!r} != {gold['balance_ok']!r}")
    if "inferred" in gold and inferred(result) != gold["inferred"]:
        diffs.append(f"{prefix}inferred: {inferred(result)!r} != {gold['inferred']!r}")
    return diffs


def _diff(got: Any, want: Any, path: str) -> list[str]:
    if isinstance(want, dict) and isinstance(got, dict):
        out = []
        for k in sorted(set(want) | set(got)):
            out += _diff(got.get(k), want.get(k), f"{path}.{k}")
        return out
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        out = []
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            out += _diff(g, w, f"{path}[{i}]")
        return out
    if got != want or isinstance(got, bool) != isinstance(want, bool):
        return [f"{path}: {got!r} != {want!r}"]
    return []
