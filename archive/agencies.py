"""Registry handling inside the archive: loading a registry file, writing the archive's bodies back
as one, and the due dates of the compliance calendar. Matching names to bodies: archive/bodies.py."""

from __future__ import annotations

import json
import os
import re
from datetime import date
from functools import lru_cache
from pathlib import Path

from archive.registry import Registry, load_registry, to_yaml
from archive.store import Archive


def load_registry_into(arc: Archive, path: str | Path | None) -> int:
    """Load a registry file (YAML/CSV, archive/registry.py's format; None = the bundled one)."""
    reg = load_registry(path)
    return arc.upsert_agencies(reg.agencies, regions=reg.regions)


def registry_from_archive(data: str | Path) -> str | None:
    """The agencies imported into the archive (`gongkai registry import`), as a registry file, or
    None when the archive has none."""
    db_path = Path(data) / "archive.db"
    if not db_path.exists():
        return None
    with Archive(data) as arc:
        if "agencies" not in arc.db.table_names() or not arc.db["agencies"].count:
            return None
        rows = []
        for r in arc.db["agencies"].rows:
            r = dict(r)
            r["columns"] = json.loads(r.get("columns") or "[]")
            r["aliases"] = json.loads(r.get("aliases") or "[]")
            rows.append({k: r.get(k) for k in ("name", "kind", "region", "parent", "portal", "cms",
                                                 "columns", "deadline", "aliases")})
        regions = {}
        if "regions" in arc.db.table_names():
            for g in arc.db["regions"].rows:
                rule = {**json.loads(g.get("rules") or "{}"),
                        **{k: g[k] for k in ("town_deadline", "first_year") if g.get(k)}}
                if rule:
                    regions[g["code"]] = rule
    path = Path(data) / "registry.yaml"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(to_yaml(Registry(rows, regions)), "utf-8")
    os.replace(tmp, path)
    return str(path)


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
