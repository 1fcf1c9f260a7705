"""Bodies outside the registry: reports the archive holds whose body the registry does not list.

`organise` (archive/reports.py) attributes every document into its temporary table `org`; these
read it: one name per such body, spelled out where its report prints it in full, and a row for
`unregistered_bodies` each, with its likely parent, region, columns and evidence, for the registry.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from archive.bodies import canonical, spelled_out, split_place


def spell_out(db: Any) -> None:
    """One name per body outside the registry: 温县住建局 (a title's abbreviation) and
    温县住房和城乡建设局 are one body, named in full where the report's own text prints it."""
    # the few documents of bodies outside the registry, found without a scan of org for each body
    db.execute("CREATE INDEX temp.org_unregistered ON org (body) WHERE registered = 0")
    names: dict[str, list[str]] = defaultdict(list)
    for (body,) in db.execute("SELECT DISTINCT body FROM org WHERE registered = 0 AND body IS NOT NULL"):
        names[canonical(body)].append(body)
    for key, bodies in names.items():
        name = max(bodies, key=lambda n: (len(n), n))
        marks = ",".join("?" * len(bodies))
        texts = [t or "" for (t,) in db.execute(
            f"SELECT t.text FROM report_text t JOIN org o ON o.id = t.report_id WHERE o.registered = 0"
            f" AND o.body IN ({marks}) ORDER BY o.body, o.sha LIMIT 3", bodies)]
        name = next((f for f in spelled_out(key) if any(f in t for t in texts)), name)
        db.execute(f"UPDATE org SET body = ? WHERE registered = 0 AND body IN ({marks})", [name, *bodies])


def _kind_of(name: str) -> str:
    key = canonical(name)
    if key.endswith(("镇", "街道")):
        return "town"
    if key.endswith("政府"):
        return "government"
    return "department"


def unregistered_rows(db: Any, by_name: dict[str, dict]) -> list[dict[str, Any]]:
    """Bodies whose reports the archive holds but the registry does not: rows for the registry."""
    out = []
    bodies = db.execute(
        "SELECT o.body, count(*), min(coalesce(d.first_seen, '')), group_concat(DISTINCT o.year),"
        " (SELECT owner FROM org x WHERE x.body = o.body AND x.owner IS NOT NULL ORDER BY x.sha, x.id LIMIT 1)"
        " FROM org o JOIN documents d ON d.sha256 = o.sha WHERE o.registered = 0 AND o.body IS NOT NULL"
        " GROUP BY o.body ORDER BY o.body").fetchall()
    for name, n, first, years, owner_name in bodies:
        owner = by_name.get(owner_name or "")
        if owner is not None and split_place(canonical(name))[0] not in ("", split_place(canonical(owner["name"]))[0]):
            owner = None  # another place's body on this column (a city's platform): its parent is not known
        # the parent: the government of the place the body sits in (its column's owner's)
        parent = None
        if owner is not None:
            parent = owner["name"] if owner["kind"] == "government" else owner.get("parent")
        columns: set[str] = set()
        evidence: list[dict[str, Any]] = []
        for cols, how, titles, url in db.execute(
                "SELECT columns, how, titles, url FROM org WHERE body = ? AND registered = 0 ORDER BY id", [name]):
            columns.update(json.loads(cols))
            if len(evidence) < 5:
                evidence.append({"how": how, "titles": json.loads(titles), "url": url})
        out.append({
            "name": name,
            "kind": _kind_of(name),
            "parent": parent,
            "region": owner["region"] if owner else None,
            "portal": owner["portal"] if owner else None,
            "columns": json.dumps(sorted(columns), ensure_ascii=False),
            "years": json.dumps(sorted(int(y) for y in (years or "").split(",") if y), ensure_ascii=False),
            "documents": n,
            "first_seen": first,
            "evidence": json.dumps(evidence, ensure_ascii=False),
        })
    return out
