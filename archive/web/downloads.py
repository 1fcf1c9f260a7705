"""What the archive hands out beside its pages: the stored copies, single WARC records, the CSV
export and the Atom feed of late and missing verdicts."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from datasette.utils.asgi import NotFound, Response
from markupsafe import escape

from archive import regions
from archive.export import csv_chunks
from archive.labels import STATUS_LABELS
from archive.metadata import DB_NAME
from archive.scope import Scope
from archive.web.links import verdict_href

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


def data_dir(datasette: Any) -> Path:
    """The archive folder: the plugin setting, else the folder holding archive.db (plain
    `datasette gongkai-data/archive.db` or `datasette gongkai-data/`)."""
    cfg = datasette.plugin_config("gongkai") or {}
    if cfg.get("data_dir"):
        return Path(cfg["data_dir"])
    db = datasette.databases.get(DB_NAME)
    return Path(db.path).parent if db is not None and db.path else Path(".")


def blob_path(datasette: Any, sha: str) -> Path:
    return data_dir(datasette) / "blobs" / sha[:2] / sha[2:4] / sha


async def blob(datasette: Any, request: Any) -> Response:
    sha = request.url_vars["sha"]
    path = blob_path(datasette, sha)
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
    path = resolve(data_dir(datasette), name)
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


async def export_csv(datasette: Any, request: Any) -> Response:
    """The scope's reports as CSV for Excel (UTF-8 with BOM, Chinese headers), streamed row by row;
    ?verdicts=1: the verdicts instead."""
    from datasette.utils.asgi import AsgiStream

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

