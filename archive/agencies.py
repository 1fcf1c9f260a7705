"""Registry handling inside the archive: loading a registry file, matching reports to agencies,
and the due dates of the compliance calendar (DESIGN.md)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from archive.store import Archive

# Punctuation, spaces and brackets that vary between a report's title and the registry.
_NOISE = re.compile(r"[\s\u3000·•、，,。.：:（）()《》“”\"'【】\[\]-]+")


def normalise_name(name: str) -> str:
    """A name for comparison: no spaces or punctuation, 政府 spelled without 人民."""
    s = _NOISE.sub("", name or "")
    return s.replace("人民政府", "政府")


def load_registry_into(arc: Archive, path: str | Path | None) -> int:
    """Load a registry file (YAML/CSV, crawler/registry.py's format; None = the bundled one)."""
    from crawler.registry import load_registry

    reg = load_registry(path)
    return arc.upsert_agencies(reg.agencies, regions=reg.regions)


@dataclass
class Matcher:
    """Matches a report's parsed agency name to a registry name.

    Exact first, then normalised, then containment either way (甘河子镇 ⊂ 乌苏市甘河子镇人民政府);
    an ambiguous or failed match falls back to the agency the crawler recorded for the document."""

    names: list[str]
    _norm: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._exact = set(self.names)
        for n in self.names:
            self._norm.setdefault(normalise_name(n), []).append(n)

    @classmethod
    def from_archive(cls, arc: Archive) -> Matcher:
        return cls([r[0] for r in arc.db.execute("SELECT name FROM agencies ORDER BY name").fetchall()])

    def match(self, parsed: str | None, recorded: str | None = None) -> str | None:
        if parsed:
            parsed = parsed.strip()
            if parsed in self._exact:
                return parsed
            norm = normalise_name(parsed)
            if len(self._norm.get(norm, [])) == 1:
                return self._norm[norm][0]
            if len(norm) >= 3:
                hits = [n for key, names in self._norm.items() if norm in key or key in norm for n in names]
                if len(hits) > 1:
                    # the registry name inside the parsed one: keep the longest (most specific)
                    inside = [h for h in hits if normalise_name(h) in norm]
                    if inside:
                        longest = max(len(normalise_name(h)) for h in inside)
                        hits = [h for h in inside if len(normalise_name(h)) == longest]
                if len(hits) == 1:
                    return hits[0]
                if recorded in hits:
                    return recorded
        if recorded:
            return recorded
        return parsed or None


# -- the compliance calendar's due dates ---------------------------------------------------------


def _mmdd(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    m = re.fullmatch(r"(\d{1,2})-(\d{1,2})", str(value).strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


@lru_cache(maxsize=4096)
def due_date(
    kind: str | None, year: int, agency_deadline: str | None = None, town_deadline: str | None = None
) -> date:
    """The date by which the report on `year` must be published (2019 regulation, 第四十九条).

    department → 01-31 of Y+1; government → 03-31; town → the agency's own rule, else its
    region's rule, else 03-31; institution → 03-31 unless the agency sets a date; years up to
    2018 (2008 regulation) → 03-31 for everyone."""
    y = year + 1
    if year <= 2018:
        return date(y, 3, 31)
    if kind == "department":
        return date(y, 1, 31)
    if kind in ("town", "institution"):
        for rule in (_mmdd(agency_deadline), _mmdd(town_deadline) if kind == "town" else None):
            if rule:
                return date(y, *rule)
    return date(y, 3, 31)


def agency_rows(arc: Archive) -> list[dict]:
    """The registry with each agency's region rules resolved."""
    regions = {r["code"]: r for r in arc.db["regions"].rows}
    out = []
    for a in arc.db["agencies"].rows:
        reg = regions.get(a["region"] or "", {})
        a = dict(a)
        a["town_deadline"] = reg.get("town_deadline")
        a["first_year"] = a.get("first_year") or reg.get("first_year") or 2019
        a["columns"] = json.loads(a["columns"] or "[]")
        out.append(a)
    return out
