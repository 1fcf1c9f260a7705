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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from archive.bodies import BodyIndex, Match, canonical, similar
from archive.store import Archive
from archive.unregistered import spell_out, unregistered_rows
from archive.verdicts import url_date
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
    url: str | None = None  # the parse's own URL
    dates: tuple = ()  # the documents row's first_seen, last_modified, crawl_id
    list_date: str | None = None  # the earliest date a list showed it on
    # outcome
    body: str | None = None
    registered: bool = False
    how: str = ""
    specific: bool = False  # named by the document's own evidence, not only by its column


BATCH = 5000  # documents attributed, and reports written, at a time: memory stays flat at any size


_ORG_COLUMNS = (
    "id INT, sha TEXT, body TEXT, registered INT, how TEXT, specific INT, year INT, pub TEXT, owner TEXT,"
    " columns TEXT, titles TEXT, url TEXT,"
    " h_agency TEXT, h_year INT, h_region TEXT, h_kind TEXT, h_registered INT, h_attribution TEXT, h_role TEXT,"
    " h_version INT, h_report_of INT, h_current INT")
# the dates of a document apart from its text, as report_dates keeps them
_DATES = ("first_seen", "last_modified", "crawl_id", "list_date", "url_date")
# the evidence of a document no URL row speaks for: its parse's name, its list title, its recorded agency
_OWN_EVIDENCE = "json_array(r.agency_parsed, d.agency, d.agency_override, d.list_title)"


def _evidence(arc: Archive, no_urls: Callable[[int], None]) -> Iterator[Doc]:
    """Every current document parse that has URL rows, with the evidence they recorded, one at a
    time (the parses and the URL rows are both read in sha256 order and joined as they stream).
    The id of each parse without URL rows goes to `no_urls`."""
    # the meta fields are read by SQLite (cheaper than json.loads of each row's whole meta in Python)
    urls = arc.db.conn.execute(
        "SELECT sha256, url, list_title, json_extract(meta, '$.title'), json_extract(meta, '$.\"发布机构\"'),"
        " json_extract(meta, '$.owners'), json_extract(meta, '$.column'), json_extract(meta, '$.report_url'),"
        " json_extract(meta, '$.year'), agency, list_date FROM document_urls NOT INDEXED ORDER BY sha256, id")
    pending = next(urls, None)
    # NOT INDEXED: the whole table read in its order and sorted costs half of walking the sha256
    # index and fetching each row from wherever it sits (at 600k reports)
    for rid, sha, parsed, year, own_url, recorded, override, list_title, *dates in arc.db.conn.execute(
        "SELECT r.id, r.sha256, r.agency_parsed, r.year, r.url, d.agency, d.agency_override, d.list_title,"
        " d.first_seen, d.last_modified, d.crawl_id"
        # the parses without URL rows come too (asking each for its URL rows costs more than the
        # merge below passing them over)
        " FROM reports r NOT INDEXED JOIN documents d ON d.sha256 = r.sha256 WHERE r.parse_current = 1"
        " ORDER BY r.sha256"
    ):
        while pending is not None and pending[0] < sha:
            pending = next(urls, None)
        if pending is None or pending[0] != sha:
            no_urls(rid)  # attributed by its own evidence (_attribute_all)
            continue
        # what grouping reads (status, numbers, sections) is read where documents are grouped
        d = Doc(rid, sha, parsed, year, "error", None, False, [], "", recorded, bool(override), url=own_url,
                dates=tuple(dates))
        if list_title:
            d.titles.append(list_title)
        while pending is not None and pending[0] == sha:
            _, url, title, page_title, publisher, owners, column, report_url, list_year, agency, listed = pending
            d.urls.append(url)
            if listed is not None and (d.list_date is None or listed < d.list_date):
                d.list_date = listed
            if title and title not in d.titles:
                d.titles.append(title)
            if page_title:
                d.page_titles.append(page_title)
            if publisher:
                d.publishers.append(publisher)
            for o in (_names(owners) if owners else None) or ([agency] if agency else []):
                if o not in d.owners:
                    d.owners.append(o)
            if column and column not in d.columns:
                d.columns.append(column)
            d.publications.append(report_url or url)
            if d.list_year is None and type(list_year) is int:
                d.list_year = list_year
            pending = next(urls, None)
        if not d.owners and d.recorded:
            d.owners.append(d.recorded)
        yield d


def _names(array: str) -> list[str]:
    """A JSON array of names as SQLite's json_extract gives it: the usual one name read without a
    JSON parser (a third of the cost)."""
    if array.startswith('["') and array.endswith('"]') and '"' not in array[2:-2] and "\\" not in array:
        return [array[2:-2]]
    return json.loads(array)


def _attribute(d: Doc, index: BodyIndex) -> None:
    """The body of one document from its own evidence (the publication's comes after)."""
    if d.override and d.recorded:
        d.body, d.registered, d.how, d.specific = d.recorded, d.recorded in index.parent_of, "given (--agency)", True
        return
    context = index.context_places(d.owners)
    named: list[tuple[str, Match]] = []
    # a parse that fell back on the page's 发布机构 (its title named no body) says no more than that
    parsed = d.parsed
    if parsed and d.publishers and (parsed in d.publishers or canonical(parsed) in map(canonical, d.publishers)):
        parsed = None
    by_source: tuple[Iterable[str | None], ...] = (
        [parsed], map(title_names, d.titles), map(title_names, d.page_titles), d.publishers)
    for source, names in zip(SOURCES, by_source, strict=True):
        for n in names:
            m = index.lookup(n, context) if n else None
            if m is not None:
                if not named and source != "发布机构" and m.registered and m.name:
                    # the first name the document's own evidence gives is a registered body's: it
                    # decides (later names only count when the first is unregistered or ambiguous)
                    d.body, d.registered, d.how, d.specific = m.name, True, f"{source}: {m.how}", True
                    return
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


def _share_publications(db: Any) -> None:
    """A notice page and its attachments are one publication: a document that names no body (or no
    year) takes the one its publication's documents agree on. Only publications of two documents or
    more can share anything: the others are left out before any grouping."""
    db.execute("DROP TABLE IF EXISTS temp.org_multi")
    db.execute("CREATE TEMP TABLE org_multi AS SELECT o.rowid AS rid, o.pub, o.body, o.registered, o.specific, o.year"
               " FROM (SELECT pub FROM org GROUP BY pub HAVING count(*) > 1) m JOIN org o ON o.pub = m.pub")
    db.execute("CREATE INDEX temp.org_multi_pub ON org_multi (pub)")
    db.execute("DROP TABLE IF EXISTS temp.org_share")
    db.execute("CREATE TEMP TABLE org_share AS SELECT pub, min(body) AS body, min(registered) AS registered"
               " FROM org_multi WHERE specific = 1 AND body IS NOT NULL GROUP BY pub"
               " HAVING count(DISTINCT body) = 1 AND count(DISTINCT registered) = 1")
    db.execute("CREATE INDEX temp.org_share_pub ON org_share (pub)")
    db.execute("UPDATE org SET body = s.body, registered = s.registered, specific = 1,"
               " how = 'its publication''s other document names it' FROM org_multi m JOIN org_share s"
               " ON s.pub = m.pub WHERE org.rowid = m.rid AND m.specific = 0")
    db.execute("UPDATE org SET year = y.year FROM (SELECT pub, min(year) AS year FROM org_multi"
               " WHERE year IS NOT NULL GROUP BY pub HAVING count(DISTINCT year) = 1) y"
               " JOIN org_multi m ON m.pub = y.pub WHERE org.rowid = m.rid AND m.year IS NULL")
    db.execute("DROP TABLE temp.org_share")
    db.execute("DROP TABLE temp.org_multi")


def _rank(d: Doc) -> tuple:
    # ties by content (sha256), not by row id: the same archive gives the same reports in any order
    return (d.status in USABLE, d.has_numbers, _STATUS_RANK.get(d.status, 0), len(d.sections), d.sha256)


def _roles(members: list[Doc]) -> dict[int, tuple[str, int | None, int]]:
    """id → (role, version, the report's id) for the documents of one body and year."""
    with_numbers = sorted((d for d in members if d.has_numbers and d.status in USABLE),
                          key=lambda d: (d.first_seen, d.sha256))
    out: dict[int, tuple[str, int | None, int]] = {}
    if with_numbers:
        # versions: distinct numbers in the order they appeared; the latest is the report
        versions: dict[str | None, list[Doc]] = {}
        for d in with_numbers:
            versions.setdefault(d.numbers or f"#{d.sha256}", []).append(d)
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
    registry = arc.db.execute("SELECT name, kind, region, parent, portal, aliases FROM agencies ORDER BY name").fetchall()
    # nothing to redo when neither the registry nor the documents and their parses changed
    # (each change to what it reads of the documents and their URL rows counts in _state 'evidence':
    # archive/schema.py ORGANISE_READS lists those columns)
    stamp = hashlib.sha256(json.dumps([registry, list(arc.db.execute(
        "SELECT (SELECT coalesce(max(id), 0) || '/' || count(*) FROM reports WHERE parse_current = 1),"
        " (SELECT value FROM _state WHERE key = 'evidence')").fetchone())], ensure_ascii=False).encode()).hexdigest()
    done = arc.db.execute("SELECT value FROM _state WHERE key = 'organise'").fetchone()
    if done and done[0] == stamp:
        return {"reports": arc.db.execute("SELECT count(*) FROM reports WHERE current = 1").fetchone()[0],
                "documents": None, "unregistered": arc.db["unregistered_bodies"].count, "changed": 0}
    agencies = [dict(zip(("name", "kind", "region", "parent", "portal", "aliases"), r, strict=True)) for r in registry]
    del registry
    for a in agencies:
        a["aliases"] = json.loads(a["aliases"] or "[]")
    index = BodyIndex(agencies)
    db = arc.db.conn
    _attribute_all(arc, index)
    _write_dates(db)  # the dates of each document apart from its text, gathered as it was attributed
    # 2. one name per body outside the registry; 3. a publication's documents share what they say
    spell_out(arc.db.conn)
    _share_publications(db)
    # 4. the documents of each body and year: one report, its roles and versions
    by_name = {a["name"]: a for a in agencies}
    del index, agencies
    counts = _group(arc, by_name)
    if counts["changed"] > BATCH:
        db.execute("ANALYZE reports")  # the planner's statistics of report_of and current are stale now
    unregistered = unregistered_rows(db, by_name)
    with arc.db.conn:
        arc.db.execute("INSERT OR REPLACE INTO _state (key, value) VALUES ('organise', ?)", [stamp])
        old = [tuple(r) for r in arc.db.execute("SELECT * FROM unregistered_bodies ORDER BY name")]
        if old != [tuple(r.values()) for r in unregistered]:
            arc.db.execute("DELETE FROM unregistered_bodies")
            if unregistered:
                arc.db.table("unregistered_bodies").insert_all(unregistered)
    # temp.org is left to the connection's close, which deletes the temporary file at once, where a
    # DROP reads its every page back to free it (2 s at 600k documents); a next run drops it first
    return {**counts, "unregistered": len(unregistered)}


def _attribute_all(arc: Archive, index: BodyIndex) -> None:
    """Step 1: each document's body from its own evidence, into the temporary table org, in the
    reports' row order (where an outcome depends on the order, the query orders by sha256). Documents
    that share their evidence (a body's reports of every year, listed on its own column) are
    attributed once: a document without URL rows is attributed per distinct evidence, the rest one
    by one from their URLs' evidence; the row itself is copied in SQL. Each document's dates apart
    from its text go to the temporary table org_dates (_write_dates)."""
    db = arc.db.conn
    for t in ("org", "org_ev", "org_url", "org_key", "org_bare", "org_dates"):
        db.execute(f"DROP TABLE IF EXISTS temp.{t}")
    db.execute(f"CREATE TEMP TABLE org ({_ORG_COLUMNS})")
    db.execute("CREATE TEMP TABLE org_ev (key TEXT PRIMARY KEY, body TEXT, registered INT, how TEXT, specific INT,"
               " owner TEXT, titles TEXT)")
    # appended as the documents come (in sha256 order), indexed by id once they are all in: one sort
    # instead of a B-tree insert at a random place per document
    db.execute("CREATE TEMP TABLE org_url (id INT, body TEXT, registered INT, how TEXT,"
               " specific INT, year INT, pub TEXT, owner TEXT, columns TEXT, titles TEXT, url TEXT)")
    db.execute(f"CREATE TEMP TABLE org_dates (id INT, {', '.join(_DATES)})")
    batch: list[tuple] = []
    dates: list[tuple] = []
    bare: list[tuple[int]] = []  # the parses without URL rows, as the merge passes over them

    def no_urls(rid: int) -> None:
        bare.append((rid,))
        if len(bare) >= BATCH:
            db.executemany("INSERT INTO org_bare VALUES (?)", bare)
            bare.clear()

    def flush() -> None:
        db.executemany(f"INSERT INTO org_url VALUES ({','.join('?' * 11)})", batch)
        db.executemany(f"INSERT INTO org_dates VALUES ({','.join('?' * (1 + len(_DATES)))})", dates)
        batch.clear()
        dates.clear()

    db.execute("CREATE TEMP TABLE org_bare (id INT)")
    for d in _evidence(arc, no_urls):
        if d.year is None:
            d.year = d.list_year  # the year the list entry's title gives
        _attribute(d, index)
        body, registered, how, specific, owner, titles = _outcome(d, index)
        batch.append((d.id, body, registered, how, specific, d.year,
                      d.publications[0] if d.publications else d.sha256, owner,
                      # ("" titles: the evidence is not kept, see _outcome)
                      json.dumps(d.columns, ensure_ascii=False) if d.columns and titles else "[]", titles,
                      d.urls[0] if d.urls else None))
        # each URL row's URL, then the report URL it recorded (its own where it recorded none)
        seen = " ".join(f"{u} {p}" for u, p in zip(d.urls, d.publications, strict=True))
        dates.append((d.id, *d.dates, d.list_date or None, url_date(f"{d.url or ''} {seen}")))
        if len(batch) >= BATCH:
            flush()
    flush()
    db.executemany("INSERT INTO org_bare VALUES (?)", bare)
    db.execute("CREATE UNIQUE INDEX temp.org_url_id ON org_url (id)")
    # the evidence key of each parse without URL rows (in row order: appended, not inserted)
    db.execute(f"CREATE TEMP TABLE org_key (id INTEGER PRIMARY KEY, key TEXT, {', '.join(_DATES)})")
    db.create_function("url_date", 1, url_date, deterministic=True)
    db.execute(f"INSERT INTO org_key SELECT r.id, {_OWN_EVIDENCE}, d.first_seen, d.last_modified, d.crawl_id, NULL,"
               " url_date(r.url) FROM org_bare b JOIN reports r ON r.id = b.id"
               " JOIN documents d ON d.sha256 = r.sha256 ORDER BY r.id")
    db.execute("DROP TABLE temp.org_bare")
    ev = []
    for (key,) in db.execute("SELECT DISTINCT key FROM org_key"):
        parsed, recorded, override, list_title = json.loads(key)
        d = Doc(0, "", parsed, None, "error", None, False, [], "", recorded, bool(override),
                titles=[list_title] if list_title else [], owners=[recorded] if recorded else [])
        _attribute(d, index)
        ev.append((key, *_outcome(d, index)))
    db.executemany("INSERT INTO org_ev VALUES (?, ?, ?, ?, ?, ?, ?)", ev)
    del ev
    db.execute(
        "INSERT INTO org SELECT r.id, r.sha256, coalesce(u.body, e.body), coalesce(u.registered, e.registered),"
        " coalesce(u.how, e.how), coalesce(u.specific, e.specific), CASE WHEN u.id IS NULL THEN r.year ELSE u.year END,"
        " coalesce(u.pub, r.sha256), CASE WHEN u.id IS NULL THEN e.owner ELSE u.owner END, coalesce(u.columns, '[]'), coalesce(u.titles, e.titles),"
        " u.url, r.agency, r.year, r.region, r.kind, r.registered, r.attribution, r.role, r.report_version,"
        " r.report_of, r.current"
        " FROM reports r NOT INDEXED LEFT JOIN org_url u ON u.id = r.id LEFT JOIN org_key k ON k.id = r.id"
        " LEFT JOIN org_ev e ON e.key = k.key"
        # a parse of a document no longer stored is no one's report (neither table holds it)
        " WHERE r.parse_current = 1 AND (u.id IS NOT NULL OR k.id IS NOT NULL) ORDER BY r.id")
    db.execute("DROP TABLE temp.org_ev")
    db.execute(f"INSERT INTO org_dates SELECT id, {', '.join(_DATES)} FROM org_key")
    db.execute("DROP TABLE temp.org_url")
    db.execute("DROP TABLE temp.org_key")
    db.execute("CREATE INDEX temp.org_pub ON org (pub)")


def _write_dates(db: Any) -> None:
    """report_dates := the dates each current parse's document has apart from its text (org_dates),
    written where they changed: `check` reads them instead of the documents and every URL row again."""
    same = " AND ".join(f"t.{c} IS o.{c}" for c in _DATES)
    with db:
        db.execute("DELETE FROM report_dates WHERE report_id NOT IN (SELECT id FROM org_dates)")
        db.execute(f"INSERT OR REPLACE INTO report_dates (report_id, {', '.join(_DATES)}) SELECT * FROM org_dates o"
                   f" WHERE NOT EXISTS (SELECT 1 FROM report_dates t WHERE t.report_id = o.id AND {same}) ORDER BY id")
    db.execute("DROP TABLE temp.org_dates")


def _outcome(d: Doc, index: BodyIndex) -> tuple:
    """A document's attribution as org stores it: body, registered, how, specific, owner, titles.
    The titles (and the columns) are evidence for the list of unregistered bodies: they are left
    out ("") where the document's own evidence named a registered body, which nothing after changes."""
    owner = next((o for o in d.owners if o in index.parent_of), None)
    keep = not (d.registered and d.specific)
    return (d.body, int(d.registered), d.how or None, int(d.specific), owner,
            (json.dumps(d.titles[:2], ensure_ascii=False) if d.titles else "[]") if keep else "")


def _group(arc: Archive, by_name: dict[str, dict]) -> dict[str, int]:
    """Step 4: the documents of each body and year are one report; each document's outcome that
    changed goes to the temporary table org_out, written to the reports at the end in row order.
    Returns counts (reports, documents, changed)."""
    db = arc.db.conn
    counts = {"reports": 0, "documents": 0, "changed": 0}
    db.execute("DROP TABLE IF EXISTS temp.org_out")
    db.execute("CREATE TEMP TABLE org_out (id INTEGER PRIMARY KEY, agency TEXT, year INT, region TEXT, kind TEXT, registered INT,"
               " attribution TEXT, role TEXT, report_version INT, report_of INT, current INT, full INT, renamed INT)")
    # a body's only document that year is its report (what _roles gives one document): those, nearly
    # all of a large archive, are judged in SQL; the body-years of several documents in Python below
    db.execute("DROP TABLE IF EXISTS temp.org_several")
    db.execute("CREATE TEMP TABLE org_several AS SELECT body, year, count(*) AS n FROM org WHERE body IS NOT NULL"
               " AND year IS NOT NULL GROUP BY body, year HAVING count(*) > 1")
    db.execute("CREATE UNIQUE INDEX temp.org_several_key ON org_several (body, year)")
    singles = db.execute("SELECT (SELECT count(*) FROM org) - (SELECT coalesce(sum(n), 0) FROM org_several)"
                         ).fetchone()[0]
    counts["documents"] += singles
    counts["reports"] += singles
    stays = ("o.h_agency IS o.body AND o.h_year IS o.year AND o.h_region IS a.region AND o.h_kind IS a.kind"
             " AND o.h_current IS 1")
    counts["changed"] += db.execute(
        "INSERT INTO org_out SELECT o.id, o.body, o.year, a.region, a.kind, o.registered, o.how, 'report', 1, o.id, 1,"
        f" NOT ({stays}), NOT (o.h_agency IS o.body AND o.h_year IS o.year)"
        " FROM org o LEFT JOIN agencies a ON o.registered != 0 AND a.name = o.body"
        " WHERE NOT EXISTS (SELECT 1 FROM org_several s WHERE s.body = o.body AND s.year = o.year)"
        f" AND NOT ({stays} AND o.h_registered IS o.registered AND o.h_attribution IS o.how AND o.h_role IS 'report'"
        " AND o.h_version IS 1 AND o.h_report_of IS o.id)").rowcount
    changed: list[tuple] = []
    rows = db.execute(
        "SELECT o.id, sha, o.body, o.registered, how, o.year, r.numbers_sig,"
        " EXISTS(SELECT 1 FROM report_requests q WHERE q.report_id = r.id AND q.new_received_total IS NOT NULL),"
        " coalesce(nullif(r.parse_status, ''), 'error'), r.sections, coalesce(d.first_seen, ''),"
        " h_agency, h_year, h_region, h_kind, h_registered, h_attribution, h_role, h_version, h_report_of, h_current"
        " FROM org o JOIN org_several s ON s.body = o.body AND s.year = o.year JOIN reports r ON r.id = o.id"
        " JOIN documents d ON d.sha256 = o.sha ORDER BY o.body, o.year, o.id")
    for _key, group in groupby(rows, key=lambda r: (r[2], r[5])):
        rows_of = list(group)
        members = [Doc(r[0], r[1], None, r[5], r[8], r[6], bool(r[7]), json.loads(r[9] or "[]"), r[10], None,
                       False, body=r[2], registered=bool(r[3]), how=r[4] or "") for r in rows_of]
        roles = _roles(members)
        _complete_across_documents(arc, members, roles)
        outcome = [(d.id, d.body, d.registered, d.how, d.year, roles[d.id], tuple(r[11:]))
                   for d, r in zip(members, rows_of, strict=True)]
        for rid, body, registered, how, year, (role, version, report_of), have in outcome:
            reg = by_name.get(body or "") if registered else None
            want = (body, year, reg["region"] if reg else None, reg["kind"] if reg else None,
                    int(registered), how or None, role, version, report_of, int(role == "report"))
            counts["documents"] += 1
            counts["reports"] += role == "report"
            if have != want:
                # where the body, year, region, kind and current stay, the indexed columns are not written
                changed.append((rid, *want, int(want[:4] != have[:4] or want[9] != have[9]),
                                int(have[:2] != want[:2])))
        if len(changed) >= BATCH:
            db.executemany(f"INSERT INTO org_out VALUES ({','.join('?' * 13)})", changed)
            counts["changed"] += len(changed)
            changed = []
    db.executemany(f"INSERT INTO org_out VALUES ({','.join('?' * 13)})", changed)
    counts["changed"] += len(changed)
    _write(db)
    db.execute("DROP TABLE temp.org_out")
    db.execute("DROP TABLE temp.org_several")
    return counts


def _write(db: Any) -> None:
    """The outcomes that changed (org_out), in the reports' row order and one transaction: pages are
    read and written once, where rows in the order of their bodies would touch a random page each
    (17 s against 3 s for 600k rows). An UPDATE rewrites the entries of every index on a column it
    sets, changed or not: rows whose indexed columns stay get the narrow one."""
    # org_out is keyed by id: each UPDATE walks it in the reports' order and finds each report by its id
    # (the + keeps the planner from walking the reports instead, to look each up in org_out)
    with db:
        db.execute("UPDATE reports SET agency = o.agency, year = o.year, region = o.region, kind = o.kind,"
                   " registered = o.registered, attribution = o.attribution, role = o.role,"
                   " report_version = o.report_version, report_of = o.report_of, current = o.current"
                   " FROM org_out o WHERE o.full AND reports.id = +o.id")
        db.execute("UPDATE reports SET registered = o.registered, attribution = o.attribution, role = o.role,"
                   " report_version = o.report_version, report_of = o.report_of"
                   " FROM org_out o WHERE NOT o.full AND reports.id = +o.id")
        # only where the body or year changed: a report_text update rewrites its search indexes
        renamed = db.execute("SELECT agency, year, id FROM org_out WHERE renamed ORDER BY id").fetchall()
        db.executemany("UPDATE report_text SET agency = ?, year = ? WHERE report_id = ?", renamed)
        db.executemany("UPDATE check_results SET agency = ?, year = ? WHERE report_id = ?"
                       " AND scope = 'report'", renamed)


_SECTION_ONLY = re.compile(r"^missing: (section \d(?:; section \d)*)$")


def _complete_across_documents(arc: Archive, members: list[Doc], roles: dict[int, tuple]) -> None:
    """A notice page with the prose and an attachment with the tables are one complete report: the
    report's completeness check passes when its documents together hold every section."""
    main = next((d for d in members if roles[d.id][0] == "report"), None)
    if main is None or not main.has_numbers or main.status != "incomplete" or len(members) < 2:
        return
    union = sorted({s for d in members for s in d.sections})
    if len(union) < 6:
        return
    row = arc.db.execute("SELECT id, detail FROM check_results WHERE report_id = ? AND scope = 'report'"
                         " AND [check] = 'completeness' AND ok = 0", [main.id]).fetchone()
    if row is None or not _SECTION_ONLY.match(row[1] or ""):
        return
    others = [c for (c,) in arc.db.execute(
        "SELECT [check] FROM check_results WHERE report_id = ? AND scope = 'report' AND ok = 0"
        " AND [check] != 'completeness'", [main.id])]
    with arc.db.conn:
        arc.db.execute("UPDATE check_results SET ok = 1, detail = 'complete: its sections are in another"
                       " document of the report (the notice page)' WHERE id = ?", [row[0]])
        arc.db.execute("UPDATE reports SET sections = ?, parse_status = ?, checks_failed = ? WHERE id = ?",
                       [json.dumps(union), "inconsistent" if others else "ok",
                        json.dumps(others, ensure_ascii=False) if others else None, main.id])
