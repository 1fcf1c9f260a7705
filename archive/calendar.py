"""`gongkai check`: the compliance calendar (2019 regulation, 第四十九条) and the checks across reports.

Verdict per registry agency × report year:

- on_time / late (days_late) — a report was found; its publication date is the strongest evidence
  available: the portal's own date for the article — strongest its metadata block
  (documents.portal_date: 发布日期 …), then the date its list displays (document_urls.list_date),
  then the date in its URL (t20260313_…, /art/2026/3/13/, P020260313…) —, the report's printed
  date (parse `published`), HTTP Last-Modified, the time gongkai first saw it. `published_source`
  names the one used (portal_date | list_date | url_date | published | last_modified |
  first_seen); when they disagree the evidence keeps them all (`dates`).
- missing     — due date passed, no report, and a crawl that reached the agency's report column
               after the due date stored a capture of it (column_captures.reached = 1).
- unreachable — due date passed, no report, and every capture after the due date failed.
- unverified  — due date passed, no report, and no crawl looked at the column after the due date
               (for instance an archive filled by `ingest` only): absence is not evidence. Also
               when every crawl after the due date reached the column only in part (crawl health
               `partial`: a list declaring 20 of which 10 were reached, a list API that failed):
               the evidence names the reason.
- pending     — not yet due and not yet published.
- undated     — a report was found but nothing dates its publication (an ingested file without
               a printed date, portal date or Last-Modified).
A report whose printed or portal date lies before a capture of the column that did not list it
(taken before gongkai first saw the report) gets the flag `backdated?`; when that capture is after
the due date, the report was demonstrably not public on the due date, and the verdict uses the
first-seen time instead.

Years judged: from 2019 (or the agency's/region's first_year) up to the last year whose due date
is ≤ as-of, plus the next (pending) year.

The checks across reports (archive/crosschecks.py) run in the same chunks.

Re-running with the same archive and as-of changes nothing: rows are compared and only
differences are written.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from datetime import date
from functools import lru_cache
from itertools import groupby
from typing import Any

from tqdm import tqdm

from archive.agencies import agency_rows, due_date
from archive.crosschecks import cross_checks, fill_signatures
from archive.reports import USABLE, organise
from archive.store import Archive


@lru_cache(maxsize=4096)
def _iso(d: date) -> str:
    return d.isoformat()


@lru_cache(maxsize=65536)
def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _load_reports(arc: Archive, names: list[str]) -> dict[tuple[str, int], list[dict]]:
    """The documents of every usable report by (agency, year), the report's own document first:
    a notice page, a copy at another URL or an earlier version is evidence of when the report was
    published, while the report's numbers are its own document's (archive/reports.py)."""
    by_key: dict[tuple[str, int], list[dict]] = defaultdict(list)
    cur = arc.db.execute(
        "SELECT r.id, m.agency, m.year, r.published, r.portal_date, r.sha256, r.url, m.parse_status, r.format,"
        " r.role, d.first_seen, d.last_modified, d.crawl_id,"
        " (SELECT min(u.list_date) FROM document_urls u WHERE u.sha256 = r.sha256) AS list_date,"
        " (SELECT group_concat(u.url || ' ' || coalesce(json_extract(u.meta, '$.report_url'), ''), ' ')"
        "  FROM document_urls u WHERE u.sha256 = r.sha256) AS seen_urls"
        " FROM reports r JOIN reports m ON m.id = r.report_of JOIN documents d ON d.sha256 = r.sha256"
        " WHERE r.parse_current = 1 AND m.current = 1 AND m.registered = 1 AND m.agency IS NOT NULL"
        f" AND m.year IS NOT NULL AND m.parse_status IN ({','.join('?' * len(USABLE))})"
        f" AND m.agency IN ({','.join('?' * len(names))}) ORDER BY r.role != 'report', r.sha256",  # any order
        [*USABLE, *names],
    )
    cols = [c[0] for c in cur.description]
    for row in cur:
        r = dict(zip(cols, row, strict=True))
        r["url_date"] = url_date(f"{r['url'] or ''} {r.pop('seen_urls') or ''}")
        by_key[(r["agency"], r["year"])].append(r)
    return by_key


# Dates CMSs write into article and attachment URLs: TRS t20260313_123.html and P020260313….pdf,
# Hanweb /art/2026/3/13/art_….html.
_URL_DATES = (re.compile(r"/t(20\d\d)(\d\d)(\d\d)_\d+"), re.compile(r"/P0(20\d\d)(\d\d)(\d\d)\d+\.\w+"),
              re.compile(r"/art/(20\d\d)/(\d{1,2})/(\d{1,2})/art_"))


def url_date(urls: str) -> str | None:
    """The date a CMS wrote into the report's URL (article first, then attachments), or None."""
    for rx in _URL_DATES:
        for y, m, d in rx.findall(urls or ""):
            try:
                return date(int(y), int(m), int(d)).isoformat()
            except ValueError:
                continue
    return None


def _load_captures(arc: Archive, names: list[str]) -> dict[str, list[dict]]:
    caps: dict[str, list[dict]] = defaultdict(list)
    cur = arc.db.execute(
        "SELECT id, crawl_id, agency, column_url, time, status, sha256, reached, error, reports_seen,"
        f" warc_file, warc_offset FROM column_captures WHERE agency IN ({','.join('?' * len(names))})"
        " ORDER BY agency, time, id", names
    )
    cols = [c[0] for c in cur.description]
    for row in cur:
        c = dict(zip(cols, row, strict=True))
        caps[c["agency"]].append(c)
    return caps


def _publication(rep: dict, year: int) -> tuple[date | None, str | None]:
    """The report's publication date from the strongest evidence (dates before the year under
    report ended are not evidence of publishing a report on it). The time a local file was
    ingested says nothing about when it was published: only a crawl's first sighting counts."""
    floor = date(year, 12, 1)
    sources = ["portal_date", "list_date", "url_date", "published", "last_modified"]
    if rep.get("crawl_id") is not None:
        sources.append("first_seen")
    for source in sources:
        d = _day(rep.get(source))
        if d is not None and d >= floor:
            return d, source
    return None, None


def _warc_ref(c: dict) -> str | None:
    """A capture's WARC record as "<file>:<offset>" (archive/warc.py), or None (no WARC: replayed)."""
    return f"{c['warc_file']}:{c['warc_offset']}" if c.get("warc_file") else None


def _cap_brief(c: dict) -> dict:
    brief = {
        "capture_id": c["id"],
        "crawl_id": c["crawl_id"],
        "time": c["time"],
        "column_url": c["column_url"],
        "status": c["status"],
        "reached": bool(c["reached"]),
        "sha256": c["sha256"],
        "error": c["error"],
    }
    if c.get("warc_file"):
        brief["warc"] = _warc_ref(c)
    return brief


def verdict(
    agency: dict,
    year: int,
    due: date,
    as_of: date,
    reports: list[dict],
    caps: list[dict],
    health: str | None = None,
    partial_crawls: set[int] | None = None,
    health_reason: str | None = None,
) -> dict:
    row: dict[str, Any] = {
        "agency": agency["name"],
        "year": year,
        "region": agency.get("region"),
        "kind": agency.get("kind"),
        "parent": agency.get("parent"),
        "due": _iso(due),
        "published": None,
        "published_source": None,
        "days_late": None,
        "flags": None,
        "report_id": None,
        "url": None,
        "sha256": None,
        "warc": None,
        "as_of": _iso(as_of),
    }
    evidence: dict[str, Any] = {}
    best = None
    undated: list[dict] = []
    for rep in reports:
        pub, source = _publication(rep, year)
        flags = []
        first_seen = _day(rep["first_seen"])
        claimed = _day(rep.get("portal_date")) or _day(rep.get("list_date")) or _day(rep.get("published"))
        missed = (
            # the crawl that first stored the report saw it: only an earlier crawl can have missed it
            [c for c in caps if c["reached"] and claimed < _day(c["time"]) and c["time"] < rep["first_seen"]
             and c["crawl_id"] != rep.get("crawl_id")]
            if caps and claimed and first_seen
            else None
        )
        if missed:
            flags.append("backdated?")
            evidence["backdated_by"] = [_cap_brief(c) for c in missed[-3:]]
            if any(_day(c["time"]) > due for c in missed):
                pub, source = first_seen, "first_seen (backdated?)"
        if pub is not None and pub > as_of:
            continue  # published after the day we judge: not there yet
        if pub is None:
            undated.append(rep)
            continue
        cand = (pub, rep["sha256"], source, flags, rep)  # ties by content, not by id
        if best is None or cand[:2] < best[:2]:
            best = cand
    if best is not None:
        pub, _, source, flags, rep = best
        main = next((r for r in reports if r.get("role") == "report"), rep)
        dates = {k: rep.get(k) for k in ("portal_date", "list_date", "url_date")}
        if len({str(v)[:10] for v in dates.values() if v}) > 1:
            # the evidence disagrees (a URL made on another day than the list shows): keep it all
            evidence["dates"] = {**{k: v for k, v in dates.items() if v}, "published": rep.get("published"),
                                 "used": source}
        late = (pub - due).days
        row.update(
            status="late" if late > 0 else "on_time",
            published=_iso(pub),
            published_source=source,
            days_late=max(late, 0),
            flags=" ".join(flags) or None,
            report_id=main["id"],
            url=main["url"],
            sha256=main["sha256"],
        )
        if rep is not main:
            evidence["dated_by"] = {"report_id": rep["id"], "url": rep["url"], "role": rep.get("role")}
        if len(reports) > 1 or flags:
            # the columns name the report used; the evidence lists every candidate
            evidence["reports"] = [
                {
                    "report_id": r["id"],
                    "role": r.get("role"),
                    "sha256": r["sha256"],
                    "url": r["url"],
                    "portal_date": r["portal_date"],
                    "published": r["published"],
                    "last_modified": r["last_modified"],
                    "first_seen": r["first_seen"],
                    "crawl_id": r["crawl_id"],
                }
                for r in reports
            ]
    elif undated:
        # a report is there, but nothing says when it was published (an ingested file without a
        # printed date): neither on time nor missing
        rep = undated[0]
        row.update(status="undated", report_id=rep["id"], url=rep["url"], sha256=rep["sha256"])
        evidence["reports"] = [
            {"report_id": r["id"], "sha256": r["sha256"], "url": r["url"]} for r in undated
        ]
    elif due > as_of:
        row["status"] = "pending"
    else:
        as_of_s = _iso(as_of)
        after = [c for c in caps if _day(c["time"]) and _day(c["time"]) > due and c["time"][:10] <= as_of_s]
        reached = [c for c in after if c["reached"]]
        # crawl health (archive/health.py): a body whose column most recent crawls could not reach,
        # or whose column stopped listing reports (broken), is not judged missing
        if health in ("unreachable", "broken") and after:
            row["status"] = "unreachable"
            row["flags"] = "broken" if health == "broken" else None
            evidence["health"] = health
            evidence["captures"] = [_cap_brief(c) for c in after[-3:]]
        elif reached and partial_crawls and all(c["crawl_id"] in partial_crawls for c in reached):
            # every crawl after the due date saw the column only in part (an API that failed, a
            # list declaring more than was reached): the report may be in the part not seen
            row["status"] = "unverified"
            evidence["health"] = "partial"
            evidence["reason"] = ("no crawl after the due date reached the whole list: "
                                  + (health_reason or "the column was reached only in part"))
            evidence["captures"] = [_cap_brief(c) for c in reached[-3:]]
        elif reached:
            row["status"] = "missing"
            row["sha256"] = reached[-1]["sha256"]
            row["warc"] = _warc_ref(reached[-1])
            row["url"] = reached[-1]["column_url"]
            evidence["captures"] = [_cap_brief(c) for c in reached[-3:]]
        elif after:
            row["status"] = "unreachable"
            evidence["captures"] = [_cap_brief(c) for c in after[-3:]]
        else:
            row["status"] = "unverified"  # no crawl looked at the report column after the due date
    row["evidence"] = json.dumps(evidence, ensure_ascii=False, sort_keys=True) if evidence else None
    return row


def years_to_judge(agency: dict, as_of: date) -> list[tuple[int, date]]:
    """(year, due date) from the first year up to the last due by as-of, plus the next (pending) one."""
    y = int(agency.get("first_year") or 2019)
    out = []
    while True:
        due = due_date(agency["kind"], y, agency.get("deadline"), agency.get("town_deadline"))
        out.append((y, due))
        if due > as_of or y > as_of.year:
            return out
        y += 1


def _sync(
    arc: Archive,
    table: str,
    key: tuple[str, ...],
    rows: list[dict],
    where: str = "",
    params: list | None = None,
) -> dict:
    """Make `table` (restricted by `where`) hold exactly `rows`, writing only the differences, in one
    transaction: re-running with the same inputs writes nothing."""
    if not rows:
        cols = [c for c in arc.db[table].columns_dict if c != "id"]
    else:
        cols = list(rows[0])
    sel = ", ".join(f"[{c}]" for c in cols)
    kidx = [cols.index(k) for k in key]
    old = {}
    for row in arc.db.execute(f"SELECT {sel} FROM [{table}] {where}", params or []):
        old[tuple(row[i] for i in kidx)] = row
    new = {}
    for r in rows:
        t = tuple(r[c] for c in cols)
        new[tuple(t[i] for i in kidx)] = t
    stale = [k for k in old if k not in new]
    changed = [t for k, t in new.items() if old.get(k) != t]
    cond = " AND ".join(f"[{c}] IS ?" for c in key) + (f" AND {where[6:]}" if where else "")
    with arc.db.conn:
        gone = stale + [k for k, t in new.items() if k in old and old[k] != t]
        arc.db.conn.executemany(f"DELETE FROM [{table}] WHERE {cond}", [(*k, *(params or [])) for k in gone])
        arc.db.conn.executemany(
            f"INSERT INTO [{table}] ({sel}) VALUES ({', '.join('?' * len(cols))})", changed
        )
    return {"deleted": len(stale), "written": len(changed)}


def write_summaries(arc: Archive) -> None:
    """The dashboard's aggregates (compliance by year/kind/region/status, reports and requests by
    year/kind/region, failing checks), rewritten only where they changed."""
    q = arc.db.execute
    comp = [
        dict(zip(("year", "kind", "region", "status", "n"), r, strict=True))
        for r in q(
            "SELECT year, coalesce(kind, ''), coalesce(region, ''), status, count(*) FROM compliance GROUP BY 1, 2, 3, 4"
        )
    ]
    reps = [
        dict(zip(("year", "kind", "region", "reports", "requests_received"), r, strict=True))
        for r in q(
            "SELECT r.year, coalesce(r.kind, ''), coalesce(r.region, ''), count(*), sum(q.new_received_total) "
            "FROM reports r LEFT JOIN report_requests q ON q.report_id = r.id WHERE r.current = 1 AND r.year IS NOT NULL "
            "AND r.parse_status IN ('ok', 'inconsistent', 'incomplete') GROUP BY 1, 2, 3"
        )
    ]
    checks = [
        dict(zip(("check", "scope", "n"), r, strict=True))
        for r in q(
            "SELECT c.[check], c.scope, count(*) FROM check_results c JOIN reports r ON r.id = c.report_id "
            "WHERE c.ok = 0 AND r.current = 1 GROUP BY 1, 2"
        )
    ]
    _sync(arc, "compliance_summary", ("year", "kind", "region", "status"), comp)
    _sync(arc, "report_summary", ("year", "kind", "region"), reps)
    _sync(arc, "check_summary", ("check", "scope"), checks)


def verdicts_json(verdicts: list[dict]) -> list[dict]:
    """The verdicts as `gongkai check --json` prints them."""
    keys = (
        "agency",
        "year",
        "status",
        "due",
        "published",
        "days_late",
        "flags",
        "published_source",
        "report_id",
    )
    out = []
    for v in verdicts:
        evidence = json.loads(v["evidence"]) if v["evidence"] else {}
        if v["report_id"] is not None and "reports" not in evidence:
            evidence["reports"] = [{"report_id": v["report_id"], "sha256": v["sha256"], "url": v["url"]}]
        out.append({k: v[k] for k in keys} | {"evidence": evidence or None})
    return out


CHUNK = 2000  # bodies judged at a time (whole families: a parent's bodies are compared with each other)


def _chunks(agencies: list[dict]) -> list[list[dict]]:
    """The registry in chunks of about CHUNK bodies, never splitting the bodies of one parent."""
    out: list[list[dict]] = [[]]
    ordered = sorted(agencies, key=lambda a: (a.get("parent") or "", a["name"]))
    for _parent, family in groupby(ordered, key=lambda a: a.get("parent") or ""):
        family = list(family)
        if len(out[-1]) + len(family) > CHUNK and out[-1]:
            out.append([])
        out[-1].extend(family)
    return [c for c in out if c]


def run_check(arc: Archive, as_of: date | None = None, progress: bool = True, keep: bool = True) -> dict:
    """The verdicts and cross-report checks, body by body in chunks (memory stays flat at any
    registry size). `keep`: also return every verdict and failed check (the CLI's --json)."""
    as_of = as_of or date.today()
    organise(arc)
    fill_signatures(arc, progress)
    agencies = agency_rows(arc)
    from archive.health import crawl_health, write_health

    healths = crawl_health(arc, as_of)
    write_health(arc, healths)  # the crawl_health table Datasette shows
    health = {h.agency: h.status for h in healths}
    partial = {h.agency: set(h.partial_crawls) - set(h.complete_crawls) for h in healths}
    reasons = {h.agency: h.reason for h in healths}
    del healths
    parents = {a["name"]: a.get("parent") for a in agencies}
    counts: dict[str, int] = defaultdict(int)
    comp = {"deleted": 0, "written": 0}
    chk = {"deleted": 0, "written": 0}
    kept: list[dict] = []
    cross_kept: list[dict] = []
    bar = tqdm(total=len(agencies), desc="calendar", unit="agency", file=sys.stderr, disable=not progress)
    for chunk in _chunks(agencies):
        names = [a["name"] for a in chunk]
        reports = _load_reports(arc, names)
        caps = _load_captures(arc, names)
        verdicts = []
        for a in chunk:
            a_caps = caps.get(a["name"], [])
            for y, due in years_to_judge(a, as_of):
                verdicts.append(
                    verdict(
                        a, y, due, as_of, reports.get((a["name"], y), []), a_caps, health=health.get(a["name"]),
                        partial_crawls=partial.get(a["name"]), health_reason=reasons.get(a["name"]),
                    )
                )
        # the report of each agency-year: its own document (the first of its documents)
        chosen = {k: reps[0] for k, reps in reports.items()}
        cross = cross_checks(arc, chosen, parents, progress=False)
        within = f"agency IN ({','.join('?' * len(names))})"
        for k, v in _sync(arc, "compliance", ("agency", "year"), verdicts, "WHERE " + within, names).items():
            comp[k] += v
        for k, v in _sync(arc, "check_results", ("report_id", "check", "detail"),
                          [{**c, "scope": "cross"} for c in cross], f"WHERE scope = 'cross' AND {within}",
                          names).items():
            chk[k] += v
        for v in verdicts:
            counts[v["status"]] += 1
        if keep:
            kept += verdicts
            cross_kept += cross
        bar.update(len(chunk))
    bar.close()
    with arc.db.conn:  # bodies no longer in the registry: no verdicts, no cross-report checks
        gone = arc.db.execute("DELETE FROM compliance WHERE agency NOT IN (SELECT name FROM agencies)").rowcount
        comp["deleted"] += gone
        chk["deleted"] += arc.db.execute(
            "DELETE FROM check_results WHERE scope = 'cross' AND agency NOT IN (SELECT name FROM agencies)").rowcount
    write_summaries(arc)
    # failing checks, counted as the dashboard counts them: those of every report (one row per
    # report, registered or not), then the cross-report ones
    n_failed = arc.db.execute(
        "SELECT count(*) FROM check_results c JOIN reports r ON r.id = c.report_id WHERE c.ok = 0"
        " AND r.current = 1").fetchone()[0]
    failed: list[dict] = []
    if keep:
        failed = [
            {"agency": agency, "year": year, "check": check, "detail": detail, "report_id": rid}
            for rid, agency, year, check, detail in arc.db.execute(
                "SELECT c.report_id, c.agency, c.year, c.[check], c.detail FROM check_results c"
                " JOIN reports r ON r.id = c.report_id WHERE c.ok = 0 AND c.scope = 'report' AND r.current = 1"
                " ORDER BY c.agency, c.year, c.[check], c.detail"
            )
        ]
        failed += [{k: c[k] for k in ("agency", "year", "check", "detail", "report_id")} for c in cross_kept]
    return {
        "as_of": as_of.isoformat(),
        "verdicts": kept,  # rows of the compliance table (verdicts_json() for the CLI's shape)
        "failed_checks": failed,
        "summary": {
            "agencies": len(agencies),
            "verdicts": sum(counts.values()),
            "statuses": dict(counts),
            "failed_checks": n_failed,
            "compliance_rows": comp,
            "cross_check_rows": chk,
        },
    }
