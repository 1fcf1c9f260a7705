"""The queries behind the gongkai pages: the verdicts that need action, the failed checks, the date
the verdicts were judged on, the WARC record holding a capture, and the dashboard's region buttons."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from archive import regions
from archive.columns import REQUEST_ROW_KEYS
from archive.labels import check_label
from archive.scope import Scope, report_scope
from archive.web.links import verdict_href, warc_href, warc_ref_href

WITHHELD_KEYS = [k for k in REQUEST_ROW_KEYS if k.startswith("withheld_")]
UNAVAILABLE_KEYS = [k for k in REQUEST_ROW_KEYS if k.startswith("unavailable_")]
REJECTED_KEYS = [k for k in REQUEST_ROW_KEYS if k.startswith("rejected_")]
# the verdicts a county office must act on, in the order they are listed
PROBLEM_STATUSES = ("missing", "late", "unreachable")


_AS_OF: dict[tuple, str | None] = {}


async def as_of(db: Any) -> str | None:
    """The date the verdicts were judged on: max(as_of) reads every verdict, so it is kept until
    the database files change (a new `gongkai check`)."""
    key: tuple = (db.path,)
    if db.path:
        key += tuple(
            Path(db.path + sfx).stat().st_mtime_ns if Path(db.path + sfx).exists() else 0 for sfx in ("", "-wal")
        )
    if key not in _AS_OF:
        res = await db.execute("select max(as_of) from compliance")
        _AS_OF.clear()
        _AS_OF[key] = res.rows[0][0] if res.rows else None
    return _AS_OF[key]


async def verdict_rows(datasette: Any, db: Any, scope: Scope, status: str, columns: str, order: str,
                       limit: int) -> list[dict]:
    """One status's verdicts in a scope (`columns` include agency, year and region), with the
    region's name and the verdict page's link."""
    where, params = scope.where()
    res = await db.execute(f"select {columns} from compliance where status = ?{where} order by {order}"
                           f" limit {int(limit)}", [status, *params])
    rows = [dict(zip(res.columns, r, strict=True)) for r in res.rows]
    for r in rows:
        r["region_name"] = regions.name(r["region"])
        r["href"] = verdict_href(datasette, r["agency"], r["year"])
    return rows


async def problem_verdicts(
    datasette: Any, db: Any, scope: Scope, statuses: tuple[str, ...] = PROBLEM_STATUSES, limit: int = 200
) -> list[dict]:
    """The verdicts that need action (late, missing, unreachable) in a scope, newest year first."""
    out: list[dict] = []
    for status in statuses:
        out += await verdict_rows(
            datasette, db, scope, status,
            "agency, year, status, due, published, days_late, report_id, url, region, kind, sha256, warc, as_of",
            "year desc, days_late desc" if status == "late" else "year desc, agency", limit)
    for p in out:
        # a `missing` verdict rests on a capture: the WARC record holding that page
        p["warc_href"] = (await original_record(datasette, db, p))[0] if p["status"] == "missing" else None
    out.sort(key=lambda p: (-p["year"], PROBLEM_STATUSES.index(p["status"]), -(p["days_late"] or 0)))
    return out


async def original_record(datasette: Any, db: Any, capture: dict) -> tuple[str | None, str, str | None]:
    """The WARC record that holds a capture's page: its own record when that is a response, else
    (a revisit after a later crawl found the same bytes) the response record first holding them."""
    ref = capture.get("warc") or ""
    name, _, off = ref.rpartition(":")
    own_type = None
    if off.isdigit():
        t = await db.execute("select warc_type from fetches where warc_file = ? and warc_offset = ? limit 1",
                             [name, int(off)])
        own_type = t.rows[0][0] if t.rows else None
    if capture.get("sha256"):
        p = await db.execute("select warc_file, warc_offset, date from warc_payloads where sha256 = ?",
                             [capture["sha256"]])
        if p.rows and (own_type != "response" or not off.isdigit()):
            f, o, d = p.rows[0]
            return warc_href(datasette, f, o), "response", d
    return (warc_ref_href(datasette, ref), own_type or "response", None) if off.isdigit() else (None, "", None)


PILLS = 40  # region buttons on the dashboard; more regions are grouped by prefecture or province


def pill_regions(codes: list[str], within: list[str]) -> list[str]:
    """The regions offered as one-click buttons: every county of the registry when there are few
    (a county office finds its own at once), else the prefectures or provinces, one level at a
    time under the region chosen."""
    inside = [c for c in codes if not within or any(c.startswith(p) for p in within)] or codes
    if len(set(inside)) <= PILLS:
        return sorted(set(inside))
    for level in (2, 4):
        groups = sorted({c[:level] for c in inside})
        if len(groups) > 1:
            return [g.ljust(6, "0") for g in groups[:PILLS]]
    return sorted(set(inside))[:PILLS]


def on_time_rates(by_year: dict[int, dict[str, int]]) -> list[tuple[str, float | None]]:
    rate = []
    for y in sorted(by_year):
        c = by_year[y]
        judged = sum(c.get(s, 0) for s in ("on_time", "late", "missing"))
        rate.append((str(y), 100 * c.get("on_time", 0) / judged if judged else None))
    return rate


async def failed_checks(db: Any, scope: Scope) -> list[tuple[str, str, int, str]]:
    """(check, label, reports failing it, link query) in the scope: the summary table when nothing
    narrows it, else counted from the current reports of the scope."""
    if scope.year is None and not scope.kind and not scope.region:
        rows = (await db.execute("select [check], sum(n) from check_summary group by 1 order by 2 desc")).rows
    else:
        where, params = scope.where("r")
        # a region: its reports first (the region index), then their checks; a year or kind alone
        # selects too many reports for that, and the failed checks come first (the ok index)
        ok = "+c.ok = 0" if scope.region else "c.ok = 0"
        rows = (await db.execute(
            "select c.[check], count(distinct c.report_id) from reports r join check_results c"
            f" on c.report_id = r.id where {ok} and {report_scope('r')}{where} group by 1 order by 2 desc",
            params,
        )).rows
    return [(c, check_label(c), n, check_link(scope, c)) for c, n in rows]


def check_link(scope: Scope, check: str) -> str:
    """The failed_checks canned query of one check, narrowed to the scope's reports (a canned query:
    it stays open to visitors when arbitrary SQL is off)."""
    return urlencode({"check": check, "year": "" if scope.year is None else scope.year, "kind": scope.kind or "",
                      "regions": ",".join(scope.prefixes) if scope.region else ""})



@dataclass
class StatusCounts:
    """Verdicts per status, by year, by kind and by region, and in all (compliance_summary)."""

    by_year: dict[int, dict[str, int]] = field(default_factory=dict)
    by_kind: dict[str, dict[str, int]] = field(default_factory=dict)
    by_region: dict[str, dict[str, int]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)


async def status_counts(db: Any, scope: Scope) -> StatusCounts:
    where, params = scope.where()
    counts = StatusCounts()
    buckets: tuple[tuple[str, dict[Any, dict[str, int]]], ...] = (
        ("year", counts.by_year), ("kind", counts.by_kind), ("region", counts.by_region))
    for col, bucket in buckets:
        res = await db.execute(
            f"select {col}, status, sum(n) from compliance_summary where 1{where} group by 1, 2", params
        )
        for key, status, n in res.rows:
            bucket.setdefault(key if key != "" else "?", {})[status] = n
            if col == "year":
                counts.totals[status] = counts.totals.get(status, 0) + n
    return counts


def bad_share(c: dict[str, int]) -> float:
    """The share of judged verdicts that are missing, late or unreachable."""
    judged = sum(v for k, v in c.items() if k not in ("pending",)) or 1
    return (c.get("missing", 0) + c.get("late", 0) + c.get("unreachable", 0)) / judged


async def request_trend(db: Any, scope: Scope) -> tuple[list[tuple[str, float | None]], int]:
    """Requests received per year (report_summary), and the number of reports they come from."""
    where, params = scope.where()
    res = await db.execute(
        f"select year, sum(requests_received), sum(reports) from report_summary where 1{where}"
        " group by year order by year",
        params,
    )
    trend = [(str(y), float(n) if n is not None else None) for y, n, _ in res.rows]
    return trend, sum(r[2] or 0 for r in res.rows)


async def archive_counts(db: Any) -> tuple[int, int, int]:
    """Bodies in the registry, crawls, and bodies found in the columns that the registry lacks."""
    counts = (await db.execute("select (select count(*) from agencies), (select count(*) from crawls)")).rows[0]
    unregistered = (await db.execute("select count(*) from unregistered_bodies")).rows[0][0]
    return counts[0], counts[1], unregistered


async def verdict_years(db: Any) -> list[int]:
    """The years judged, newest first."""
    return [r[0] for r in (await db.execute("select distinct year from compliance_summary order by 1 desc")).rows]


async def one_row(db: Any, sql: str, params: list) -> dict:
    """The first row of a query as a dict, or {} when there is none."""
    r = await db.execute(sql, params)
    return dict(zip(r.columns, r.rows[0], strict=True)) if r.rows else {}


@dataclass
class ReportRows:
    """What the report page shows of one report, as stored."""

    document: dict
    requests: dict
    active: dict
    appeals: dict
    verdict: dict
    checks: list
    urls: list
    payload: dict  # the WARC response record that holds the document's bytes


async def report_rows(db: Any, rep: dict) -> ReportRows:
    rid, sha = rep["id"], rep["sha256"]
    checks = await db.execute(
        "select scope, [check], ok, detail from check_results where report_id = ? order by scope desc, ok, id", [rid]
    )
    urls = await db.execute(
        "select url, first_seen, last_seen, portal_date, list_title, crawl_id "
        "from document_urls where sha256 = ? order by first_seen",
        [sha],
    )
    return ReportRows(
        document=await one_row(db, "select * from documents where sha256 = ?", [sha]),
        requests=await one_row(db, "select * from report_requests where report_id = ?", [rid]),
        active=await one_row(db, "select * from report_active where report_id = ?", [rid]),
        appeals=await one_row(db, "select * from report_appeals where report_id = ?", [rid]),
        verdict=await one_row(db, "select * from compliance where agency = ? and year = ?",
                              [rep["agency"], rep["year"]]),
        checks=checks.rows,
        urls=urls.rows,
        payload=await one_row(db, "select warc_file, warc_offset, date from warc_payloads where sha256 = ?", [sha]),
    )


async def url_records(datasette: Any, db: Any, urls: list, sha: str) -> dict[str, tuple[str | None, str]]:
    """Each URL's latest WARC record of a document's bytes: (its link, response or revisit)."""
    out = {}
    for u in urls:
        # the fetch log names the URL each request asked for: after redirects, the final one
        final = (await one_row(db, "select final_url from document_urls where url = ? and sha256 = ?",
                               [u[0], sha])).get("final_url") or u[0]
        rec = await one_row(
            db,
            "select warc_file, warc_offset, warc_type from fetches where url in (?, ?)"
            " and sha256 = ? and warc_file is not null order by id desc limit 1",
            [u[0], final, sha],
        )
        if rec:
            out[u[0]] = (warc_href(datasette, rec["warc_file"], rec["warc_offset"]), rec["warc_type"])
    return out


async def report_documents(datasette: Any, db: Any, rep: dict) -> list[dict]:
    """Every document of a report: the notice page, the attachment with the numbers, copies, versions."""
    docs = await db.execute(
        "select r.id, r.role, r.report_version, r.url, r.sha256, r.parse_status, w.warc_file, w.warc_offset"
        " from reports r left join warc_payloads w on w.sha256 = r.sha256"
        " where r.parse_current = 1 and r.report_of = ? order by r.role != 'report', r.report_version desc, r.id",
        [rep.get("report_of") or rep["id"]],
    )
    documents = [dict(zip(docs.columns, row, strict=True)) for row in docs.rows]
    for d in documents:
        d["warc"] = warc_href(datasette, d.pop("warc_file"), d.pop("warc_offset"))
    return documents


async def request_totals(db: Any, sc: Scope) -> tuple:
    """The scope's reports: their number, then the sums of 表三 (received, carried in, granted,
    partly granted, withheld, unavailable, rejected, processed, carried out) and 表四 (reviews,
    reviews corrected, suits, suits corrected)."""
    rwhere, rparams = sc.where("r")
    return (await db.execute(
        "select count(*), sum(q.new_received_total), sum(q.carried_over_in_total), sum(q.granted_total),"
        " sum(q.partially_granted_total), sum(" + " + ".join(
            f"coalesce(q.{k}_total, 0)" for k in WITHHELD_KEYS) + "), sum(" + " + ".join(
            f"coalesce(q.{k}_total, 0)" for k in UNAVAILABLE_KEYS) + "), sum(" + " + ".join(
            f"coalesce(q.{k}_total, 0)" for k in REJECTED_KEYS) + "),"
        " sum(q.total_processed_total), sum(q.carried_over_out_total),"
        " sum(p.review_total), sum(p.review_corrected), sum(p.suit_direct_total + p.suit_after_review_total),"
        " sum(p.suit_direct_corrected + p.suit_after_review_corrected)"
        " from reports r left join report_requests q on q.report_id = r.id"
        f" left join report_appeals p on p.report_id = r.id where {report_scope('r')}{rwhere}",
        rparams)).rows[0]
