"""`gongkai export`: the reports' numbers, one row per report, as CSV or JSON; or the crawls' WARC
captures packaged as WACZ (`export_wacz`), for ReplayWeb.page, pywb and other web archive tools."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from cdxj_indexer import CDXJIndexer

from archive.columns import (
    ACTIVE_2019_COLUMNS,
    ACTIVE_2021_COLUMNS,
    APPEAL_COLUMN_NAMES,
    REQUEST_COLUMN_NAMES,
    column_labels,
)
from archive.labels import KIND_LABELS, STATUS_LABELS
from archive.metadata import metadata
from archive.regions import name as region_name
from archive.regions import sql_filter
from archive.scope import report_scope
from archive.store import Archive
from archive.warc import resolve, seal_stale, warc_dir

REPORT_COLUMNS = [
    "id",
    "agency",
    "agency_parsed",
    "region",
    "kind",
    "year",
    "format",
    "published",
    "portal_date",
    "parse_status",
    "checks_failed",
    "url",
    "sha256",
    "extractor_version",
]


VERDICT_COLUMNS = [
    "agency", "year", "region", "region_name", "kind", "parent", "status", "due", "published",
    "published_source", "days_late", "flags", "report_id", "url", "sha256", "warc", "as_of",
]
BLOCK = 500  # rows per chunk written (the web export sends one chunk at a time)


def _scope_sql(alias: str, year: int | None, prefixes: list[str] | None, kind: str | None) -> tuple[str, list]:
    where, params = "", list[object]()
    if year is not None:
        where += f" AND {alias}.year = ?"
        params.append(year)
    if kind:
        where += f" AND {alias}.kind = ?"
        params.append(kind)
    if prefixes is not None:
        clause, ps = sql_filter(prefixes, f"{alias}.region")
        where += f" AND {clause}"
        params += ps
    return where, params


def export_query(
    current_only: bool = True, year: int | None = None, prefixes: list[str] | None = None,
    kind: str | None = None,
) -> tuple[str, list[str], list]:
    """One row per report; LEFT JOINs, so a report missing a table (no 表四 found) is still a row."""
    cols = (
        [f"r.[{c}]" for c in REPORT_COLUMNS]
        + [f"q.[{c}]" for c in REQUEST_COLUMN_NAMES]
        + [f"a.[{c}]" for c in ACTIVE_2021_COLUMNS + ACTIVE_2019_COLUMNS]
        + [f"p.[{c}]" for c in APPEAL_COLUMN_NAMES]
    )
    names = (
        REPORT_COLUMNS
        + REQUEST_COLUMN_NAMES
        + ACTIVE_2021_COLUMNS
        + ACTIVE_2019_COLUMNS
        + APPEAL_COLUMN_NAMES
    )
    where, params = _scope_sql("r", year, prefixes, kind)
    sql = (
        f"SELECT {', '.join(cols)} FROM reports r LEFT JOIN report_requests q ON q.report_id = r.id "
        "LEFT JOIN report_active a ON a.report_id = r.id LEFT JOIN report_appeals p ON p.report_id = r.id"
        + " WHERE r.parse_status IN ('ok', 'inconsistent', 'incomplete')"
        + (f" AND {report_scope('r')}" if current_only else "")
        + where
        + " ORDER BY r.agency, r.year, r.id"
    )
    return sql, names, params


def verdicts_query(
    year: int | None = None, prefixes: list[str] | None = None, kind: str | None = None
) -> tuple[str, list[str], list]:
    where, params = _scope_sql("c", year, prefixes, kind)
    cols = ", ".join("NULL" if c == "region_name" else f"c.[{c}]" for c in VERDICT_COLUMNS)
    sql = f"SELECT {cols} FROM compliance c WHERE 1{where} ORDER BY c.year DESC, c.region, c.agency"
    return sql, VERDICT_COLUMNS, params


def header_labels(names: list[str], verdicts: bool) -> list[str]:
    """Chinese column headers, from the Datasette metadata's labels (internal name when none)."""
    tables = metadata(".")["databases"]["archive"]["tables"]
    labels: dict[str, str] = {}
    if verdicts:
        labels.update(tables["compliance"]["columns"])
    else:
        for t in ("report_appeals", "report_active", "report_requests"):
            labels.update(column_labels()[t])
        labels.update(tables["reports"]["columns"])
        labels["id"] = "年报编号"
    labels["region_name"] = "地区名称"
    # a label is a short header: the explanation in （…） stays in the metadata
    return [labels.get(n, n).split("（")[0] if n not in ("published_source",) else "公开日期依据"
            for n in names]


def _rows(
    con: sqlite3.Connection, verdicts: bool, labels: str, current_only: bool, year: int | None,
    prefixes: list[str] | None, kind: str | None,
) -> tuple[list[str], Iterator[list]]:
    if verdicts:
        sql, names, params = verdicts_query(year, prefixes, kind)
    else:
        sql, names, params = export_query(current_only, year, prefixes, kind)
    header = header_labels(names, verdicts) if labels == "zh" else list(names)
    i_region = names.index("region")
    i_kind = names.index("kind")
    i_status = names.index("status") if "status" in names else None
    i_name = names.index("region_name") if "region_name" in names else None

    def gen() -> Iterator[list]:
        for row in con.execute(sql, params):
            row = list(row)
            if i_name is not None:
                row[i_name] = region_name(row[i_region])
            if labels == "zh":
                row[i_kind] = KIND_LABELS.get(row[i_kind], row[i_kind])
                if i_status is not None:
                    row[i_status] = STATUS_LABELS.get(row[i_status], row[i_status])
            yield row

    return header, gen()


def _connect(db_path: str | Path) -> sqlite3.Connection:
    """A read-only connection of its own for an export, with little memory: a small page cache, no
    memory-mapped reads, sorts spilled to disk (the archive's own connection is tuned for speed,
    with a large cache and in-memory temporary tables that an export of every row would fill)."""
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
    con.execute("PRAGMA cache_size=-16384")
    con.execute("PRAGMA mmap_size=0")
    con.execute("PRAGMA temp_store=FILE")
    return con


def csv_chunks(
    db_path: str | Path, verdicts: bool = False, labels: str = "en", current_only: bool = True,
    year: int | None = None, prefixes: list[str] | None = None, kind: str | None = None,
) -> Iterator[str]:
    """The export as CSV text, BLOCK rows at a time (header first, no BOM), read straight from SQLite."""
    con = _connect(db_path)
    try:
        header, rows = _rows(con, verdicts, labels, current_only, year, prefixes, kind)
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(header)
        for n, row in enumerate(rows, 1):
            w.writerow(["" if v is None else v for v in row])
            if n % BLOCK == 0:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()
    finally:
        con.close()


def export_reports(
    arc: Archive, fmt: str, out: TextIO, current_only: bool = True, verdicts: bool = False,
    labels: str = "en", year: int | None = None, prefixes: list[str] | None = None,
    kind: str | None = None, bom: bool = True,
) -> int:
    """Write the reports' numbers (or the verdicts) as CSV or JSON, row by row: memory stays flat
    whatever the archive's size. CSV starts with a UTF-8 BOM so Excel reads the Chinese."""
    con = _connect(arc.data_dir / "archive.db")
    try:
        return _write(con, fmt, out, current_only, verdicts, labels, year, prefixes, kind, bom)
    finally:
        con.close()


def _write(
    con: sqlite3.Connection, fmt: str, out: TextIO, current_only: bool, verdicts: bool, labels: str,
    year: int | None, prefixes: list[str] | None, kind: str | None, bom: bool,
) -> int:
    header, rows = _rows(con, verdicts, labels, current_only, year, prefixes, kind)
    n = 0
    if fmt == "csv":
        if bom:
            out.write("\ufeff")
        w = csv.writer(out)
        w.writerow(header)
        for row in rows:
            w.writerow(["" if v is None else v for v in row])
            n += 1
    else:
        out.write("[")
        for row in rows:
            out.write(
                ("," if n else "") + "\n" + json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False)
            )
            n += 1
        out.write("\n]\n")
    return n


# -- WACZ ---------------------------------------------------------------------------------------

WACZ_VERSION = "1.1.1"


def cdxj_lines(path: Path, name: str) -> Iterator[tuple[str, dict]]:
    """The CDXJ lines (pywb's format: SURT key, timestamp, JSON) of one WARC file as cdxj-indexer
    writes them for py-wacz, in the file's order, and each line's fields with its date (for
    pages.jsonl). `post_append`: a POST (the list APIs) is keyed with its body, as replay tools
    look it up."""
    out = io.StringIO()
    CDXJIndexer(out, [str(path)], post_append=True, filename=name).process_all()
    for line in out.getvalue().splitlines():
        _key, ts, fields = line.split(" ", 2)
        yield line, {**json.loads(fields), "date": _rfc3339(ts)}


def _rfc3339(ts14: str) -> str:
    """A CDXJ timestamp (20260301120000) as pages.jsonl writes it (2026-03-01T12:00:00Z)."""
    return f"{ts14[:4]}-{ts14[4:6]}-{ts14[6:8]}T{ts14[8:10]}:{ts14[10:12]}:{ts14[12:14]}Z"


def _wacz_files(arc: Archive, crawl_id: int | None) -> list[str]:
    """The WARC files of the archive, or of one crawl plus those holding the payloads its revisits
    refer to (so the package replays on its own)."""
    if crawl_id is None:
        return sorted(p.name for p in warc_dir(arc.data_dir).glob("*.warc.gz"))
    own = {r[0] for r in arc.db.execute(
        "SELECT DISTINCT warc_file FROM fetches WHERE crawl_id = ? AND warc_file IS NOT NULL", [crawl_id])}
    if not own:
        raise ValueError(f"crawl {crawl_id} has no WARC records in {arc.data_dir}")
    referred = {r[0] for r in arc.db.execute(
        "SELECT DISTINCT w.warc_file FROM fetches f JOIN warc_payloads w ON w.sha256 = f.sha256"
        " WHERE f.crawl_id = ? AND f.warc_type = 'revisit'", [crawl_id])}
    return sorted(own | referred)


def export_wacz(arc: Archive, out: str | Path, crawl_id: int | None = None) -> dict:
    """Package the archive's WARC files (or one crawl's) as a WACZ 1.1.1 file: archive/*.warc.gz,
    indexes/index.cdx (CDXJ lines sorted by SURT key, under the name both pywb and wabac.js read),
    pages/pages.jsonl (the reports' documents), pages/extraPages.jsonl (the report column pages),
    datapackage.json with the sha256 of every file, and datapackage-digest.json. Written beside
    `out` and renamed: never half a package."""
    sealed = seal_stale(arc.data_dir)  # a killed crawl's file, cut at its last complete record
    names = _wacz_files(arc, crawl_id)
    if not names:
        raise ValueError(f"{arc.data_dir}: no WARC files (crawl first: gongkai crawl / gongkai demo)")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=".tmp-", suffix=".wacz")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as z:
            counts = _Package(z).write(arc, names, crawl_id)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a package is for handing over
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return {"wacz": str(out), "warc_files": names, **counts, "sealed": [p.name for p in sealed],
            "bytes": out.stat().st_size}


class _Package:
    """The files of a WACZ package written into its zip, each listed with its sha256 and size."""

    def __init__(self, z: zipfile.ZipFile) -> None:
        self.z = z
        self.resources: list[dict] = []

    def add(self, path: str, data: bytes) -> None:
        self.z.writestr(zipfile.ZipInfo(path, date_time=_zip_time()), data, compress_type=zipfile.ZIP_DEFLATED)
        # Data Package names are lower case ([-a-z0-9._/]): extraPages.jsonl is extrapages.jsonl
        self.resources.append({"name": Path(path).name.lower(), "path": path,
                               "hash": "sha256:" + hashlib.sha256(data).hexdigest(), "bytes": len(data)})

    def add_warc(self, src: Path, name: str) -> None:
        """A WARC file, STORED: it is gzip already, and replay reads it by offset inside the zip."""
        digest = hashlib.sha256()
        info = zipfile.ZipInfo(f"archive/{name}", date_time=_zip_time())
        info.compress_type = zipfile.ZIP_STORED
        size = 0
        with open(src, "rb") as f, self.z.open(info, "w", force_zip64=True) as dst:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)
        self.resources.append({"name": name.lower(), "path": f"archive/{name}",
                               "hash": "sha256:" + digest.hexdigest(), "bytes": size})

    def write(self, arc: Archive, names: list[str], crawl_id: int | None) -> dict[str, int]:
        lines: list[str] = []
        first_seen: dict[str, dict] = {}
        for name in names:
            src = resolve(arc.data_dir, name)
            if src is None or src.name != name:
                raise ValueError(f"{arc.data_dir / 'warc' / name}: missing, or still being written")
            for line, rec in cdxj_lines(src, name):
                lines.append(line)
                if rec.get("mime") != "warc/revisit" or rec["url"] not in first_seen:
                    first_seen.setdefault(rec["url"], rec)
            self.add_warc(src, name)
        lines.sort()
        self.add("indexes/index.cdx", ("\n".join(lines) + "\n").encode("utf-8"))
        pages, extra = _pages(arc, first_seen)
        header = {"format": "json-pages-1.0", "id": "pages", "title": "政府信息公开工作年度报告（原文）"}
        self.add("pages/pages.jsonl", _jsonl([header, *pages]))
        header = {"format": "json-pages-1.0", "id": "extra-pages", "title": "年报栏目页面（逾期未公开的证据）"}
        self.add("pages/extraPages.jsonl", _jsonl([header, *extra]))
        self.write_datapackage(crawl_id, pages)
        return {"records": len(lines), "pages": len(pages), "extra_pages": len(extra)}

    def write_datapackage(self, crawl_id: int | None, pages: list[dict]) -> None:
        """datapackage.json (every file's digest) and datapackage-digest.json (its own)."""
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        package = {
            "profile": "data-package",
            "wacz_version": WACZ_VERSION,
            "title": "gongkai · 政府信息公开工作年度报告档案" + (f"（抓取 {crawl_id}）" if crawl_id else ""),
            "description": "Government information disclosure annual reports (政府信息公开工作年度报告) and the "
            "report column pages, as crawled by gongkai. Payload digests are sha256, the same as the "
            "archive's blob store.",
            "created": stamp,
            "modified": stamp,
            "software": "gongkai 0.1 (warcio)",
            "resources": self.resources,
        }
        if pages:
            package["mainPageUrl"], package["mainPageDate"] = pages[0]["url"], pages[0]["ts"]
        body = json.dumps(package, ensure_ascii=False, indent=1).encode("utf-8")
        self.z.writestr(zipfile.ZipInfo("datapackage.json", date_time=_zip_time()), body,
                        compress_type=zipfile.ZIP_DEFLATED)
        digest_doc = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(body).hexdigest()}
        self.z.writestr(zipfile.ZipInfo("datapackage-digest.json", date_time=_zip_time()),
                        json.dumps(digest_doc, indent=1).encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED)


def _zip_time() -> tuple[int, int, int, int, int, int]:
    d = datetime.now(UTC)
    return (d.year, d.month, d.day, d.hour, d.minute, d.second)


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def _pages(arc: Archive, seen: dict[str, dict]) -> tuple[list[dict], list[dict]]:
    """Pages: every stored document URL in the package (a report's page or file), titled by its
    list title; extra pages: the report column pages."""
    pages, extra = [], []
    # a redirected document: its page is where the redirects led (the URL holding the bytes)
    for url, title, agency in arc.db.execute(
            "SELECT coalesce(final_url, url), max(list_title), max(agency) FROM document_urls"
            " GROUP BY 1 ORDER BY 1"):
        rec = seen.get(url)
        if rec is not None:
            pages.append({"id": hashlib.sha256(url.encode()).hexdigest()[:16], "url": url,
                          "ts": rec["date"], "title": title or agency or url})
    for url, agency in arc.db.execute(
            "SELECT column_url, max(agency) FROM column_captures GROUP BY column_url ORDER BY column_url"):
        rec = seen.get(url)
        if rec is not None:
            extra.append({"id": hashlib.sha256(url.encode()).hexdigest()[:16], "url": url,
                          "ts": rec["date"], "title": f"{agency} 年报栏目"})
    return pages, extra
