"""The gongkai Datasette plugin: dashboard, report pages, stored copies, search, cell links.

Routes:
  /-/gongkai                    the compliance dashboard (?year= ?kind= ?region= filter it)
  /-/gongkai/report/<id>        one report: verdict, checks, its tables with Chinese labels, provenance
  /-/gongkai/search?q=          full-text search, any length (archive/search.py)
  /-/blob/<sha256>              the stored copy, served from the blob store (sandboxed, never executed)
  /-/gongkai/warc/<file>?offset=N   one WARC record of a capture (a one-record .warc.gz that warcio,
                                pywb or ReplayWeb.page read); &view=headers: its WARC and HTTP headers
Charts are inline SVG drawn here: the machine that serves them may have no internet (no CDN).
"""

from __future__ import annotations

import html
import io
import json
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from archive.columns import REQUEST_ROW_KEYS, column_labels
from archive.search import SEARCH_SQL, table_filter
from archive.web import DB_NAME, KIND_LABELS, PARSE_STATUS_LABELS, STATUS_LABELS

SOURCE_LABELS = {
    "portal_date": "门户发布日期",
    "published": "落款日期",
    "last_modified": "HTTP Last-Modified",
    "first_seen": "首次抓取时间",
    "first_seen (backdated?)": "首次抓取时间（疑似倒签）",
}
STATUS_ORDER = ["on_time", "late", "missing", "unreachable", "unverified", "undated", "pending"]
STATUS_COLORS = {
    "on_time": "#2e7d32",
    "late": "#f57c00",
    "missing": "#c62828",
    "unreachable": "#6d6d6d",
    "unverified": "#b0bec5",
    "undated": "#9575cd",
    "pending": "#64b5f6",
}
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
    cfg = datasette.plugin_config("gongkai") or {}
    return Path(cfg.get("data_dir", "."))


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


def stacked_bars(
    rows: list[tuple[str, dict[str, int]]], width: int = 640, bar: int = 22, label_width: int = 170
) -> Markup:
    """Horizontal 100% stacked bars, one per row label, coloured by verdict status."""
    if not rows:
        return Markup('<p class="gk-empty">暂无数据</p>')
    gap = 8
    h = len(rows) * (bar + gap) + 4
    plot = width - label_width - 60
    parts = [
        f'<svg class="gk-chart" viewBox="0 0 {width} {h}" width="100%" role="img" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, counts) in enumerate(rows):
        y = i * (bar + gap) + 2
        total = sum(counts.values()) or 1
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar * 0.7:.1f}" text-anchor="end" class="gk-lbl">'
            f"{escape(label)}</text>"
        )
        x = float(label_width)
        for st in STATUS_ORDER:
            n = counts.get(st, 0)
            if not n:
                continue
            w = plot * n / total
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{max(w, 0.5):.1f}" height="{bar}" '
                f'fill="{STATUS_COLORS[st]}"><title>{escape(label)} · {STATUS_LABELS[st]}：{n}'
                f"（{100 * n / total:.0f}%）</title></rect>"
            )
            if w > 26:
                parts.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + bar * 0.7:.1f}" text-anchor="middle" '
                    f'class="gk-in">{n}</text>'
                )
            x += w
        parts.append(
            f'<text x="{label_width + plot + 6}" y="{y + bar * 0.7:.1f}" class="gk-lbl">{total}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(
    points: list[tuple[str, float | None]],
    unit: str = "",
    width: int = 640,
    height: int = 220,
    color: str = "#1565c0",
    ymax: float | None = None,
) -> Markup:
    """A line chart with dots and values, x = categories (years)."""
    pts = [(x, y) for x, y in points if y is not None]
    if not pts:
        return Markup('<p class="gk-empty">暂无数据</p>')
    left, right, top, bottom = 50, 24, 26, 30
    top_v = ymax if ymax is not None else max(y for _, y in pts) or 1
    step = (width - left - right) / max(len(points) - 1, 1)
    sx = {
        x: left + i * step if len(points) > 1 else (width - left - right) / 2 + left
        for i, (x, _) in enumerate(points)
    }

    def sy(v: float) -> float:
        return top + (height - top - bottom) * (1 - v / top_v)

    parts = [
        f'<svg class="gk-chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    for frac in (0, 0.5, 1):
        v = top_v * frac
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{sy(v):.1f}" y2="{sy(v):.1f}" class="gk-grid"/>'
            f'<text x="{left - 6}" y="{sy(v) + 4:.1f}" text-anchor="end" class="gk-axis">'
            f"{v:.0f}{escape(unit)}</text>"
        )
    for x, _ in points:
        parts.append(
            f'<text x="{sx[x]:.1f}" y="{height - 8}" text-anchor="middle" class="gk-axis">{escape(x)}</text>'
        )
    path = " ".join(f"{'M' if i == 0 else 'L'}{sx[x]:.1f},{sy(y):.1f}" for i, (x, y) in enumerate(pts))
    parts.append(f'<path d="{path}" fill="none" stroke="{color}" stroke-width="2.5"/>')
    for x, y in pts:
        shown = f"{y:.0f}" if abs(y) >= 10 or y == int(y) else f"{y:.1f}"
        parts.append(
            f'<circle cx="{sx[x]:.1f}" cy="{sy(y):.1f}" r="4" fill="{color}"><title>{escape(x)}：'
            f"{shown}{escape(unit)}</title></circle>"
            f'<text x="{sx[x]:.1f}" y="{sy(y) - 9:.1f}" text-anchor="middle" class="gk-val">{shown}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def legend() -> Markup:
    return Markup(
        "".join(
            f'<span class="gk-key"><i style="background:{STATUS_COLORS[s]}"></i>{STATUS_LABELS[s]}</span>'
            for s in STATUS_ORDER
        )
    )


# -- pages ----------------------------------------------------------------------------------------


def _filters(request: Any) -> tuple[str, list, dict]:
    where, params, chosen = [], [], {}
    for key in ("year", "kind", "region"):
        v = request.args.get(key)
        if v:
            where.append(f"{key} = ?")
            params.append(int(v) if key == "year" and v.isdigit() else v)
            chosen[key] = v
    return (" where " + " and ".join(where)) if where else "", params, chosen


async def dashboard(datasette: Any, request: Any) -> Response:
    # everything here reads the small summary tables `gongkai check` writes (compliance_summary,
    # report_summary, check_summary), except the list of problems, which uses an index
    db = datasette.get_database(DB_NAME)
    where, params, chosen = _filters(request)
    by_year: dict[int, dict[str, int]] = {}
    by_kind: dict[str, dict[str, int]] = {}
    by_region: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {}
    for col, bucket in (("year", by_year), ("kind", by_kind), ("region", by_region)):
        res = await db.execute(
            f"select {col}, status, sum(n) from compliance_summary{where} group by 1, 2", params
        )
        for key, status, n in res.rows:
            bucket.setdefault(key if key != "" else "?", {})[status] = n
            if col == "year":
                totals[status] = totals.get(status, 0) + n

    def bad_share(c: dict[str, int]) -> float:
        judged = sum(v for k, v in c.items() if k not in ("pending",)) or 1
        return (c.get("missing", 0) + c.get("late", 0)) / judged

    region_rows = sorted(by_region.items(), key=lambda kv: (-bad_share(kv[1]), kv[0]))[:25]
    years = sorted(by_year)
    rate = []
    for y in years:
        c = by_year[y]
        judged = sum(c.get(s, 0) for s in ("on_time", "late", "missing"))
        rate.append((str(y), 100 * c.get("on_time", 0) / judged if judged else None))
    res = await db.execute(
        f"select year, sum(requests_received), sum(reports) from report_summary{where} group by year order by year",
        params,
    )
    req_trend = [(str(y), float(n) if n is not None else None) for y, n, _ in res.rows]
    n_reports = sum(r[2] or 0 for r in res.rows)
    problems: list[dict] = []
    for status in ("missing", "late"):
        order = "year desc" if status == "missing" else "year desc, days_late desc"  # index order
        res = await db.execute(
            "select agency, year, status, due, published, days_late, report_id, url, region, kind, sha256, warc"
            " from compliance"
            f" where status = ?{where.replace(' where ', ' and ')} order by {order} limit 15",
            [status, *params],
        )
        problems += [dict(zip(res.columns, r, strict=True)) for r in res.rows]
    for p in problems:  # a `missing` verdict rests on a capture: its WARC record and stored copy
        p["warc_href"] = warc_ref_href(datasette, p.get("warc"))
    problems.sort(key=lambda p: (-p["year"], p["status"] != "missing", -(p["days_late"] or 0)))
    checks = (await db.execute("select [check], sum(n) from check_summary group by 1 order by 2 desc")).rows
    counts = (await db.execute("select (select count(*) from agencies), (select count(*) from crawls)")).rows[
        0
    ]
    options = {
        "year": [
            r[0]
            for r in (await db.execute("select distinct year from compliance_summary order by 1 desc")).rows
        ],
        "kind": [
            r[0] for r in (await db.execute("select distinct kind from compliance_summary order by 1")).rows
        ],
    }
    ctx = {
        "totals": totals,
        "status_order": STATUS_ORDER,
        "status_labels": STATUS_LABELS,
        "status_colors": STATUS_COLORS,
        "kind_labels": KIND_LABELS,
        "chosen": chosen,
        "options": options,
        "year_chart": stacked_bars([(f"{y}年", by_year[y]) for y in sorted(years, reverse=True)]),
        "kind_chart": stacked_bars([(KIND_LABELS.get(k, k), c) for k, c in sorted(by_kind.items())]),
        "region_chart": stacked_bars(region_rows),
        "rate_chart": line_chart(rate, unit="%", ymax=100, color="#2e7d32"),
        "req_chart": line_chart(req_trend, unit="", color="#1565c0"),
        "legend": legend(),
        "problems": problems,
        "checks": checks,
        "n_agencies": counts[0],
        "n_reports": n_reports,
        "n_crawls": counts[1],
        "n_regions": len(by_region),
        "db": DB_NAME,
    }
    return Response.html(await datasette.render_template("gongkai_dashboard.html", ctx, request=request))


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
    rows: list[dict] = []
    if q:
        res = await datasette.get_database(DB_NAME).execute(SEARCH_SQL, {"q": q})
        rows = [dict(zip(res.columns, r, strict=True)) for r in res.rows]
        for r in rows:
            r["context_html"] = escape(r["context"] or "").replace(
                escape(q), Markup(f"<mark>{escape(q)}</mark>")
            )
    ctx = {"q": q, "rows": rows, "parse_labels": PARSE_STATUS_LABELS, "db": DB_NAME}
    return Response.html(await datasette.render_template("gongkai_search.html", ctx, request=request))


async def blob(datasette: Any, request: Any) -> Response:
    sha = request.url_vars["sha"]
    path = _blob_path(datasette, sha)
    if not path.is_file():
        raise NotFound(f"no stored copy {sha}")
    res = await datasette.get_database(DB_NAME).execute("select type from documents where sha256 = ?", [sha])
    kind = res.rows[0][0] if res.rows else None
    ctype = CONTENT_TYPES.get(kind or "", "application/octet-stream")
    if kind == "html" and not request.args.get("raw"):
        ctype = "text/html"
    return Response(
        path.read_bytes(),
        content_type=ctype,
        headers={
            # a stored page is evidence, not an app: no scripts, no requests to anywhere
            "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'inline; filename="{sha[:16]}.{kind or "bin"}"',
        },
    )


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
def prepare_connection(conn: Any) -> None:
    # the dashboard's group-bys scan the compliance table: a larger cache and memory-mapped reads
    conn.execute("PRAGMA cache_size=-131072")
    conn.execute("PRAGMA mmap_size=1073741824")


@hookimpl
def register_routes(datasette: Any) -> list:
    return [
        (r"^/-/gongkai$", dashboard),
        (r"^/-/gongkai/report/(?P<id>\d+)$", report_page),
        (r"^/-/gongkai/search$", search_page),
        (r"^/-/blob/(?P<sha>[0-9a-f]{64})$", blob),
        (r"^/-/gongkai/warc/(?P<file>[A-Za-z0-9._-]+\.warc\.gz)$", warc_record),
    ]


@hookimpl
def menu_links(datasette: Any) -> list[dict]:
    return [
        {"href": datasette.urls.path("/-/gongkai"), "label": "合规仪表盘"},
        {"href": datasette.urls.path("/-/gongkai/search"), "label": "全文检索"},
    ]


@hookimpl
def render_cell(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any
) -> Markup | None:
    if database != DB_NAME or value is None or value == "":
        return None
    if column == "warc" and isinstance(value, str) and ":" in value:
        # a verdict's capture ("<file>:<offset>": compliance.warc, the `missing` query)
        href = warc_ref_href(datasette, value)
        if href:
            return Markup(f'<a href="{html.escape(href)}" title="{html.escape(value)}">WARC 记录</a>')
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
