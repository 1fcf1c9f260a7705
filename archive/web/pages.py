"""The gongkai pages: the dashboard (the home page), a status's list of verdicts, one verdict and
its evidence, two scopes compared, one report, and the full-text search. The queries they share are
in archive/web/page_data.py, the charts in archive/web/charts.py."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from archive import regions
from archive.columns import REQUEST_ROW_KEYS, column_labels
from archive.labels import (
    APPEAL_LABELS,
    CHECK_LABELS,
    HEALTH_LABELS,
    KIND_LABELS,
    PARSE_STATUS_LABELS,
    REQUEST_LABELS,
    ROLE_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    zh_text,
)
from archive.metadata import DB_NAME
from archive.scope import Scope
from archive.search import search_sql
from archive.web.charts import STATUS_COLORS, STATUS_ORDER, bar_pairs, legend, line_chart, stacked_bars
from archive.web.links import verdict_href, warc_href, warc_ref_href
from archive.web.page_data import (
    PROBLEM_STATUSES,
    archive_counts,
    as_of,
    bad_share,
    failed_checks,
    on_time_rates,
    one_row,
    original_record,
    pill_regions,
    problem_verdicts,
    report_documents,
    report_rows,
    request_totals,
    request_trend,
    status_counts,
    url_records,
    verdict_rows,
    verdict_years,
)
from extract import form

REQUEST_MEASURES = ["received", "carried_in", "granted", "partial", "withheld", "unavailable", "rejected",
                    "processed", "carried_out"]
APPEAL_MEASURES = ["review", "review_corrected", "suits", "suits_corrected"]


async def dashboard(datasette: Any, request: Any) -> Response:
    # the charts read the small summary tables `gongkai check` writes (compliance_summary,
    # report_summary); the lists of problems and failed checks use indexes
    db = datasette.get_database(DB_NAME)
    scope = Scope.from_args(request.args)
    counts = await status_counts(db, scope)
    region_rows = sorted(counts.by_region.items(), key=lambda kv: (-bad_share(kv[1]), kv[0]))[:25]
    req_trend, n_reports = await request_trend(db, scope)
    n_agencies, n_crawls, n_unregistered = await archive_counts(db)
    all_years = await verdict_years(db)
    region_codes = [r[0] for r in (await db.execute(
        "select distinct region from agencies where region is not null and region != '' order by 1")).rows]
    ctx = {
        "scope": scope,
        "scope_label": scope.label(),
        "as_of": await as_of(db),
        "totals": counts.totals,
        "status_order": STATUS_ORDER,
        "status_labels": STATUS_LABELS,
        "status_colors": STATUS_COLORS,
        "kind_labels": KIND_LABELS,
        "years": all_years,
        "kinds": [r[0] for r in (await db.execute("select distinct kind from compliance_summary order by 1")).rows],
        "region_links": [
            (code, regions.name(code), datasette.urls.path("/?" + scope.query(region=code)))
            for code in pill_regions(region_codes, scope.prefixes)
        ],
        "region_names": sorted({regions.name(c) for c in region_codes}),
        "year_links": [(y, datasette.urls.path("/?" + scope.query(year=y))) for y in all_years],
        **_dashboard_links(datasette, scope),
        "year_chart": stacked_bars([(f"{y}年", counts.by_year[y]) for y in sorted(counts.by_year, reverse=True)]),
        "kind_chart": stacked_bars([(KIND_LABELS.get(k, k), c) for k, c in sorted(counts.by_kind.items())]),
        "region_chart": stacked_bars([(regions.name(k), c) for k, c in region_rows]),
        "rate_chart": line_chart(on_time_rates(counts.by_year), unit="%", ymax=100, color="#2e7d32"),
        "req_chart": line_chart(req_trend, unit="", color="#1565c0"),
        "legend": legend(),
        "problems": await problem_verdicts(datasette, db, scope, limit=50),
        "checks": await failed_checks(db, scope),
        "n_agencies": n_agencies,
        # bodies that publish in the columns but are not in the registry: the list to grow it from
        "n_unregistered": n_unregistered,
        "n_reports": n_reports,
        "n_crawls": n_crawls,
        "db": DB_NAME,
    }
    return Response.html(await datasette.render_template("gongkai_dashboard.html", ctx, request=request))


def _dashboard_links(datasette: Any, scope: Scope) -> dict[str, Any]:
    """The dashboard's links to the other pages, each keeping the scope."""
    return {
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
    }


async def list_page(datasette: Any, request: Any) -> Response:
    """Every verdict of one status (or every problem) in a scope, each with its evidence link."""
    db = datasette.get_database(DB_NAME)
    scope = Scope.from_args(request.args)
    status = request.args.get("status") or ""
    statuses = (status,) if status in STATUS_ORDER else PROBLEM_STATUSES
    rows: list[dict] = []
    for st in statuses:
        rows += await verdict_rows(datasette, db, scope, st,
                                   "agency, year, status, region, kind, due, published, days_late, report_id, as_of",
                                   "year desc, days_late desc, agency", 5000)
    ctx = {
        "rows": rows,
        "status": status if status in STATUS_ORDER else "",
        "title": STATUS_LABELS.get(status, "逾期、未公开与无法访问"),
        "scope_label": scope.label(),
        "scope": scope,
        "as_of": await as_of(db),
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


async def report_page(datasette: Any, request: Any) -> Response:
    rid = int(request.url_vars["id"])
    if rid >= 1 << 63:  # beyond SQLite's integers: no such report, not a server error
        raise NotFound(f"no report {rid}")
    db = datasette.get_database(DB_NAME)
    rep = await one_row(db, "select * from reports where id = ?", [rid])
    if not rep:
        raise NotFound(f"no report {rid}")
    rows = await report_rows(db, rep)
    verdict = rows.verdict
    evidence = json.loads(verdict["evidence"]) if verdict.get("evidence") else None
    ctx = {
        "documents": await report_documents(datasette, db, rep),
        "role_labels": ROLE_LABELS,
        "rep": rep,
        "doc": rows.document,
        "verdict": verdict,
        "checks": rows.checks,
        "doc_urls": rows.urls,
        **report_tables(rows.requests, rows.active, rows.appeals),
        "status_labels": STATUS_LABELS,
        "status_colors": STATUS_COLORS,
        "parse_labels": PARSE_STATUS_LABELS,
        "kind_labels": KIND_LABELS,
        "source_labels": SOURCE_LABELS,
        "sections": json.loads(rep["sections"] or "[]"),
        "section_names": form.SECTIONS,
        "evidence": json.dumps(evidence, ensure_ascii=False, indent=1) if evidence else None,
        "warc": warc_href(datasette, rows.payload.get("warc_file"), rows.payload.get("warc_offset")),
        "warc_date": rows.payload.get("date"),
        "url_warc": await url_records(datasette, db, rows.urls, rep["sha256"]),
        "verdict_warc": warc_ref_href(datasette, verdict.get("warc")),
        "verdict_href": verdict_href(datasette, verdict["agency"], verdict["year"]) if verdict else None,
        "check_labels": CHECK_LABELS,
        "zh_text": zh_text,
        "region_name": regions.full_name(rep.get("region")),
        "home_query": urlencode({k: v for k, v in (("region", rep.get("region")), ("year", rep.get("year"))) if v}),
        "db": DB_NAME,
    }
    return Response.html(await datasette.render_template("gongkai_report.html", ctx, request=request))


def report_tables(req: dict, act: dict, app: dict) -> dict[str, Any]:
    """A report's tables as the report page lays them out: 表三 by row (其他处理 as one row or as
    three, as the report printed it), 表二's cells that have a value, 表四 by group."""
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
    return {
        "req_rows": req_rows,
        "req_cols": form.REQUEST_COLUMN_LABELS,
        "act_rows": [(act_labels[k], v) for k, v in act.items() if k != "report_id" and v is not None],
        "app_rows": [
            (label, [app.get(f"{g}_{c}") for c in form.APPEAL_COLUMNS]) for g, label in form.APPEAL_GROUPS
        ],
        "app_cols": form.APPEAL_COLUMN_LABELS,
    }


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
    years = await verdict_years(db)
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


async def _compare_side(datasette: Any, db: Any, sc: Scope) -> dict[str, Any]:
    """One side of the compare page: its verdicts, on-time rate, requests, appeals and problems."""
    where, params = sc.where()
    counts = {st: n for st, n in (await db.execute(
        f"select status, sum(n) from compliance_summary where 1{where} group by 1", params)).rows}
    judged = sum(counts.get(s, 0) for s in ("on_time", "late", "missing"))
    req = await request_totals(db, sc)
    return {
        "scope": sc,
        "label": sc.label(),
        "counts": counts,
        "rate": 100 * counts.get("on_time", 0) / judged if judged else None,
        "reports": req[0],
        "requests": dict(zip(REQUEST_MEASURES, req[1:10], strict=True)),
        "appeals": dict(zip(APPEAL_MEASURES, req[10:], strict=True)),
        "problems": await problem_verdicts(datasette, db, sc, limit=100),
        "dashboard": datasette.urls.path("/?" + sc.query()),
    }


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
    sides = [await _compare_side(datasette, db, sc) for sc in (a, b)]
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
        "years": await verdict_years(db),
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
        "as_of": await as_of(db),
        "db": DB_NAME,
    }
    return Response.html(await datasette.render_template("gongkai_compare.html", ctx, request=request))

