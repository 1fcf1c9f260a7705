"""The archive's write API: the blob store and the SQLite tables the crawler and `ingest` fill.

Contract (shared with the crawler's pipeline; keep these signatures):

    arc = Archive(data_dir)                  # creates/migrates data_dir/archive.db and data_dir/blobs/
    arc.db                                   # the sqlite_utils.Database
    arc.put_blob(data) -> sha256             # atomic (tmp file + rename), idempotent
    arc.blob_path(sha256) -> Path
    arc.upsert_agencies(rows)                # registry rows (columns stored as JSON)
    arc.start_crawl(kind="crawl", options=None) -> crawl id
    arc.finish_crawl(crawl_id, summary)
    arc.record_fetch(crawl_id, url, status, *, final_url=None, size=0, elapsed=None, error=None,
                     sha256=None, agency=None, warc=None)
    arc.warc_payload(sha256) -> {warc_file, warc_offset, warc_length, record_id, url, date} | None
    arc.add_warc_payload(sha256, warc_file, offset, length, record_id, url, date)
    arc.add_document(data, *, url, final_url=None, crawl_id=None, agency=None, referer=None,
                     list_title=None, list_date=None, portal_date=None, headers=None, meta=None,
                     fetched_at=None) -> (sha256, "new" | "changed" | "unchanged")
    arc.mark_unchanged(url, crawl_id)        # a 304 revalidation: bump last_seen
    arc.validators(url) -> {"etag", "last_modified", "sha256"} of the URL's latest version
    arc.record_column_capture(crawl_id, agency, column_url, data, status, reports_seen, error=None,
                              captured_at=None, warc=None)

`warc` is where archive/warc.py wrote the exchange: {"file", "offset", "length", "type", ...}.

Times are ISO 8601 UTC strings ("2025-02-01T08:00:00Z"). Each call is its own transaction, so a
crawler killed midway leaves a consistent archive; blobs are written before the rows that name them.
A crawl calls `arc.batch_commits(seconds)` first: the write calls then share a transaction committed
about once a second (`arc.commit()`, and `close()`, commit it at once); see `batch_commits`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from archive.schema import migrate, now

DEFAULT_DATA = "gongkai-data"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _http_date_iso(value: str | None) -> str | None:
    """An HTTP date (Last-Modified) as ISO 8601 UTC, or None when unreadable."""
    if not value:
        return None
    try:
        dt = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _header(headers: dict | None, name: str) -> str | None:
    if not headers:
        return None
    for k, v in headers.items():
        if str(k).lower() == name:
            if isinstance(v, list | tuple):
                v = v[0] if v else None
            if isinstance(v, bytes):
                v = v.decode("latin-1")
            return None if v is None else str(v)
    return None


def _sniff(data: bytes) -> str:
    try:
        from extract.sniff import sniff
    except ImportError:  # the extractor is not importable: the type is filled by `extract` later
        return "unknown"
    try:
        return sniff(data)
    except Exception:  # noqa: BLE001 - a sniffing bug must not lose a fetched document
        return "unknown"


class Archive:
    """One archive: `data_dir/archive.db` (SQLite) and `data_dir/blobs/` (content-addressed files)."""

    def __init__(self, data_dir: str | os.PathLike = DEFAULT_DATA, now: Callable[[], str] = now) -> None:
        self.data_dir = Path(data_dir)
        self.now = now  # stamps the rows; a crawl of the sample portal passes its day (schema.clock_at)
        self.blobs = self.data_dir / "blobs"
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.path = self.data_dir / "archive.db"
        conn = sqlite3.connect(self.path, timeout=60)
        self.db = sqlite_utils.Database(conn)
        # WAL: Datasette (and `check`) read while a crawl writes
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=OFF")
        # `check` and `extract` read the archive in chunks: a modest page cache, no memory map and
        # sorts spilled to disk keep their memory flat at any archive size (32 MB of cache)
        self.db.execute("PRAGMA cache_size=-32768")
        migrate(self.db)
        self._batch: float | None = None  # seconds a batched transaction stays open (batch_commits)
        self._since = 0.0  # when the open batch began

    def close(self) -> None:
        self.commit()
        self.db.conn.close()

    # -- transactions --------------------------------------------------------------------------

    def batch_commits(self, seconds: float = 1.0) -> None:
        """From now on the crawl's write calls (record_fetch, add_warc_payload, add_document,
        mark_unchanged, record_column_capture) share one transaction, committed by the first call
        `seconds` after the batch began, by `commit()` and by `close()`: every commit writes the WAL,
        and three commits a fetch cost more than the rows they hold. Each call stays atomic,
        and blobs are still fsynced before the row naming them is written, so a crash loses at most
        the uncommitted rows (their blobs stay, unnamed: the next write of the same bytes finds them),
        never leaves a row without its bytes. The caller commits before it records elsewhere what
        these rows hold (the crawl state file)."""
        self._batch = seconds

    def commit(self) -> None:
        """Commit the open batch, if any."""
        if self.db.conn.in_transaction:
            self.db.conn.commit()

    @contextlib.contextmanager
    def _write(self, statements: int = 2) -> Iterator[None]:
        """One write call's transaction: its own, or its part of the open batch (a savepoint when it
        runs more than one statement: a single statement is atomic by itself)."""
        conn = self.db.conn
        if self._batch is None:
            with conn:
                yield
            return
        if not conn.in_transaction:
            conn.execute("BEGIN")
            self._since = time.monotonic()
        if statements < 2:
            yield
        else:
            conn.execute("SAVEPOINT write_call")
            try:
                yield
            except BaseException:
                try:
                    conn.execute("ROLLBACK TO write_call")
                    conn.execute("RELEASE write_call")
                except sqlite3.Error:  # SQLite rolled the whole transaction back already
                    if conn.in_transaction:
                        conn.rollback()
                raise
            conn.execute("RELEASE write_call")
        if time.monotonic() - self._since >= self._batch:
            conn.commit()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- blobs ---------------------------------------------------------------------------------

    def blob_path(self, sha256: str) -> Path:
        if not _SHA256_HEX.fullmatch(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.blobs.joinpath(sha256[:2], sha256[2:4], sha256)

    def put_blob(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        path = self.blob_path(sha)
        try:
            if os.stat(path).st_size == len(data):  # one stat: stored already
                return sha
        except OSError:  # not there (or unreadable: writing it says why)
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        # write beside the target then rename: a reader never sees half a file
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def read_blob(self, sha256: str) -> bytes:
        return self.blob_path(sha256).read_bytes()

    # -- registry ------------------------------------------------------------------------------

    def upsert_agencies(self, rows: list[dict], regions: dict[str, dict] | None = None) -> int:
        """Registry rows (see archive/registry.py); `columns` is stored as a JSON list."""
        stamp = self.now()
        out = []
        for row in rows:
            if not row.get("name"):
                raise ValueError(f"registry row without a name: {row!r}")
            cols = row.get("columns") or []
            if isinstance(cols, str):
                cols = cols.split()
            out.append(
                {
                    "name": row["name"].strip(),
                    "kind": row.get("kind") or "department",
                    "region": None if row.get("region") is None else str(row["region"]),
                    "parent": row.get("parent"),
                    "portal": row.get("portal"),
                    "cms": row.get("cms"),
                    "columns": _json(list(cols)),
                    "deadline": row.get("deadline") or None,
                    "first_year": row.get("first_year"),
                    "aliases": _json(list(row.get("aliases") or [])) if row.get("aliases") else None,
                    "updated": stamp,
                }
            )
        with self.db.conn:
            self.db.table("agencies").upsert_all(out, pk="name", alter=False)
            for code, rule in (regions or {}).items():
                rule = dict(rule or {})
                self.db.table("regions").upsert(
                    {
                        "code": str(code),
                        "town_deadline": rule.pop("town_deadline", None),
                        "first_year": rule.pop("first_year", None),
                        "rules": _json(rule) if rule else None,
                    },
                    pk="code",
                )
        return len(out)

    # -- crawls and fetches ----------------------------------------------------------------------

    def start_crawl(self, kind: str = "crawl", options: dict | None = None) -> int:
        with self.db.conn:
            cur = self.db.execute(
                "INSERT INTO crawls (kind, started, options) VALUES (?, ?, ?)", [kind, self.now(), _json(options)]
            )
        crawl_id = cur.lastrowid
        if crawl_id is None:  # sqlite sets it after every INSERT
            raise RuntimeError("sqlite gave no row id for the new crawl")
        return crawl_id

    def finish_crawl(self, crawl_id: int, summary: dict) -> None:
        with self.db.conn:
            self.db.execute(
                "UPDATE crawls SET finished = ?, summary = ? WHERE id = ?", [self.now(), _json(summary), crawl_id]
            )

    def record_fetch(
        self,
        crawl_id: int | None,
        url: str,
        status: int | None,
        *,
        final_url: str | None = None,
        size: int = 0,
        elapsed: float | None = None,
        error: str | None = None,
        sha256: str | None = None,
        agency: str | None = None,
        warc: dict | None = None,
    ) -> None:
        w = warc or {}
        with self._write(statements=1):
            self.db.execute(
                "INSERT INTO fetches (crawl_id, url, final_url, status, time, size, elapsed, error, sha256,"
                " agency, warc_file, warc_offset, warc_length, warc_type)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [crawl_id, url, final_url, status, self.now(), size, elapsed, error, sha256 or w.get("sha256"), agency,
                 w.get("file"), w.get("offset"), w.get("length"), w.get("type")],
            )

    # -- WARC ------------------------------------------------------------------------------------

    def warc_payload(self, sha256: str) -> dict | None:
        """The WARC response record that holds this payload, if one was written."""
        row = self.db.execute(
            "SELECT warc_file, warc_offset, warc_length, record_id, url, date FROM warc_payloads"
            " WHERE sha256 = ?",
            [sha256],
        ).fetchone()
        if row is None:
            return None
        return dict(zip(("warc_file", "warc_offset", "warc_length", "record_id", "url", "date"), row, strict=True))

    def add_warc_payload(
        self, sha256: str, warc_file: str, offset: int, length: int, record_id: str, url: str, date: str
    ) -> None:
        with self._write(statements=1):
            self.db.execute(
                "INSERT OR IGNORE INTO warc_payloads (sha256, warc_file, warc_offset, warc_length, record_id,"
                " url, date) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [sha256, warc_file, offset, length, record_id, url, date],
            )

    # -- documents -------------------------------------------------------------------------------

    def add_document(
        self,
        data: bytes,
        *,
        url: str,
        final_url: str | None = None,
        crawl_id: int | None = None,
        agency: str | None = None,
        referer: str | None = None,
        list_title: str | None = None,
        list_date: str | None = None,
        portal_date: str | None = None,
        headers: dict | None = None,
        meta: dict | None = None,
        fetched_at: str | None = None,
        agency_override: bool = False,
    ) -> tuple[str, str]:
        """Store one document's bytes and where they were seen. Idempotent per (url, bytes).

        Returns (sha256, "new" | "changed" | "unchanged"): "changed" when this URL had other bytes
        before; both versions are kept (document_urls has one row per (url, sha256))."""
        sha = self.put_blob(data)
        seen = fetched_at or self.now()
        etag = _header(headers, "etag")
        last_modified = _header(headers, "last-modified")
        with self._write():
            prev = self.db.execute(
                "SELECT sha256 FROM document_urls WHERE url = ? ORDER BY last_seen DESC, id DESC LIMIT 1",
                [url],
            ).fetchone()
            self._record_document(sha, data, seen, url, agency, agency_override, portal_date,
                                  _http_date_iso(last_modified), list_title, crawl_id)
            existing = self.db.execute(
                "SELECT id FROM document_urls WHERE url = ? AND sha256 = ?", [url, sha]
            ).fetchone()
            if existing is None:
                self.db.execute(
                    "INSERT INTO document_urls (url, sha256, final_url, first_seen, last_seen, crawl_id,"
                    " last_crawl_id, referer, list_title, list_date, portal_date, etag, last_modified,"
                    " headers, meta, agency) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [url, sha, final_url, seen, seen, crawl_id, crawl_id, referer, list_title, list_date,
                     portal_date, etag, last_modified, _json(headers), _json(meta), agency],
                )
            else:
                self.db.execute(
                    "UPDATE document_urls SET last_seen = max(last_seen, ?),"
                    " last_crawl_id = coalesce(?, last_crawl_id), etag = coalesce(?, etag),"
                    " last_modified = coalesce(?, last_modified), portal_date = coalesce(portal_date, ?),"
                    " list_date = coalesce(list_date, ?), list_title = coalesce(list_title, ?)"
                    " WHERE id = ?",
                    [seen, crawl_id, etag, last_modified, portal_date, list_date, list_title, existing[0]],
                )
        # "new": first time at this URL (the bytes may be known from another URL)
        if prev is None:
            state = "new"
        else:
            state = "unchanged" if prev[0] == sha else "changed"
        return sha, state

    def _record_document(self, sha: str, data: bytes, seen: str, url: str, agency: str | None,
                         agency_override: bool, portal_date: str | None, last_modified: str | None,
                         list_title: str | None, crawl_id: int | None) -> None:
        """The documents row of these bytes: new, or the one known widened by what this sighting adds."""
        if self.db.execute("SELECT 1 FROM documents WHERE sha256 = ?", [sha]).fetchone() is None:
            self.db.execute(
                "INSERT INTO documents (sha256, size, type, first_seen, last_seen, url, agency,"
                " agency_override, portal_date, last_modified, list_title, crawl_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [sha, len(data), _sniff(data), seen, seen, url, agency, int(agency_override), portal_date,
                 last_modified, list_title, crawl_id],
            )
            return
        # keep the earliest first_seen, the strongest evidence already known
        self.db.execute(
            "UPDATE documents SET last_seen = max(last_seen, ?), first_seen = min(first_seen, ?),"
            " agency = CASE WHEN ? THEN ? ELSE coalesce(agency, ?) END,"
            " agency_override = max(agency_override, ?),"
            " portal_date = coalesce(portal_date, ?), last_modified = coalesce(last_modified, ?),"
            " list_title = coalesce(list_title, ?) WHERE sha256 = ?",
            [seen, seen, int(agency_override), agency, agency, int(agency_override), portal_date,
             last_modified, list_title, sha],
        )

    def mark_unchanged(self, url: str, crawl_id: int | None) -> None:
        """A 304 revalidation: the URL's latest version was seen again."""
        stamp = self.now()
        with self._write():
            row = self.db.execute(
                "SELECT id, sha256 FROM document_urls WHERE url = ? ORDER BY last_seen DESC, id DESC LIMIT 1",
                [url],
            ).fetchone()
            if row is None:
                return
            self.db.execute(
                "UPDATE document_urls SET last_seen = ?, last_crawl_id = coalesce(?, last_crawl_id)"
                " WHERE id = ?",
                [stamp, crawl_id, row[0]],
            )
            self.db.execute(
                "UPDATE documents SET last_seen = max(last_seen, ?) WHERE sha256 = ?", [stamp, row[1]]
            )

    def validators(self, url: str) -> dict:
        row = self.db.execute(
            "SELECT etag, last_modified, sha256 FROM document_urls WHERE url = ?"
            " ORDER BY last_seen DESC, id DESC LIMIT 1",
            [url],
        ).fetchone()
        if row is None:
            return {"etag": None, "last_modified": None, "sha256": None}
        return {"etag": row[0], "last_modified": row[1], "sha256": row[2]}

    def record_column_capture(
        self,
        crawl_id: int | None,
        agency: str,
        column_url: str,
        data: bytes | None,
        status: int | None,
        reports_seen: int,
        error: str | None = None,
        captured_at: str | None = None,
        column_root: str | None = None,
        declared_records: int | None = None,
        declared_pages: int | None = None,
        items_seen: int | None = None,
        pages_seen: int | None = None,
        records: list[str] | None = None,
        warc: dict | None = None,
    ) -> None:
        """The report column page as this crawl read it: the evidence a `missing` verdict rests on.

        `captured_at` (ISO 8601 UTC) defaults to now; replaying a recorded crawl sets it.
        `column_root` is the report column the page (or list API answer) belongs to; the declared
        records/pages are what the column's pages stated so far in this crawl (recordCount,
        共N条, totalRecord, countPage, 页次 1/3), items/pages_seen what the crawl had reached of it;
        `records` are short keys of the records on this page (health unions them per column)."""
        sha = self.put_blob(data) if data else None
        reached = int(error is None and status is not None and 200 <= status < 400 and data is not None)
        w = warc or {}
        with self._write(statements=1):
            self.db.execute(
                "INSERT INTO column_captures (crawl_id, agency, column_url, time, status, sha256, size,"
                " reports_seen, error, reached, column_root, declared_records, declared_pages, items_seen,"
                " pages_seen, records, warc_file, warc_offset, warc_length)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    crawl_id,
                    agency,
                    column_url,
                    captured_at or self.now(),
                    status,
                    sha,
                    len(data or b""),
                    reports_seen,
                    error,
                    reached,
                    column_root,
                    declared_records,
                    declared_pages,
                    items_seen,
                    pages_seen,
                    None if records is None else json.dumps(records),
                    w.get("file"),
                    w.get("offset"),
                    w.get("length"),
                ],
            )
