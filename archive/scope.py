"""The year, kind and region a page or an export is narrowed to, and the reports every count is about."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from archive import regions
from archive.labels import KIND_LABELS
from archive.registry import KIND_WORDS

# a kind as a Chinese registry or a reader writes it (政府/部门/乡镇/事业单位, or its label)
KIND_VALUES = {**KIND_WORDS, **{label: kind for kind, label in KIND_LABELS.items()}}


def report_scope(alias: str = "r") -> str:
    """The reports every count and list is about: one per body and year (`current`: the document
    that is the report, archive/reports.py), in one place for every page and export."""
    return f"{alias}.current = 1"


@dataclass
class Scope:
    """The year, kind and region a page is narrowed to, as the query string gives them. The region
    may be a code or a name; a parent region (a prefecture, a province) includes its children."""

    year: int | None = None
    kind: str | None = None
    region: str = ""
    prefixes: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: Any, suffix: str = "") -> Scope:
        year = (args.get("year" + suffix) or "").strip()
        kind = (args.get("kind" + suffix) or "").strip()
        kind = KIND_VALUES.get(kind, kind)
        region = (args.get("region" + suffix) or "").strip()
        return cls(int(year) if year.isdigit() else None, kind or None, region, regions.resolve(region))

    @property
    def unknown_region(self) -> bool:
        return bool(self.region) and not self.prefixes

    def where(self, alias: str = "", skip: tuple[str, ...] = ()) -> tuple[str, list]:
        """` and …` conditions for a table with year, kind and region columns."""
        a = f"{alias}." if alias else ""
        parts: list[str] = []
        params: list[object] = []
        if self.year is not None and "year" not in skip:
            parts.append(f"{a}year = ?")
            params.append(self.year)
        if self.kind and "kind" not in skip:
            parts.append(f"{a}kind = ?")
            params.append(self.kind)
        if self.region and "region" not in skip:
            clause, ps = regions.sql_filter(self.prefixes, f"{a}region")
            parts.append(clause)
            params += ps
        return "".join(f" and {p}" for p in parts), params

    def query(self, **change: Any) -> str:
        """This scope as a query string (with some keys changed or dropped), for a link that keeps it."""
        args = {"year": self.year, "kind": self.kind, "region": self.region, **change}
        return urlencode({k: v for k, v in args.items() if v not in (None, "")})

    def label(self) -> str:
        bits = []
        if self.region:
            bits.append(region_title(self.region, self.prefixes))
        if self.year:
            bits.append(f"{self.year} 年度")
        if self.kind:
            bits.append(KIND_LABELS.get(self.kind, self.kind))
        return " · ".join(bits) or "全部地区与年度"


def region_title(text: str, prefixes: list[str]) -> str:
    """How a region filter reads: 伊宁市 (654002), or the names of every region a name matched."""
    if not prefixes:
        return f"{text}（未找到此地区）"
    return "、".join(f"{regions.full_name(p.ljust(6, '0'))}（{p.ljust(6, '0')}）" for p in prefixes)

