"""Crawl health per body: did recent crawls reach its report column, and does the column still look
like a report column?

Evidence: `column_captures` (one row per list page a crawl read for a body: time, status, reached,
reports_seen, error; see archive/store.py `record_column_capture`). A crawl "reached" a body when
any of its captures for that body reached the column (2xx/3xx, a page, no error such as a login wall).

Status, as of a day (never flapping on one bad crawl):

- `unreachable` — most crawls of the last two weeks (WINDOW_DAYS) failed to reach the column
                  (strictly more than half; one failed crawl among several good ones stays
                  `reachable`). The calendar gives no `missing` verdict on such a body.
- `broken`      — the column is reached, but the latest crawl that reached it saw zero report-like
                  items where an earlier crawl saw some: the column was emptied or its layout no
                  longer matches its spider. Not evidence that reports are `missing`.
- `partial`     — the column is reached, but the latest crawl that reached it saw only part of
                  it: fewer records than the list declares (recordCount, 共N条, totalRecord from
                  its pages or its list API), fewer pages than its pager names, or list pages / list
                  API calls that failed (reason: `reached 10 of 20 listed`). The calendar then
                  says `unverified`, not `missing`, unless a crawl after the due date saw it whole.
- `reachable`   — otherwise, when at least one crawl looked in the window.
- `unknown`     — no crawl looked at the body in the window (absence of evidence).

`health_status(db, agency, as_of)` is the one call the compliance calendar needs;
`refresh_health(db, as_of)` writes the `crawl_health` table (one row per body) that Datasette shows.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field, fields
from datetime import date, timedelta
from typing import Any

import sqlite_utils

WINDOW_DAYS = 14
STATUSES = ("reachable", "partial", "unreachable", "broken", "unknown")
TABLE = "crawl_health"


@dataclass
class CrawlLook:
    """What one crawl saw of one body's column(s)."""

    crawl_id: int | None
    time: str
    reached: bool
    reports_seen: int
    error: str | None = None
    partial: str | None = None  # why this crawl saw the column(s) only in part (None: whole, or not counted)


@dataclass
class Health:
    agency: str
    as_of: str
    status: str
    crawls: int  # crawls in the window that looked at the body
    reached: int  # of which reached its report column
    reach_share: float | None  # reached / crawls (None when no crawl looked)
    last_crawl: str | None = None
    last_reached: str | None = None
    last_reports_seen: int | None = None  # report-like items on the column in the latest reaching crawl
    before_reports_seen: int | None = None  # ... and in the last earlier crawl that saw some
    last_error: str | None = None
    reason: str = ""
    looks: list[dict] = field(default_factory=list)  # the window's crawls, newest last (evidence)
    # crawl ids (any time up to as_of) that reached the column(s) whole / only in part; for the calendar
    complete_crawls: list[int] = field(default_factory=list)
    partial_crawls: list[int] = field(default_factory=list)


def as_database(db: Any) -> sqlite_utils.Database:
    """Accept an Archive, a sqlite_utils.Database or a sqlite3 connection."""
    if isinstance(db, sqlite_utils.Database):
        return db
    if hasattr(db, "db") and isinstance(db.db, sqlite_utils.Database):
        return db.db
    return sqlite_utils.Database(db)


def _day(as_of: date | str | None) -> date:
    if as_of is None:
        return date.today()
    if isinstance(as_of, date):
        return as_of
    return date.fromisoformat(str(as_of)[:10])


def _looks(db: sqlite_utils.Database, agency: str | None, until: date) -> dict[str, list[CrawlLook]]:
    """Per body, one CrawlLook per crawl (captures grouped by crawl id), oldest first, up to `until`."""
    if "column_captures" not in db.table_names():
        return {}
    partial = _partial(db, agency, until)
    sql = (
        "SELECT agency, crawl_id, min(time), max(reached), sum(coalesce(reports_seen, 0)),"
        " max(CASE WHEN reached = 1 THEN coalesce(reports_seen, 0) END),"
        " group_concat(error, ' | '), coalesce(crawl_id, -min(id)) FROM column_captures WHERE substr(time, 1, 10) <= ?"
    )
    params: list[Any] = [until.isoformat()]
    if agency is not None:
        sql += " AND agency = ?"
        params.append(agency)
    # a capture without a crawl id (a replay) is its own look
    sql += " GROUP BY agency, coalesce(crawl_id, -id) ORDER BY agency, min(time), coalesce(crawl_id, -min(id))"
    out: dict[str, list[CrawlLook]] = defaultdict(list)
    for name, crawl_id, time, reached, seen_all, _seen_reached, errors, key in db.execute(sql, params):
        out[name].append(CrawlLook(crawl_id, time, bool(reached), int(seen_all or 0), errors, partial.get((name, key))))
    return out


def _runs(db: sqlite_utils.Database) -> dict[int, int]:
    """crawl id -> run id: crawls whose [started, finished] overlap are one run (the processes of a
    shared crawl, merged from several machines' archives); crawls one after another are not."""
    if "crawls" not in db.table_names():
        return {}
    rows = db.execute("SELECT id, started, coalesce(finished, started) FROM crawls ORDER BY started, id").fetchall()
    out: dict[int, int] = {}
    run, end = None, ""
    for cid, started, finished in rows:
        if run is None or (started or "") >= end:  # one after the other (same second included): two runs
            run, end = cid, finished or started or ""
        else:
            end = max(end, finished or "")
        out[cid] = run
    return out


def partial_reasons(records: int, listed: int | None, pages: int, pages_listed: int | None,
                    failed: list[str]) -> list[str]:
    """Why a column was reached only in part: fewer records than its lists declare, fewer pages
    than its pager names, list requests that failed (the crawl summary says it the same way)."""
    why = []
    if listed and records < listed:
        why.append(f"reached {records} of {listed} listed")
    if pages_listed and pages < pages_listed:
        why.append(f"reached {pages} of {pages_listed} list pages")
    if failed:
        why.append(f"{len(failed)} list request(s) failed ({failed[0]})")
    return why


def _partial(db: sqlite_utils.Database, agency: str | None, until: date) -> dict[tuple[str, int], str]:
    """(agency, crawl key) -> why that crawl reached the body's column(s) only in part: the records
    reached (distinct record keys, over every page and list API answer of the column and every
    process of the run) against what the lists declared, pages against the pager, failed list calls."""
    if "column_root" not in db["column_captures"].columns_dict:
        return {}
    runs = _runs(db)
    sql = (
        "SELECT agency, crawl_id, id, column_root, column_url, reached, declared_records, declared_pages,"
        " items_seen, pages_seen, records, error FROM column_captures"
        " WHERE column_root IS NOT NULL AND substr(time, 1, 10) <= ?"
    )
    params: list[Any] = [until.isoformat()]
    if agency is not None:
        sql += " AND agency = ?"
        params.append(agency)
    groups: dict[tuple[str, int, str], dict[str, Any]] = {}
    for name, cid, rid, root, url, reached, recs, pages, items, pages_seen, records, error in db.execute(sql, params):
        key = cid if cid is not None else -rid
        run = runs.get(cid, key) if cid is not None else key
        g = groups.setdefault((name, run, root), {"keys": set(), "crawls": set(), "recs": 0, "pages": 0, "items": 0,
                                                  "pages_seen": 0, "urls": set(), "failed": [], "reached": False})
        g["crawls"].add(key)
        g["recs"], g["pages"] = max(g["recs"], recs or 0), max(g["pages"], pages or 0)
        if reached:
            g["reached"] = True
            g["urls"].add(url)
            g["items"], g["pages_seen"] = max(g["items"], items or 0), max(g["pages_seen"], pages_seen or 0)
            if records:
                g["keys"].update(json.loads(records))
        else:
            g["failed"].append(f"{url}: {error or 'no answer'}")
    out: dict[tuple[str, int], list[str]] = defaultdict(list)
    for (name, _run, root), g in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        if not g["reached"]:
            continue  # the column itself never answered: unreachable, not partial
        why = partial_reasons(max(len(g["keys"]), g["items"]), g["recs"], max(len(g["urls"]), g["pages_seen"]),
                              g["pages"], sorted(g["failed"]))
        if why:
            for key in g["crawls"]:
                out[(name, key)].append(f"{root}: {'; '.join(why)}")
    return {k: " | ".join(v) for k, v in out.items()}


def assess(agency: str, looks: list[CrawlLook], as_of: date, window_days: int = WINDOW_DAYS) -> Health:
    """The health of one body from its crawls (oldest first, none after as_of)."""
    start = (as_of - timedelta(days=window_days)).isoformat()
    recent = [lk for lk in looks if lk.time[:10] > start]
    n, ok = len(recent), sum(lk.reached for lk in recent)
    h = Health(agency=agency, as_of=as_of.isoformat(), status="unknown", crawls=n, reached=ok,
               reach_share=round(ok / n, 3) if n else None)
    h.looks = [asdict(lk) for lk in recent]
    if recent:
        h.last_crawl = recent[-1].time
        h.last_error = recent[-1].error
    reached_all = [lk for lk in looks if lk.reached]
    if reached_all:
        h.last_reached = reached_all[-1].time
    h.complete_crawls = [lk.crawl_id for lk in reached_all if not lk.partial and lk.crawl_id is not None]
    h.partial_crawls = [lk.crawl_id for lk in reached_all if lk.partial and lk.crawl_id is not None]
    if not n:
        h.reason = f"no crawl looked at the column in the {window_days} days up to {as_of}"
        return h
    if (n - ok) * 2 > n:
        h.status = "unreachable"
        h.reason = f"{n - ok} of {n} crawls in {window_days} days failed to reach the column"
        return h
    last = [lk for lk in recent if lk.reached][-1]
    if last.partial:
        # before `broken`: a list whose API failed lists nothing, and the failure says why
        h.status = "partial"
        h.last_reports_seen = last.reports_seen
        h.reason = f"{last.partial} (crawl {last.crawl_id}, {last.time[:10]})"
        return h
    # broken: the latest reaching crawl lists nothing where an earlier reaching crawl listed reports
    h.last_reports_seen = last.reports_seen
    # crawls before it in crawl order (a simulated clock may stamp two crawls with the same time)
    earlier = [lk for lk in looks[: looks.index(last)] if lk.reached and lk.reports_seen > 0]
    if earlier:
        h.before_reports_seen = earlier[-1].reports_seen
    if last.reports_seen == 0 and earlier:
        h.status = "broken"
        h.reason = (f"the column loads but lists no report-like item (crawl {last.crawl_id}, {last.time[:10]});"
                    f" crawl {earlier[-1].crawl_id} ({earlier[-1].time[:10]}) saw {earlier[-1].reports_seen}:"
                    " emptied, or its layout no longer matches the spider")
        return h
    h.status = "reachable"
    h.reason = f"{ok} of {n} crawls in {window_days} days reached the column"
    return h


def health_status(db: Any, agency: str, as_of: date | str | None = None, window_days: int = WINDOW_DAYS) -> str:
    """`reachable` | `partial` | `unreachable` | `broken` | `unknown` for one body as of a day.

    The compliance calendar calls this before giving `missing`: only a `reachable` body can be
    missing a report; `unreachable` (and `broken`) bodies get no `missing` verdict."""
    day = _day(as_of)
    looks = _looks(as_database(db), agency, day).get(agency, [])
    return assess(agency, looks, day, window_days).status


def crawl_health(db: Any, as_of: date | str | None = None, window_days: int = WINDOW_DAYS) -> list[Health]:
    """Health of every registry body (and every body a capture names), sorted by name."""
    d = as_database(db)
    day = _day(as_of)
    looks = _looks(d, None, day)
    names = set(looks)
    if "agencies" in d.table_names():
        names |= {r[0] for r in d.execute("SELECT name FROM agencies")}
    return [assess(n, looks.get(n, []), day, window_days) for n in sorted(names)]


def refresh_health(db: Any, as_of: date | str | None = None, window_days: int = WINDOW_DAYS) -> dict[str, int]:
    """Rewrite the `crawl_health` table (one row per body) in one transaction; returns status counts."""
    return write_health(db, crawl_health(db, as_of, window_days))


_ROW_FIELDS = [f.name for f in fields(Health) if f.name not in ("complete_crawls", "partial_crawls")]
_LOOKS = _ROW_FIELDS.index("looks")


def write_health(db: Any, healths: list[Health]) -> dict[str, int]:
    """The `crawl_health` table := these rows (what Datasette shows); returns status counts."""
    d = as_database(db)
    rows = []
    counts: dict[str, int] = defaultdict(int)
    for h in healths:
        counts[h.status] += 1
        # a tuple per row, not asdict(): that deep-copies every look, the costliest step at 100,000 bodies
        row = [getattr(h, f) for f in _ROW_FIELDS]
        row[_LOOKS] = json.dumps(row[_LOOKS], ensure_ascii=False)
        rows.append(row)
    with d.conn:
        # created here, not in a schema migration: a derived table, rebuilt whole on every refresh
        d.table(TABLE).create(
            {"agency": str, "as_of": str, "status": str, "crawls": int, "reached": int, "reach_share": float,
             "last_crawl": str, "last_reached": str, "last_reports_seen": int, "before_reports_seen": int,
             "last_error": str, "reason": str, "looks": str},
            pk="agency", if_not_exists=True,
        )
        d.execute(f"DELETE FROM {TABLE}")
        # plain executemany: sqlite-utils' insert_all inspects every value of 100,000 rows
        d.conn.executemany(f"INSERT INTO {TABLE} ({', '.join(_ROW_FIELDS)}) VALUES ({', '.join('?' * len(_ROW_FIELDS))})",
                           rows)
    return dict(counts)
