"""Documents → reports: whose report each document is, and which documents are one report.

A report is one body's report on one year. It may reach us as several documents: a notice page and
the PDF it links, the same bytes at a second URL, a corrected re-publication. `organise` decides,
from the evidence the crawler recorded and the names the documents print:

- the body (`bodies.BodyIndex`): the name the document itself prints (title, signature), then the
  list entry's title, the page's title, the page's 发布机构; a document none of these names
  belongs to the owner of the column it was listed in. Documents of one publication (a notice page
  and its attachments) share what the strongest of them says. A body outside the registry keeps
  its own name (`registered` = 0) and is listed in `unregistered_bodies`;
- the report: the documents of one body and year. The one that holds the tables is the report
  (`role` 'report', `current` = 1); the others are 'notice' (a page without the numbers), 'copy'
  (the same numbers again) or 'superseded' (an earlier version whose numbers differ; the latest is
  current, `report_version` counts them).

Everything a user counts reads `current = 1`: one row per report. It runs after `extract` and
before `check`, and only writes rows whose outcome changed, so a better rule or a grown registry
re-attributes an archive without a re-crawl.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from archive.bodies import BodyIndex, Match, canonical, similar, spelled_out
from archive.store import Archive
from extract.meta import title_names

USABLE = ("ok", "inconsistent", "incomplete")  # parse statuses that count as a published report
_STATUS_RANK = {"ok": 4, "inconsistent": 4, "incomplete": 3, "not_report": 1, "error": 0}
# evidence, strongest first; the column's owner only where no source names a body
SOURCES = ("document", "list title", "page title", "发布机构")


@dataclass
class Doc:
    id: int
    sha256: str
    parsed: str | None
    year: int | None
    status: str
    numbers: str | None  # numbers signature: equal numbers = the same report
    has_numbers: bool
    sections: list[str]
    first_seen: str
    recorded: str | None  # the agency the crawler (column owner) or `ingest --agency` recorded
    override: bool
    titles: list[str] = field(default_factory=list)
    page_titles: list[str] = field(default_factory=list)
    publishers: list[str] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    publications: list[str] = field(default_factory=list)  # report URLs (notice page or the file)
    list_year: int | None = None
    urls: list[str] = field(default_factory=list)
    # outcome
    body: str | None = None
    registered: bool = False
    how: str = ""
    specific: bool = False  # named by the document's own evidence, not only by its column


def _load(arc: Archive) -> list[Doc]:
    docs: dict[str, Doc] = {}
    cur = arc.db.execute(
        "SELECT r.id, r.sha256, r.agency_parsed, r.year, r.parse_status, r.numbers_sig, r.sections,"
        " d.first_seen, d.agency, d.agency_override, d.list_title,"
        " EXISTS(SELECT 1 FROM report_requests q WHERE q.report_id = r.id AND q.new_received_total IS NOT NULL)"
        " FROM reports r JOIN documents d ON d.sha256 = r.sha256 WHERE r.parse_current = 1 ORDER BY r.id"
    )
    for rid, sha, parsed, year, status, sig, sections, first, recorded, override, list_title, nums in cur:
        d = Doc(rid, sha, parsed, year, status or "error", sig, bool(nums), json.loads(sections or "[]"),
                first or "", recorded, bool(override))
        if list_title:
            d.titles.append(list_title)
        docs[sha] = d
    for sha, url, list_title, meta, agency in arc.db.execute(
            "SELECT sha256, url, list_title, meta, agency FROM document_urls ORDER BY id"):
        d = docs.get(sha)
        if d is None:
            continue
        m = json.loads(meta or "{}")
        d.urls.append(url)
        if list_title and list_title not in d.titles:
            d.titles.append(list_title)
        if m.get("title"):
            d.page_titles.append(m["title"])
        if m.get("发布机构"):
            d.publishers.append(m["发布机构"])
        for o in m.get("owners") or ([agency] if agency else []):
            if o not in d.owners:
                d.owners.append(o)
        if m.get("column") and m["column"] not in d.columns:
            d.columns.append(m["column"])
        d.publications.append(m.get("report_url") or url)
        if d.list_year is None and isinstance(m.get("year"), int):
            d.list_year = m["year"]
    for d in docs.values():
        if not d.owners and d.recorded:
            d.owners.append(d.recorded)
    return list(docs.values())


def _attribute(d: Doc, index: BodyIndex) -> None:
    """The body of one document from its own evidence (the publication's comes after)."""
    if d.override and d.recorded:
        d.body, d.registered, d.how, d.specific = d.recorded, d.recorded in index.parent_of, "given (--agency)", True
        return
    context = index.context_places(d.owners)
    named: list[tuple[str, Match]] = []
    # a parse that fell back on the page's 发布机构 (its title named no body) says no more than that
    parsed = None if d.parsed and canonical(d.parsed) in {canonical(p) for p in d.publishers} else d.parsed
    for source, names in zip(SOURCES, ([parsed], [title_names(t) for t in d.titles],
                                       [title_names(t) for t in d.page_titles], d.publishers), strict=True):
        for n in names:
            m = index.lookup(n, context) if n else None
            if m is not None:
                named.append((source, m))
    # the 发布机构 of a shared column is often the portal's owner: it speaks only when nothing else does
    strong = [(s, m) for s, m in named if s != "发布机构"] or named
    if strong:
        source, first = strong[0]
        if not first.registered and first.name:
            # an OCR misreading of a registry name (沐阳 for 沭阳): a registry name one character away
            for s, m in strong[1:]:
                if m.registered and m.name and similar(canonical(m.name), canonical(first.name)):
                    source, first = s, m
                    break
        if first.name is None:
            d.how = f"ambiguous ({source}): " + " / ".join(first.candidates)
            d.specific = True
            return
        d.body, d.registered, d.how, d.specific = first.name, first.registered, f"{source}: {first.how}", True
        return
    owners = [o for o in d.owners if o in index.parent_of]
    if len(owners) == 1:
        d.body, d.registered, d.how = owners[0], True, "column owner"
    elif len(d.owners) == 1:
        d.body, d.registered, d.how = d.owners[0], d.owners[0] in index.parent_of, "column owner"
    elif d.owners:
        d.how = "no name; the column belongs to " + " / ".join(d.owners)


def _share_publications(docs: list[Doc]) -> None:
    """A notice page and its attachments are one publication: a document that names no body (or no
    year) takes the one its publication's documents agree on."""
    groups: dict[str, list[Doc]] = defaultdict(list)
    for d in docs:
        for p in dict.fromkeys(d.publications):
            groups[p].append(d)
    for members in groups.values():
        if len(members) < 2:
            continue
        named = {(d.body, d.registered) for d in members if d.specific and d.body}
        years = {d.year for d in members if d.year}
        for d in members:
            if not d.specific and len(named) == 1:
                d.body, d.registered = next(iter(named))
                d.how = "its publication's other document names it"
                d.specific = True
            if d.year is None and len(years) == 1:
                d.year = next(iter(years))


def _rank(d: Doc) -> tuple:
    return (d.status in USABLE, d.has_numbers, _STATUS_RANK.get(d.status, 0), len(d.sections), d.first_seen, d.id)


def _roles(members: list[Doc]) -> dict[int, tuple[str, int | None, int]]:
    """id → (role, version, the report's id) for the documents of one body and year."""
    with_numbers = sorted((d for d in members if d.has_numbers and d.status in USABLE),
                          key=lambda d: (d.first_seen, d.id))
    out: dict[int, tuple[str, int | None, int]] = {}
    if with_numbers:
        # versions: distinct numbers in the order they appeared; the latest is the report
        versions: dict[str | None, list[Doc]] = {}
        for d in with_numbers:
            versions.setdefault(d.numbers or f"#{d.id}", []).append(d)
        ordered = list(versions.values())
        latest = max(ordered[-1], key=_rank)
        for n, group in enumerate(ordered, 1):
            best = max(group, key=_rank)
            for d in group:
                if d is latest:
                    out[d.id] = ("report", n, latest.id)
                elif n < len(ordered) and d is best:
                    out[d.id] = ("superseded", n, latest.id)
                else:
                    out[d.id] = ("copy", n, latest.id)
        main = latest
    else:
        main = max(members, key=_rank)
        out[main.id] = ("report", 1, main.id)
    for d in members:
        out.setdefault(d.id, ("notice", None, main.id))
    return out


def organise(arc: Archive) -> dict[str, int]:
    """Attribute, group and give roles to every current document parse; list unregistered bodies.
    Writes only what changed. Returns counts (reports, documents, unregistered, changed)."""
    agencies = [dict(zip(("name", "kind", "region", "parent", "portal", "aliases"), r, strict=True))
                for r in arc.db.execute("SELECT name, kind, region, parent, portal, aliases FROM agencies ORDER BY name")]
    # nothing to redo when neither the registry nor the documents and their parses changed
    stamp = hashlib.sha256(json.dumps([agencies, list(arc.db.execute(
        "SELECT (SELECT coalesce(max(id), 0) || '/' || count(*) FROM reports WHERE parse_current = 1),"
        " (SELECT coalesce(max(id), 0) || '/' || coalesce(max(last_seen), '') FROM document_urls),"
        " (SELECT count(*) FROM documents)").fetchone())], ensure_ascii=False).encode()).hexdigest()
    done = arc.db.execute("SELECT value FROM _state WHERE key = 'organise'").fetchone()
    if done and done[0] == stamp:
        return {"reports": arc.db.execute("SELECT count(*) FROM reports WHERE current = 1").fetchone()[0],
                "documents": None, "unregistered": arc.db["unregistered_bodies"].count, "changed": 0}
    for a in agencies:
        a["aliases"] = json.loads(a["aliases"] or "[]")
    index = BodyIndex(agencies)
    docs = _load(arc)
    for d in docs:
        if d.year is None:
            d.year = d.list_year  # the year the list entry's title gives
        _attribute(d, index)
    _spell_out(arc, docs)
    _share_publications(docs)
    groups: dict[tuple, list[Doc]] = defaultdict(list)
    for d in docs:
        if d.body and d.year:
            groups[("body", d.body, d.year)].append(d)
        else:
            groups[("doc", d.sha256)].append(d)  # a report of its own until something names it
    by_name = {a["name"]: a for a in agencies}
    want: dict[int, tuple] = {}
    for members in groups.values():
        roles = _roles(members)
        for d in members:
            role, version, report_of = roles[d.id]
            reg = by_name.get(d.body or "") if d.registered else None
            want[d.id] = (d.body, d.year, reg["region"] if reg else None, reg["kind"] if reg else None,
                          int(d.registered), d.how or None, role, version, report_of, int(role == "report"))
    _complete_across_documents(arc, groups, want)
    have = {r[0]: tuple(r[1:]) for r in arc.db.execute(
        "SELECT id, agency, year, region, kind, registered, attribution, role, report_version, report_of, current"
        " FROM reports WHERE parse_current = 1")}
    changed = [(*w, rid) for rid, w in want.items() if have.get(rid) != w]
    unregistered = _unregistered(docs, by_name)
    with arc.db.conn:
        if changed:
            arc.db.conn.executemany(
                "UPDATE reports SET agency = ?, year = ?, region = ?, kind = ?, registered = ?, attribution = ?, role = ?,"
                " report_version = ?, report_of = ?, current = ? WHERE id = ?", changed)
            arc.db.conn.executemany("UPDATE report_text SET agency = ?, year = ? WHERE report_id = ?",
                                    [(c[0], c[1], c[-1]) for c in changed])
            arc.db.conn.executemany(
                "UPDATE check_results SET agency = ?, year = ? WHERE report_id = ? AND scope = 'report'",
                [(c[0], c[1], c[-1]) for c in changed])
        arc.db.execute("INSERT OR REPLACE INTO _state (key, value) VALUES ('organise', ?)", [stamp])
        old = [tuple(r) for r in arc.db.execute("SELECT * FROM unregistered_bodies ORDER BY name")]
        new = sorted(tuple(r.values()) for r in unregistered)
        if old != new:
            arc.db.execute("DELETE FROM unregistered_bodies")
            if unregistered:
                arc.db["unregistered_bodies"].insert_all(unregistered)
    return {"reports": sum(1 for w in want.values() if w[-1]), "documents": len(docs),
            "unregistered": len(unregistered), "changed": len(changed)}


_SECTION_ONLY = re.compile(r"^missing: (section \d(?:; section \d)*)$")


def _complete_across_documents(arc: Archive, groups: dict[tuple, list[Doc]], want: dict[int, tuple]) -> None:
    """A notice page with the prose and an attachment with the tables are one complete report: the
    report's completeness check passes when its documents together hold every section."""
    fixes = []
    for members in groups.values():
        main = next((d for d in members if want[d.id][6] == "report"), None)
        if main is None or not main.has_numbers or main.status != "incomplete" or len(members) < 2:
            continue
        row = arc.db.execute("SELECT id, detail FROM check_results WHERE report_id = ? AND scope = 'report'"
                             " AND [check] = 'completeness' AND ok = 0", [main.id]).fetchone()
        m = _SECTION_ONLY.match(row[1] or "") if row else None
        union = sorted({s for d in members for s in d.sections})
        if m is None or len(union) < 6:
            continue
        others = [c for (c,) in arc.db.execute(
            "SELECT [check] FROM check_results WHERE report_id = ? AND scope = 'report' AND ok = 0"
            " AND [check] != 'completeness'", [main.id])]
        fixes.append((row[0], main.id, json.dumps(union), "inconsistent" if others else "ok",
                      json.dumps(others, ensure_ascii=False) if others else None))
        main.status, main.sections = fixes[-1][3], union
    if fixes:
        with arc.db.conn:
            arc.db.conn.executemany(
                "UPDATE check_results SET ok = 1, detail = 'complete: its sections are in another document of"
                " the report (the notice page)' WHERE id = ?", [(f[0],) for f in fixes])
            arc.db.conn.executemany(
                "UPDATE reports SET sections = ?, parse_status = ?, checks_failed = ? WHERE id = ?",
                [(f[2], f[3], f[4], f[1]) for f in fixes])


def _spell_out(arc: Archive, docs: list[Doc]) -> None:
    """A title's abbreviation of a body outside the registry (温县住建局) spelled out where the
    report's own text prints the full name (温县住房和城乡建设局)."""
    seen: dict[str, list[Doc]] = defaultdict(list)
    for d in docs:
        if d.body and not d.registered:
            seen[canonical(d.body)].append(d)  # 温县住建局 and 温县住房和城乡建设局 are one body
    for key, ds in seen.items():
        name = max((d.body for d in ds), key=lambda n: (len(n), n))
        for d in ds:
            d.body = name
        ids = [d.id for d in ds[:3]]
        texts = [t or "" for (t,) in arc.db.execute(
            f"SELECT text FROM report_text WHERE report_id IN ({','.join('?' * len(ids))})", ids)]
        full = next((f for f in spelled_out(key) if any(f in t for t in texts)), None)
        if full:
            for d in ds:
                d.body = full


def _kind_of(name: str) -> str:
    key = canonical(name)
    if key.endswith(("镇", "街道")):
        return "town"
    if key.endswith("政府"):
        return "government"
    return "department"


def _unregistered(docs: list[Doc], by_name: dict[str, dict]) -> list[dict[str, Any]]:
    """Bodies whose reports the archive holds but the registry does not: rows for the registry."""
    seen: dict[str, list[Doc]] = defaultdict(list)
    for d in docs:
        if d.body and not d.registered:
            seen[d.body].append(d)
    out = []
    for name in sorted(seen):
        ds = seen[name]
        owners = [o for d in ds for o in d.owners if o in by_name]
        owner = by_name.get(owners[0]) if owners else None
        # the parent: the government of the place the body sits in (its column's owner's)
        parent = None
        if owner is not None:
            parent = owner["name"] if owner["kind"] == "government" else owner.get("parent")
        columns = sorted({c for d in ds for c in d.columns})
        out.append({
            "name": name,
            "kind": _kind_of(name),
            "parent": parent,
            "region": owner["region"] if owner else None,
            "portal": owner["portal"] if owner else None,
            "columns": json.dumps(columns, ensure_ascii=False),
            "years": json.dumps(sorted({d.year for d in ds if d.year}), ensure_ascii=False),
            "documents": len(ds),
            "first_seen": min(d.first_seen for d in ds),
            "evidence": json.dumps([{"how": d.how, "titles": d.titles[:2], "url": d.urls[0] if d.urls else None}
                                    for d in ds[:5]], ensure_ascii=False),
        })
    return out
