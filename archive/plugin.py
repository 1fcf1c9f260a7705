"""The gongkai Datasette plugin: dashboard, verdicts and their evidence, compare, report pages,
stored copies, search, feed, CSV, and Chinese cells, facets and headers on Datasette's table pages.

Routes (every page but the report and the stored copies takes ?year= ?kind= ?region=; a region is a
name or a code, and a parent region includes its children):
  /  and /-/gongkai             the compliance dashboard (the home page)
  /-/gongkai/list?status=       every verdict of a status (default: late, missing, unreachable)
  /-/gongkai/verdict?agency=&year=   one verdict: the report, or the column pages it rests on
  /-/gongkai/compare?a=&b=&ya=&yb=   two regions / years side by side (&vs=parent: a and its parent)
  /-/gongkai/export.csv         the scope's reports (or &verdicts=1) as CSV for Excel (BOM, Chinese)
  /-/gongkai/feed.atom          late and missing verdicts, newest first
  /-/gongkai/report/<id>        one report: verdict, checks, its tables with Chinese labels, provenance
  /-/gongkai/search?q=          full-text search, any length (archive/search.py), newest year first
  /-/blob/<sha256>              the stored copy, served from the blob store (sandboxed, never executed)
  /-/gongkai/warc/<file>?offset=N   one WARC record of a capture (a one-record .warc.gz that warcio,
                                pywb or ReplayWeb.page read); &view=headers: its WARC and HTTP headers
Charts: archive/charts.py.
"""

from __future__ import annotations

import html
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from archive import regions
from archive.charts import STATUS_COLORS, STATUS_ORDER, bar_pairs, legend, line_chart, stacked_bars
from archive.columns import REQUEST_ROW_KEYS, column_labels
from archive.labels import CHECK_LABELS, HEALTH_LABELS, SCOPE_LABELS, check_label, zh_text
from archive.search import search_sql, table_filter
from archive.web import (
    DB_NAME,
    KIND_LABELS,
    KIND_VALUES,
    PARSE_STATUS_LABELS,
    STATUS_LABELS,
    report_scope,
)

SOURCE_LABELS = {
    "portal_date": "门户发布日期",
    "published": "落款日期",
    "last_modified": "HTTP Last-Modified",
    "first_seen": "首次抓取时间",
    "first_seen (backdated?)": "首次抓取时间（疑似倒签）",
}
# the verdicts a county office must act on, in the order they are listed
PROBLEM_STATUSES = ("missing", "late", "unreachable")
WITHHELD_KEYS = [k for k in REQUEST_ROW_KEYS if k.startswith("withheld_")]
UNAVAILABLE_KEYS = [k for k in REQUEST_ROW_KEYS if k.startswith("unavailable_")]
REJECTED_KEYS = [k for k in REQUEST_ROW_KEYS if k.startswith("rejected_")]
REQUEST_MEASURES = ["received", "carried_in", "granted", "partial", "withheld", "unavailable", "rejected",
                    "processed", "carried_out"]
REQUEST_LABELS = {
    "received": "新收申请",
    "carried_in": "上年结转",
    "granted": "予以公开",
    "partial": "部分公开",
    "withheld": "不予公开",
    "unavailable": "无法提供",
    "rejected": "不予处理",
    "processed": "办理总计",
    "carried_out": "结转下年度",
}
APPEAL_MEASURES = ["review", "review_corrected", "suits", "suits_corrected"]
APPEAL_LABELS = {"review": "行政复议", "review_corrected": "复议纠错", "suits": "行政诉讼",
                 "suits_corrected": "诉讼纠错"}
CONTENT_TYPES = {
    "html": "text/html",
    "pdf": "application/pdf",
    "text": "text/plain",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "wps": "application/octet-stream",
    "ofd": "application/ofd",
    "image": "application/octet-stream",
}


ROLE_LABELS = {"report": "年报（含数据）", "notice": "公告页", "copy": "副本", "superseded": "旧版本"}


def _data_dir(datasette: Any) -> Path:
    """The archive folder: the plugin setting, else the folder holding archive.db (plain
    `datasette gongkai-data/archive.db` or `datasette gongkai-data/`)."""
    cfg = datasette.plugin_config("gongkai") or {}
    if cfg.get("data_dir"):
        return Path(cfg["data_dir"])
    db = datasette.databases.get(DB_NAME)
    return Path(db.path).parent if db is not None and db.path else Path(".")


def _blob_path(datasette: Any, sha: str) -> Path:
    return _data_dir(datasette) / "blobs" / sha[:2] / sha[2:4] / sha


def warc_ref_href(datasette: Any, ref: str | None) -> str | None:
    """The link for a verdict's capture reference "<file>:<offset>" (archive/calendar.py), or None."""
    name, _, off = (ref or "").rpartition(":")
    return warc_href(datasette, name, int(off)) if off.isdigit() else None


def warc_href(datasette: Any, warc_file: str | None, offset: int | None) -> str | None:
    """The link to one WARC record (served by `warc_record`), or None when there is none."""
    if not warc_file or offset is None:
        return None
    from urllib.parse import quote

    return datasette.urls.path(f"/-/gongkai/warc/{quote(warc_file)}?offset={int(offset)}")


# -- charts ---------------------------------------------------------------------------------------


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
        parts, params = [], []
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


_AS_OF: dict[tuple, str | None] = {}


async def _as_of(db: Any) -> str | None:
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


async def _problems(
    datasette: Any, db: Any, scope: Scope, statuses: tuple[str, ...] = PROBLEM_STATUSES, limit: int = 200
) -> list[dict]:
    """The verdicts that need action (late, missing, unreachable) in a scope, newest year first."""
    where, params = scope.where()
    out: list[dict] = []
    for status in statuses:
        order = "year desc, days_late desc" if status == "late" else "year desc, agency"
        res = await db.execute(
            "select agency, year, status, due, published, days_late, report_id, url, region, kind, sha256,"
            f" warc, as_of from compliance where status = ?{where} order by {order} limit {int(limit)}",
            [status, *params],
        )
        out += [dict(zip(res.columns, r, strict=True)) for r in res.rows]
    for p in out:
        p["region_name"] = regions.name(p["region"])
        p["href"] = verdict_href(datasette, p["agency"], p["year"])
        # a `missing` verdict rests on a capture: the WARC record holding that page
        p["warc_href"] = (await original_record(datasette, db, p))[0] if p["status"] == "missing" else None
    out.sort(key=lambda p: (-p["year"], PROBLEM_STATUSES.index(p["status"]), -(p["days_late"] or 0)))
    return out


def verdict_href(datasette: Any, agency: str, year: int) -> str:
    return datasette.urls.path("/-/gongkai/verdict?" + urlencode({"agency": agency, "year": year}))


async def dashboard(datasette: Any, request: Any) -> Response:
    # the charts read the small summary tables `gongkai check` writes (compliance_summary,
    # report_summary); the lists of problems and failed checks use indexes
    db = datasette.get_database(DB_NAME)
    scope = Scope.from_args(request.args)
    where, params = scope.where()
    by_year: dict[int, dict[str, int]] = {}
    by_kind: dict[str, dict[str, int]] = {}
    by_region: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {}
    for col, bucket in (("year", by_year), ("kind", by_kind), ("region", by_region)):
        res = await db.execute(
            f"select {col}, status, sum(n) from compliance_summary where 1{where} group by 1, 2", params
        )
        for key, status, n in res.rows:
            bucket.setdefault(key if key != "" else "?", {})[status] = n
            if col == "year":
                totals[status] = totals.get(status, 0) + n

    def bad_share(c: dict[str, int]) -> float:
        judged = sum(v for k, v in c.items() if k not in ("pending",)) or 1
        return (c.get("missing", 0) + c.get("late", 0) + c.get("unreachable", 0)) / judged

    region_rows = sorted(by_region.items(), key=lambda kv: (-bad_share(kv[1]), kv[0]))[:25]
    years = sorted(by_year)
    res = await db.execute(
        f"select year, sum(requests_received), sum(reports) from report_summary where 1{where}"
        " group by year order by year",
        params,
    )
    req_trend = [(str(y), float(n) if n is not None else None) for y, n, _ in res.rows]
    n_reports = sum(r[2] or 0 for r in res.rows)
    problems = await _problems(datasette, db, scope, limit=50)
    checks = await _failed_checks(db, scope)
    counts = (await db.execute("select (select count(*) from agencies), (select count(*) from crawls)")).rows[0]
    all_years = [r[0] for r in (await db.execute(
        "select distinct year from compliance_summary order by 1 desc")).rows]
    kinds = [r[0] for r in (await db.execute("select distinct kind from compliance_summary order by 1")).rows]
    region_codes = [r[0] for r in (await db.execute(
        "select distinct region from agencies where region is not null and region != '' order by 1")).rows]
    region_links = [
        (code, regions.name(code), datasette.urls.path("/?" + scope.query(region=code)))
        for code in pill_regions(region_codes, scope.prefixes)
    ]
    region_names = sorted({regions.name(c) for c in region_codes})
    ctx = {
        "scope": scope,
        "scope_label": scope.label(),
        "as_of": await _as_of(db),
        "totals": totals,
        "status_order": STATUS_ORDER,
        "status_labels": STATUS_LABELS,
        "status_colors": STATUS_COLORS,
        "kind_labels": KIND_LABELS,
        "years": all_years,
        "kinds": kinds,
        "region_links": region_links,
        "region_names": region_names,
        "year_links": [(y, datasette.urls.path("/?" + scope.query(year=y))) for y in all_years],
        "all_years_href": datasette.urls.path("/?" + scope.query(year=None)),
        "tile_href": {
            st: datasette.urls.path("/-/gongkai/list?" + scope.query(status=st)) for st in STATUS_ORDER
        },
        "list_href": datasette.urls.path("/-/gongkai/list?" + scope.query()),
        "compare_href": datasette.urls.path(
            "/-/gongkai/compare?" + urlencode({k: v for k, v in (("a", scope.region), ("year", scope.year)) if v})
        ),
        "export_href": datasette.urls.path("/-/gongkai/export.csv?" + scope.query()),
        "feed_href": datasette.urls.path("/-/gongkai/feed.atom?" + scope.query(year=None)),
        "year_chart": stacked_bars([(f"{y}年", by_year[y]) for y in sorted(years, reverse=True)]),
        "kind_chart": stacked_bars([(KIND_LABELS.get(k, k), c) for k, c in sorted(by_kind.items())]),
        "region_chart": stacked_bars([(regions.name(k), c) for k, c in region_rows]),
        "rate_chart": line_chart(_rates(by_year), unit="%", ymax=100, color="#2e7d32"),
        "req_chart": line_chart(req_trend, unit="", color="#1565c0"),
        "legend": legend(),
        "problems": problems,
        "checks": checks,
        "n_agencies": counts[0],
        # bodies that publish in the columns but are not in the registry: the list to grow it from
        "n_unregistered": (await db.execute("select count(*) from unregistered_bodies")).rows[0][0],
        "n_reports": n_reports,
        "n_crawls": counts[1],
        "db": DB_NAME,
    }
    return Response.html(await datasette.render_template("gongkai_dashboard.html", ctx, request=request))


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


def _rates(by_year: dict[int, dict[str, int]]) -> list[tuple[str, float | None]]:
    rate = []
    for y in sorted(by_year):
        c = by_year[y]
        judged = sum(c.get(s, 0) for s in ("on_time", "late", "missing"))
        rate.append((str(y), 100 * c.get("on_time", 0) / judged if judged else None))
    return rate


async def _failed_checks(db: Any, scope: Scope) -> list[tuple[str, str, int, str]]:
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
    return [(c, check_label(c), n, _check_link(scope, c)) for c, n in rows]


def _check_link(scope: Scope, check: str) -> str:
    """The failed_checks canned query of one check, narrowed to the scope's reports (a canned query:
    it stays open to visitors when arbitrary SQL is off)."""
    return urlencode({"check": check, "year": "" if scope.year is None else scope.year, "kind": scope.kind or "",
                      "regions": ",".join(scope.prefixes) if scope.region else ""})


async def list_page(datasette: Any, request: Any) -> Response:
    """Every verdict of one status (or every problem) in a scope, each with its evidence link."""
    db = datasette.get_database(DB_NAME)
    scope = Scope.from_args(request.args)
    status = request.args.get("status") or ""
    statuses = (status,) if status in STATUS_ORDER else PROBLEM_STATUSES
    where, params = scope.where()
    rows: list[dict] = []
    for st in statuses:
        res = await db.execute(
            "select agency, year, status, region, kind, due, published, days_late, report_id, as_of"
            f" from compliance where status = ?{where} order by year desc, days_late desc, agency limit 5000",
            [st, *params],
        )
        rows += [dict(zip(res.columns, r, strict=True)) for r in res.rows]
    for r in rows:
        r["region_name"] = regions.name(r["region"])
        r["href"] = verdict_href(datasette, r["agency"], r["year"])
    ctx = {
        "rows": rows,
        "status": status if status in STATUS_ORDER else "",
        "title": STATUS_LABELS.get(status, "逾期、未公开与无法访问"),
        "scope_label": scope.label(),
        "scope": scope,
        "as_of": await _as_of(db),
        "status_labels": STATUS_LABELS,
        "status_colors": STATUS_COLORS,
        "kind_labels": KIND_LABELS,
        "home_href": datasette.urls.path("/?" + scope.query()),
        "json_href": datasette.urls.path(f"/{DB_NAME}/compliance.json?" + urlencode(
            {k: v for k, v in (("status", status), ("year", scope.year), ("kind", scope.kind)) if v})),
        "db": DB_NAME,
    }
    return Response.html(await datasette.render_template("gongkai_list.html", ctx, request=request))


async def verdict_page(datasette: Any, request: Any) -> Response:
    """One body-year's verdict and what it rests on: the report, or the column pages captured."""
    db = datasette.get_database(DB_NAME)
    agency = request.args.get("agency") or ""
    year = request.args.get("year") or ""
    res = await db.execute("select * from compliance where agency = ? and year = ?",
                           [agency, int(year) if year.isdigit() else None])
    if not res.rows:
        raise NotFound(f"no verdict for {agency} {year}")
    v = dict(zip(res.columns, res.rows[0], strict=True))
    evidence = json.loads(v["evidence"]) if v.get("evidence") else {}
    captures = []
    for c in evidence.get("captures") or []:
        c = dict(c)
        c["blob_href"] = datasette.urls.path(f"/-/blob/{c['sha256']}") if c.get("sha256") else None
        c["warc_href"], c["warc_kind"], c["first_date"] = await original_record(datasette, db, c)
        c["error_zh"] = zh_text(c.get("error"))
        captures.append(c)
    shown = next((c for c in captures if c.get("sha256") == v.get("sha256")), captures[-1] if captures else None)
    report = None
    if v.get("report_id"):
        r = await db.execute("select id, sha256, url, title, published, portal_date from reports where id = ?",
                             [v["report_id"]])
        if r.rows:
            report = dict(zip(r.columns, r.rows[0], strict=True))
            t = await db.execute("select type from documents where sha256 = ?", [report["sha256"]])
            report["type"] = t.rows[0][0] if t.rows else None
    health = None
    h = await db.execute("select status, reason, last_error from crawl_health where agency = ?", [agency])
    if h.rows:
        health = {"status": HEALTH_LABELS.get(h.rows[0][0], h.rows[0][0]), "reason": zh_text(h.rows[0][1]),
                  "error": zh_text(h.rows[0][2])}
    ctx = {
        "v": v,
        "region_name": regions.full_name(v.get("region")),
        "captures": captures,
        "shown": shown,
        "report": report,
        "health": health,
        "status_labels": STATUS_LABELS,
        "status_colors": STATUS_COLORS,
        "source_labels": SOURCE_LABELS,
        "kind_labels": KIND_LABELS,
        "evidence_json": json.dumps(evidence, ensure_ascii=False, indent=1) if evidence else None,
        "home_href": datasette.urls.path("/?" + urlencode({"region": v.get("region") or "", "year": v["year"]})),
        "db": DB_NAME,
    }
    return Response.html(await datasette.render_template("gongkai_verdict.html", ctx, request=request))


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


async def report_page(datasette: Any, request: Any) -> Response:
    from extract import form

    rid = int(request.url_vars["id"])
    if rid >= 1 << 63:  # beyond SQLite's integers: no such report, not a server error
        raise NotFound(f"no report {rid}")
    db = datasette.get_database(DB_NAME)
    res = await db.execute("select * from reports where id = ?", [rid])
    if not res.rows:
        raise NotFound(f"no report {rid}")
    rep = dict(zip(res.columns, res.rows[0], strict=True))

    async def one(sql: str, params: list) -> dict:
        r = await db.execute(sql, params)
        return dict(zip(r.columns, r.rows[0], strict=True)) if r.rows else {}

    doc = await one("select * from documents where sha256 = ?", [rep["sha256"]])
    req = await one("select * from report_requests where report_id = ?", [rid])
    act = await one("select * from report_active where report_id = ?", [rid])
    app = await one("select * from report_appeals where report_id = ?", [rid])
    verdict = await one(
        "select * from compliance where agency = ? and year = ?", [rep["agency"], rep["year"]]
    )
    checks = (
        await db.execute(
            "select scope, [check], ok, detail from check_results where report_id = ? "
            "order by scope desc, ok, id",
            [rid],
        )
    ).rows
    urls = (
        await db.execute(
            "select url, first_seen, last_seen, portal_date, list_title, crawl_id "
            "from document_urls where sha256 = ? order by first_seen",
            [rep["sha256"]],
        )
    ).rows
    labels = {k: lbl for k, lbl, _ in form.REQUEST_ROWS}
    labels[form.OTHER_SINGLE[0]] = form.OTHER_SINGLE[1]
    groups = {k: g for k, _, g in form.REQUEST_ROWS}
    req_rows = []
    for key in REQUEST_ROW_KEYS:
        vals = [req.get(f"{key}_{c}") for c in form.REQUEST_COLUMNS]
        if key in ("other",) + tuple(form.OTHER_SPLIT_KEYS) and all(v is None for v in vals):
            continue  # the report prints 其他处理 either as one row or as three
        req_rows.append((groups.get(key, ""), labels[key], vals))
    act_labels = column_labels()["report_active"]
    act_rows = [(act_labels[k], v) for k, v in act.items() if k != "report_id" and v is not None]
    app_rows = [
        (label, [app.get(f"{g}_{c}") for c in form.APPEAL_COLUMNS]) for g, label in form.APPEAL_GROUPS
    ]
    evidence = json.loads(verdict["evidence"]) if verdict.get("evidence") else None
    # the WARC response record that holds this document's bytes, and each URL's latest record
    payload = await one("select warc_file, warc_offset, date from warc_payloads where sha256 = ?", [rep["sha256"]])
    url_warc = {}
    for u in urls:
        # the fetch log names the URL each request asked for: after redirects, the final one
        final = (await one("select final_url from document_urls where url = ? and sha256 = ?",
                           [u[0], rep["sha256"]])).get("final_url") or u[0]
        rec = await one(
            "select warc_file, warc_offset, warc_type from fetches where url in (?, ?)"
            " and sha256 = ? and warc_file is not null order by id desc limit 1",
            [u[0], final, rep["sha256"]],
        )
        if rec:
            url_warc[u[0]] = (warc_href(datasette, rec["warc_file"], rec["warc_offset"]), rec["warc_type"])
    verdict_warc = warc_ref_href(datasette, verdict.get("warc"))
    # every document of this report: the notice page, the attachment with the numbers, copies, versions
    docs = await db.execute(
        "select r.id, r.role, r.report_version, r.url, r.sha256, r.parse_status, w.warc_file, w.warc_offset"
        " from reports r left join warc_payloads w on w.sha256 = r.sha256"
        " where r.parse_current = 1 and r.report_of = ? order by r.role != 'report', r.report_version desc, r.id",
        [rep.get("report_of") or rid],
    )
    documents = [dict(zip(docs.columns, row, strict=True)) for row in docs.rows]
    for d in documents:
        d["warc"] = warc_href(datasette, d.pop("warc_file"), d.pop("warc_offset"))
    ctx = {
        "documents": documents,
        "role_labels": ROLE_LABELS,
        "rep": rep,
        "doc": doc,
        "verdict": verdict,
        "checks": checks,
        "doc_urls": urls,
        "req_rows": req_rows,
        "req_cols": form.REQUEST_COLUMN_LABELS,
        "act_rows": act_rows,
        "app_rows": app_rows,
        "app_cols": form.APPEAL_COLUMN_LABELS,
        "status_labels": STATUS_LABELS,
        "status_colors": STATUS_COLORS,
        "parse_labels": PARSE_STATUS_LABELS,
        "kind_labels": KIND_LABELS,
        "source_labels": SOURCE_LABELS,
        "sections": json.loads(rep["sections"] or "[]"),
        "section_names": form.SECTIONS,
        "evidence": json.dumps(evidence, ensure_ascii=False, indent=1) if evidence else None,
        "warc": warc_href(datasette, payload.get("warc_file"), payload.get("warc_offset")),
        "warc_date": payload.get("date"),
        "url_warc": url_warc,
        "verdict_warc": verdict_warc,
        "verdict_href": verdict_href(datasette, verdict["agency"], verdict["year"]) if verdict else None,
        "check_labels": CHECK_LABELS,
        "zh_text": zh_text,
        "region_name": regions.full_name(rep.get("region")),
        "home_query": urlencode({k: v for k, v in (("region", rep.get("region")), ("year", rep.get("year"))) if v}),
        "db": DB_NAME,
    }
    return Response.html(await datasette.render_template("gongkai_report.html", ctx, request=request))


async def warc_record(datasette: Any, request: Any) -> Response:
    """One record of the archive's WARCs: the gzip member at ?offset=N, itself a valid .warc.gz.
    Only offsets the archive names (a fetch, a column capture, a payload) are served."""
    from archive.warc import iter_records, read_member, resolve

    name = request.url_vars["file"]
    try:
        offset = int(request.args.get("offset", ""))
    except ValueError:
        raise NotFound("offset= must be a record's offset") from None
    if not 0 <= offset < 1 << 63:
        raise NotFound(f"no WARC record {name} at offset {offset}")
    db = datasette.get_database(DB_NAME)
    known = await db.execute(
        "select warc_length from fetches where warc_file = ? and warc_offset = ?"
        " union all select warc_length from column_captures where warc_file = ? and warc_offset = ?"
        " union all select warc_length from warc_payloads where warc_file = ? and warc_offset = ? limit 1",
        [name, offset] * 3,
    )
    path = resolve(_data_dir(datasette), name)
    if not known.rows or path is None:
        raise NotFound(f"no WARC record {name} at offset {offset}")
    data = read_member(path, offset, known.rows[0][0])
    if request.args.get("view") == "headers":
        (_, rec, payload), = list(iter_records(io.BytesIO(data)))
        text = rec.rec_headers.to_str() + (rec.http_headers.to_str() if rec.http_headers else "")
        text += f"[{len(payload)} bytes of payload]\n"
        return Response.text(text, headers={"X-Content-Type-Options": "nosniff"})
    return Response(
        data,
        content_type="application/warc",
        headers={
            "Content-Disposition": f'attachment; filename="{name[: -len(".warc.gz")]}-{offset}.warc.gz"',
            "X-Content-Type-Options": "nosniff",
        },
    )


async def search_page(datasette: Any, request: Any) -> Response:
    q = (request.args.get("q") or "").strip()
    scope = Scope.from_args(request.args)
    rows: list[dict] = []
    db = datasette.get_database(DB_NAME)
    if q:
        where, params = "", {"q": q}
        if scope.year is not None:
            where += " and r.year = :year"
            params["year"] = scope.year
        if scope.kind:
            where += " and r.kind = :kind"
            params["kind"] = scope.kind
        if scope.region:
            clause, ps = regions.sql_filter(scope.prefixes, "r.region")
            for i, p in enumerate(ps):  # named parameters: the search SQL names :q
                clause = clause.replace("?", f":region{i}", 1)
                params[f"region{i}"] = p
            where += f" and {clause}"
        res = await db.execute(search_sql(where), params)
        rows = [dict(zip(res.columns, r, strict=True)) for r in res.rows]
        for r in rows:
            r["context_html"] = escape(r["context"] or "").replace(
                escape(q), Markup(f"<mark>{escape(q)}</mark>")
            )
            r["region_name"] = regions.name(r["region"])
    years = [r[0] for r in (await db.execute(
        "select distinct year from compliance_summary order by 1 desc")).rows]
    ctx = {
        "q": q,
        "rows": rows,
        "scope": scope,
        "scope_label": scope.label(),
        "years": years,
        "kind_labels": KIND_LABELS,
        "parse_labels": PARSE_STATUS_LABELS,
        "db": DB_NAME,
    }
    return Response.html(await datasette.render_template("gongkai_search.html", ctx, request=request))


async def blob(datasette: Any, request: Any) -> Response:
    sha = request.url_vars["sha"]
    path = _blob_path(datasette, sha)
    if not path.is_file():
        raise NotFound(f"no stored copy {sha}")
    db = datasette.get_database(DB_NAME)
    res = await db.execute("select type from documents where sha256 = ?", [sha])
    kind = res.rows[0][0] if res.rows else None
    if kind is None:  # a report column's page, kept as a `missing` verdict's evidence
        cap = await db.execute("select 1 from column_captures where sha256 = ? limit 1", [sha])
        kind = "html" if cap.rows else None
    ctype = CONTENT_TYPES.get(kind or "", "application/octet-stream")
    if kind == "html":
        ctype = "text/plain; charset=utf-8" if request.args.get("raw") else "text/html"
    # a stored page is evidence, not an app: no scripts, no forms, no requests to anywhere (images
    # and styles only from this server, and a captured page has none here). A PDF keeps Chromium's
    # viewer (which a `sandbox` directive would block) but may load nothing either.
    csp = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; form-action 'none'"
    if kind != "pdf":
        csp = "sandbox; " + csp
    return Response(
        path.read_bytes(),
        content_type=ctype,
        headers={
            "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Content-Disposition": f'inline; filename="{sha[:16]}.{kind or "bin"}"',
        },
    )


async def compare_page(datasette: Any, request: Any) -> Response:
    """Two scopes side by side: two regions, two years of one region, or a region and its parent."""
    db = datasette.get_database(DB_NAME)
    args = request.args
    year = args.get("year") or ""
    a = Scope.from_args({"region": args.get("a") or "", "year": args.get("ya") or year,
                         "kind": args.get("kind") or ""})
    b_region = args.get("b") or ""
    if args.get("vs") == "parent" or b_region == "上级":
        up = regions.parent(a.prefixes[0].ljust(6, "0")) if len(a.prefixes) == 1 else None
        b_region = up or ""
    b = Scope.from_args({"region": b_region, "year": args.get("yb") or year, "kind": args.get("kind") or ""})
    sides = []
    for sc in (a, b):
        where, params = sc.where()
        counts = {st: n for st, n in (await db.execute(
            f"select status, sum(n) from compliance_summary where 1{where} group by 1", params)).rows}
        judged = sum(counts.get(s, 0) for s in ("on_time", "late", "missing"))
        rwhere, rparams = sc.where("r")
        req = (await db.execute(
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
        problems = await _problems(datasette, db, sc, limit=100)
        sides.append({
            "scope": sc,
            "label": sc.label(),
            "counts": counts,
            "rate": 100 * counts.get("on_time", 0) / judged if judged else None,
            "reports": req[0],
            "requests": dict(zip(REQUEST_MEASURES, req[1:10], strict=True)),
            "appeals": dict(zip(APPEAL_MEASURES, req[10:], strict=True)),
            "problems": problems,
            "dashboard": datasette.urls.path("/?" + sc.query()),
        })
    names = [s["scope"].region and regions.name(s["scope"].prefixes[0].ljust(6, "0")) if s["scope"].prefixes
             else s["scope"].region or "全部" for s in sides]
    tags = [f"{n}{' ' + str(s['scope'].year) if s['scope'].year else ''}" for n, s in zip(names, sides, strict=True)]
    if tags[0] == tags[1]:
        tags = ["A：" + tags[0], "B：" + tags[1]]
    ctx = {
        "sides": sides,
        "tags": tags,
        "args": {"a": args.get("a") or "", "b": args.get("b") or "", "ya": args.get("ya") or "",
                 "yb": args.get("yb") or "", "year": year, "vs": args.get("vs") or ""},
        "years": [r[0] for r in (await db.execute(
            "select distinct year from compliance_summary order by 1 desc")).rows],
        "region_options": [(c, regions.name(c)) for (c,) in (await db.execute(
            "select distinct region from agencies where region != '' order by 1")).rows],
        "status_chart": stacked_bars([(t, s["counts"]) for t, s in zip(tags, sides, strict=True)]),
        "rate_chart": bar_pairs([("按时公开率（%）", [s["rate"] for s in sides])], tags, unit="%"),
        "request_chart": bar_pairs(
            [(REQUEST_LABELS[k], [s["requests"][k] for s in sides]) for k in REQUEST_MEASURES], tags),
        "appeal_chart": bar_pairs(
            [(APPEAL_LABELS[k], [s["appeals"][k] for s in sides]) for k in APPEAL_MEASURES], tags),
        "request_labels": REQUEST_LABELS,
        "appeal_labels": APPEAL_LABELS,
        "status_order": STATUS_ORDER,
        "status_labels": STATUS_LABELS,
        "status_colors": STATUS_COLORS,
        "legend": legend(),
        "as_of": await _as_of(db),
        "db": DB_NAME,
    }
    return Response.html(await datasette.render_template("gongkai_compare.html", ctx, request=request))


async def export_csv(datasette: Any, request: Any) -> Response:
    """The scope's reports as CSV for Excel (UTF-8 with BOM, Chinese headers), streamed row by row;
    ?verdicts=1: the verdicts instead."""
    from datasette.utils.asgi import AsgiStream

    from archive.export import csv_chunks

    scope = Scope.from_args(request.args)
    verdicts = bool(request.args.get("verdicts"))
    db = datasette.get_database(DB_NAME)
    path = db.path

    async def stream(send: Any) -> None:
        import asyncio

        # one block of rows at a time, read in a worker thread: memory stays flat for any archive
        chunks = csv_chunks(path, verdicts=verdicts, labels="zh", year=scope.year,
                            prefixes=scope.prefixes if scope.region else None, kind=scope.kind)
        await send.write("\ufeff")
        while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
            await send.write(chunk)

    name = ("verdicts" if verdicts else "reports") + (f"-{scope.year}" if scope.year else "") + ".csv"
    return AsgiStream(stream, content_type="text/csv; charset=utf-8",
                      headers={"Content-Disposition": f'attachment; filename="gongkai-{name}"'})


async def feed(datasette: Any, request: Any) -> Response:
    """An Atom feed of the latest late and missing verdicts (of a region or kind), newest first."""
    db = datasette.get_database(DB_NAME)
    scope = Scope.from_args(request.args)
    # when the alerts run, alert_state keeps since when each verdict has been late or missing: the
    # newest first; otherwise the date of the check that judged it
    since = "c.as_of"
    if (await db.execute("select 1 from sqlite_master where name = 'alert_state'")).rows:
        since = ("coalesce((select substr(s.since, 1, 10) from alert_state s where s.key = 'verdict|' || c.agency"
                 " || '|' || c.year and s.state = c.status), c.as_of)")
    where, params = scope.where("c")
    res = await db.execute(
        f"select agency, year, status, region, due, published, days_late, as_of, {since} as since"
        f" from compliance c where status in ('late', 'missing'){where} order by since desc, year desc, agency"
        " limit 200",
        params,
    )
    base = str(request.url).split("/-/", 1)[0]
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    entries = []
    for agency, year, status, region, due, published, days_late, as_of, since_day in res.rows:
        link = base + verdict_href(datasette, agency, year)
        when = f"{since_day or as_of or now[:10]}T00:00:00Z"
        summary = (f"{regions.name(region)} {agency} {year} 年度报告：{STATUS_LABELS[status]}，截止 {due}"
                   + (f"，{published} 公开，逾期 {days_late} 天" if status == "late" else "")
                   + f"（判定基准日 {as_of}）")
        entries.append(
            f"<entry><id>tag:gongkai,{escape(as_of or '')}:{escape(agency)}/{year}/{status}</id>"
            f"<title>{escape(agency)} {year}：{STATUS_LABELS[status]}</title>"
            f'<link href="{escape(link)}"/><updated>{when}</updated>'
            f"<summary>{escape(summary)}</summary></entry>"
        )
    updated = f"{res.rows[0][8]}T00:00:00Z" if res.rows and res.rows[0][8] else now
    body = (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>tag:gongkai,feed:{escape(scope.query())}</id>"
        f"<title>逾期公开与逾期未公开 · {escape(scope.label())}</title>"
        f'<link rel="self" href="{escape(str(request.url))}"/><updated>{updated}</updated>'
        "<author><name>gongkai</name></author>" + "".join(entries) + "</feed>\n"
    )
    return Response(body, content_type="application/atom+xml; charset=utf-8")


# tables whose table page and JSON API answer `_search=` with archive/search.py
SEARCHABLE = {"report_text"}


@hookimpl(trylast=True)
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    """`?_search=` on report_text (the table page's search box and the JSON API): the same search as
    /-/gongkai/search, for every query length. The table declares no fts_table, so Datasette's own
    search (a trigram MATCH, blind to one or two characters) stays out; trylast so that our
    `supports_search` wins over the default hook's False."""
    if database != DB_NAME or table not in SEARCHABLE:
        return None
    from datasette.filters import FilterArguments

    q = (request.args.get("_search") or "").strip()
    if not q:
        return FilterArguments([], extra_context={"supports_search": True, "search": ""})
    where, params = table_filter(q)
    return FilterArguments(
        [where],
        params,
        [f'全文包含 "{q}"（当前版本的年报）'],
        extra_context={"supports_search": True, "search": q},
    )


@hookimpl
def prepare_jinja2_environment(env: Any, datasette: Any) -> None:
    """Our templates (dashboard, pages, the table with Chinese headers) for a plain `datasette`
    too: Datasette finds a plugin's templates only beside a package, and this plugin is a module."""
    from jinja2 import ChoiceLoader, FileSystemLoader

    from archive.web import TEMPLATES

    if not getattr(env, "_gongkai_templates", False):
        env.loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES)), env.loader])
        env._gongkai_templates = True


@hookimpl
def get_metadata(datasette: Any, key: str, database: str | None, table: str | None) -> dict | None:
    """The archive's titles, labels and canned queries for a plain `datasette archive.db` too (the
    archive folder's metadata.json, when Datasette reads it, takes precedence)."""
    if DB_NAME not in datasette.databases:
        return None
    from archive.web import metadata

    return metadata()


@hookimpl
def prepare_connection(conn: Any) -> None:
    # the dashboard's group-bys scan the compliance table: a larger cache and memory-mapped reads
    conn.execute("PRAGMA cache_size=-131072")
    conn.execute("PRAGMA mmap_size=1073741824")


@hookimpl
def register_routes(datasette: Any) -> list:
    return [
        # the home page is the answer: the dashboard; Datasette's list of databases stays at /-/databases
        (r"^/$", dashboard),
        (r"^/-/gongkai$", dashboard),
        (r"^/-/gongkai/list$", list_page),
        (r"^/-/gongkai/verdict$", verdict_page),
        (r"^/-/gongkai/compare$", compare_page),
        (r"^/-/gongkai/export\.csv$", export_csv),
        (r"^/-/gongkai/feed\.atom$", feed),
        (r"^/-/gongkai/report/(?P<id>\d+)$", report_page),
        (r"^/-/gongkai/search$", search_page),
        (r"^/-/blob/(?P<sha>[0-9a-f]{64})$", blob),
        (r"^/-/gongkai/warc/(?P<file>[A-Za-z0-9._-]+\.warc\.gz)$", warc_record),
    ]


@hookimpl
def menu_links(datasette: Any) -> list[dict]:
    return [
        {"href": datasette.urls.path("/"), "label": "合规仪表盘（首页）"},
        {"href": datasette.urls.path("/-/gongkai/compare"), "label": "地区与年度对比"},
        {"href": datasette.urls.path("/-/gongkai/search"), "label": "全文检索"},
        {"href": datasette.urls.database(DB_NAME), "label": "全部数据表"},
    ]


EXCERPT = 200  # characters of a report's text shown in a table cell (the report page has it all)
# columns whose internal values are shown in Chinese on table pages (the JSON API keeps them)
_VALUE_LABELS: dict[str, dict[str, str]] = {
    "kind": KIND_LABELS,
    "parse_status": PARSE_STATUS_LABELS,
    "scope": SCOPE_LABELS,
}


def value_label(column: str, value: Any, table: str | None = None) -> str:
    """A column's value as a reader sees it (a status, kind, check or region in Chinese)."""
    if value is None or value == "":
        return ""
    text = str(value)
    if column == "status":
        labels = HEALTH_LABELS if table == "crawl_health" else STATUS_LABELS
        return f"{labels[text]}（{text}）" if text in labels else text
    if column == "check":
        return f"{check_label(text)}（{text}）" if text in CHECK_LABELS else text
    if column == "region" and text.isdigit():
        return f"{regions.name(text)}（{text}）"
    if column in _VALUE_LABELS and text in _VALUE_LABELS[column]:
        return f"{_VALUE_LABELS[column][text]}（{text}）"
    return text


@hookimpl
def extra_template_vars(datasette: Any) -> dict:
    def column_label(database: str, table: str | None, column: str) -> str:
        cols = (datasette.table_metadata(database, table) or {}).get("columns") or {} if table else {}
        label = (cols.get(column) or "").split("（")[0]
        return f"{label}（{column}）" if label else column

    return {"gk_value_label": value_label, "gk_column_label": column_label}


@hookimpl
def render_cell(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any
) -> Any:
    if database != DB_NAME or value is None or value == "":
        return None
    if table == "report_text" and column == "text" and isinstance(value, str):
        more = len(value) - EXCERPT
        tail = f"…（共 {len(value)} 字，全文见年报页面）" if more > 0 else ""
        return Markup(f"{escape(value[:EXCERPT])}<small>{escape(tail)}</small>")
    if column == "region" and isinstance(value, str) and value.isdigit():
        href = datasette.urls.path("/?" + urlencode({"region": value}))
        return Markup(f'<a href="{html.escape(href)}" title="{html.escape(regions.full_name(value))}">'
                      f"{escape(regions.name(value))}</a> <small>{escape(value)}</small>")
    if column == "check" and isinstance(value, str):
        return Markup(f"{escape(check_label(value))} <small>{escape(value)}</small>")
    if column in ("detail", "reason", "last_error") and isinstance(value, str):
        zh = zh_text(value)
        return Markup(escape(zh)) if zh != value else None
    if column == "status" and table == "crawl_health" and value in HEALTH_LABELS:
        return Markup(f"{HEALTH_LABELS[value]} <small>{escape(value)}</small>")
    if column in _VALUE_LABELS and isinstance(value, str) and value in _VALUE_LABELS[column]:
        return Markup(f"{escape(_VALUE_LABELS[column][value])} <small>{escape(value)}</small>")
    if column == "agency" and table == "compliance" and row is not None:
        try:
            year = row["year"]
        except (KeyError, IndexError, TypeError):
            year = None
        if isinstance(year, int):
            return Markup(f'<a href="{html.escape(verdict_href(datasette, value, year))}">{escape(value)}</a>')
    if column == "warc" and isinstance(value, str) and ":" in value:
        # a verdict's capture ("<file>:<offset>": compliance.warc, the `missing` query): the record
        # holding the page, the original response when a later crawl's record is a revisit
        sha = None
        for key in ("sha256", "capture"):
            try:
                sha = row[key]
                break
            except (KeyError, IndexError, TypeError):
                continue

        async def link() -> Markup | None:
            db = datasette.get_database(DB_NAME)
            href = (await original_record(datasette, db, {"warc": value, "sha256": sha}))[0]
            if not href:
                return None
            return Markup(f'<a href="{html.escape(href)}" title="{html.escape(value)}">WARC 记录</a>')

        return link()
    if column == "warc_offset" and table in ("fetches", "column_captures", "warc_payloads") and row is not None:
        try:
            name = row["warc_file"]
        except (KeyError, IndexError, TypeError):
            name = None
        href = warc_href(datasette, name, value) if isinstance(value, int) else None
        if href:
            return Markup(f'<a href="{html.escape(href)}">{value}</a>')
    if column == "report_id" or (table == "reports" and column == "id"):
        return Markup(
            f'<a href="{datasette.urls.path(f"/-/gongkai/report/{int(value)}")}">年报 {int(value)}</a>'
        )
    if column in ("sha256", "capture") and isinstance(value, str) and len(value) == 64:
        return Markup(
            f'<a href="{datasette.urls.path(f"/-/blob/{value}")}" title="{value}">存档副本 {value[:10]}…</a>'
        )
    if (
        column in ("url", "column_url")
        and isinstance(value, str)
        and value.startswith(("http://", "https://"))
    ):
        return Markup(f'<a href="{html.escape(value)}" rel="noopener noreferrer">{html.escape(value)}</a>')
    if column == "status" and table == "compliance" and value in STATUS_LABELS:
        return Markup(
            f'<span style="color:{STATUS_COLORS[value]};font-weight:bold">{STATUS_LABELS[value]}</span>'
            f" <small>{value}</small>"
        )
    return None
