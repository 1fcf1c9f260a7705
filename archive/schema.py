"""The archive's SQLite schema and its forward migrations (sqlite-utils).

A migration is a function that takes the database to the next schema version. Migrations only
ever add (tables, columns, indexes); they never drop user data. The applied versions are kept in
`_migrations`, so opening an archive written by an older gongkai brings it up to date and opening
it twice does nothing.

Tables (Chinese labels and descriptions live in archive/metadata.py):

- agencies        the registry: bodies to watch (name, kind, region, parent, portal, columns, deadline)
- regions         per-region local rules (town_deadline, first_year)
- crawls          one row per crawl / ingest run
- fetches         every HTTP fetch of a crawl: URL, status, time, bytes, error
- documents       stored documents by sha256: size, type, first/last seen, portal date, the crawler's agency
- document_urls   every (URL, sha256) pair seen: the versions of one URL are kept
- column_captures the report column pages as a crawl read them: the evidence of `missing`
- reports         one per document and extractor version: agency, year, format, dates, parse status;
                  `current` = 1 on the one document that is a body's report on a year (archive/reports.py)
- unregistered_bodies  bodies whose reports were found but the registry does not hold
- report_dates    the dates of a report's document apart from its text: first seen, Last-Modified, list date, URL date
- report_requests / report_active / report_appeals   the numbers, one row per report, typed columns
- report_text     the report's text (FTS5 trigram index report_text_fts, bigram index report_text_grams)
- warc_payloads   sha256 → the WARC response record holding that payload (archive/warc.py)
- check_results   failed and passed checks, per report and across reports
- compliance      verdicts: agency × year
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import sqlite_utils

from archive.columns import (
    ACTIVE_2019_COLUMNS,
    ACTIVE_2021_COLUMNS,
    APPEAL_COLUMN_NAMES,
    REQUEST_COLUMN_NAMES,
)


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def clock_at(day: str) -> Callable[[], str]:
    """A clock stopped at noon UTC of `day` (YYYY-MM-DD): the archive's stamps for a crawl of the sample
    portal, which lives on another date than the wall clock (a capture stamped with the real date would
    lie after any `--as-of`)."""
    stamp = f"{date.fromisoformat(day).isoformat()}T12:00:00Z"
    return lambda: stamp


def _v1(db: sqlite_utils.Database) -> None:
    """The first schema, table group by table group."""
    _v1_registry(db)
    _v1_crawls(db)
    _v1_documents(db)
    _v1_reports(db)
    _v1_text(db)
    _v1_verdicts(db)


def _v1_registry(db: sqlite_utils.Database) -> None:
    # the registry of bodies and the regions' local rules
    db.table("agencies").create(
        {
            "name": str,
            "kind": str,
            "region": str,
            "parent": str,
            "portal": str,
            "cms": str,
            "columns": str,
            "deadline": str,
            "first_year": int,
            "updated": str,
        },
        pk="name",
        not_null={"name"},
        if_not_exists=True,
    )
    db.table("regions").create(
        {"code": str, "town_deadline": str, "first_year": int, "rules": str}, pk="code", if_not_exists=True
    )


def _v1_crawls(db: sqlite_utils.Database) -> None:
    # crawls and every fetch of a crawl
    db.table("crawls").create(
        {"id": int, "kind": str, "started": str, "finished": str, "options": str, "summary": str},
        pk="id",
        if_not_exists=True,
    )
    db.table("fetches").create(
        {
            "id": int,
            "crawl_id": int,
            "url": str,
            "final_url": str,
            "status": int,
            "time": str,
            "size": int,
            "elapsed": float,
            "error": str,
            "sha256": str,
            "agency": str,
        },
        pk="id",
        foreign_keys=[("crawl_id", "crawls", "id")],
        if_not_exists=True,
    )
    db.table("fetches").create_index(["crawl_id"], if_not_exists=True)
    db.table("fetches").create_index(["url"], if_not_exists=True)


def _v1_documents(db: sqlite_utils.Database) -> None:
    # the documents stored by sha256, the URLs they were found at, the report column pages read
    db.table("documents").create(
        {
            "sha256": str,
            "size": int,
            "type": str,
            "first_seen": str,
            "last_seen": str,
            "url": str,  # the first URL it was seen at (all of them: document_urls)
            "agency": str,  # the agency the crawler (or `ingest --agency`) recorded
            "agency_override": int,  # 1: `agency` wins over the parsed name (ingest --agency)
            "portal_date": str,
            "last_modified": str,
            "list_title": str,
            "crawl_id": int,  # the crawl that first stored it (null: ingested)
        },
        pk="sha256",
        foreign_keys=[("crawl_id", "crawls", "id")],
        if_not_exists=True,
    )
    db.table("document_urls").create(
        {
            "id": int,
            "url": str,
            "sha256": str,
            "final_url": str,
            "first_seen": str,
            "last_seen": str,
            "crawl_id": int,
            "last_crawl_id": int,
            "referer": str,
            "list_title": str,
            "list_date": str,
            "portal_date": str,
            "etag": str,
            "last_modified": str,
            "headers": str,
            "meta": str,
            "agency": str,
        },
        pk="id",
        foreign_keys=[("sha256", "documents", "sha256"), ("crawl_id", "crawls", "id")],
        if_not_exists=True,
    )
    db.table("document_urls").create_index(["url", "sha256"], unique=True, if_not_exists=True)
    db.table("document_urls").create_index(["sha256"], if_not_exists=True)
    db.table("column_captures").create(
        {
            "id": int,
            "crawl_id": int,
            "agency": str,
            "column_url": str,
            "time": str,
            "status": int,
            "sha256": str,
            "size": int,
            "reports_seen": int,
            "error": str,
            "reached": int,
        },
        pk="id",
        foreign_keys=[("crawl_id", "crawls", "id")],
        if_not_exists=True,
    )
    db.table("column_captures").create_index(["agency", "time"], if_not_exists=True)


def _v1_reports(db: sqlite_utils.Database) -> None:
    # the reports and their numbers, one row per report in each table
    db.table("reports").create(
        {
            "id": int,
            "sha256": str,
            "extractor_version": str,
            "agency": str,
            "agency_parsed": str,
            "region": str,
            "kind": str,
            "year": int,
            "format": str,
            "published": str,
            "portal_date": str,
            "url": str,
            "title": str,
            "parse_status": str,
            "error": str,
            "sections": str,
            "checks_failed": str,
            "requests_received": int,
            "requests_processed": int,
            "requests_carried_out": int,
            "appeals_review": int,
            "appeals_suits": int,
            "cells": str,
            "extracted": str,
        },
        pk="id",
        foreign_keys=[("sha256", "documents", "sha256")],
        if_not_exists=True,
    )
    db.table("reports").create_index(["sha256", "extractor_version"], unique=True, if_not_exists=True)
    db.table("reports").create_index(["agency", "year"], if_not_exists=True)
    db.table("report_requests").create(
        {"report_id": int, **{c: int for c in REQUEST_COLUMN_NAMES}},
        pk="report_id",
        foreign_keys=[("report_id", "reports", "id")],
        if_not_exists=True,
    )
    db.table("report_active").create(
        {
            "report_id": int,
            **{
                c: (float if c.endswith(("_wan", "_yuan")) else int)
                for c in ACTIVE_2021_COLUMNS + ACTIVE_2019_COLUMNS
            },
        },
        pk="report_id",
        foreign_keys=[("report_id", "reports", "id")],
        if_not_exists=True,
    )
    db.table("report_appeals").create(
        {"report_id": int, **{c: int for c in APPEAL_COLUMN_NAMES}},
        pk="report_id",
        foreign_keys=[("report_id", "reports", "id")],
        if_not_exists=True,
    )


def _v1_text(db: sqlite_utils.Database) -> None:
    # the reports' text and its full-text index, kept in step by triggers
    db.table("report_text").create(
        {"report_id": int, "agency": str, "year": int, "title": str, "text": str},
        pk="report_id",
        foreign_keys=[("report_id", "reports", "id")],
        if_not_exists=True,
    )
    # Trigram FTS5: Chinese has no spaces, trigrams match any 3+ character substring; shorter
    # queries fall back to LIKE (see the `search` canned query).
    db.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS report_text_fts USING fts5(agency, title, text, "
        "content='report_text', content_rowid='report_id', tokenize='trigram')"
    )
    for op, body in (
        (
            "AFTER INSERT",
            "INSERT INTO report_text_fts(rowid, agency, title, text) "
            "VALUES (new.report_id, new.agency, new.title, new.text);",
        ),
        (
            "AFTER DELETE",
            "INSERT INTO report_text_fts(report_text_fts, rowid, agency, title, text) "
            "VALUES ('delete', old.report_id, old.agency, old.title, old.text);",
        ),
        (
            "AFTER UPDATE",
            "INSERT INTO report_text_fts(report_text_fts, rowid, agency, title, text) "
            "VALUES ('delete', old.report_id, old.agency, old.title, old.text); "
            "INSERT INTO report_text_fts(rowid, agency, title, text) "
            "VALUES (new.report_id, new.agency, new.title, new.text);",
        ),
    ):
        name = "report_text_" + op.split()[1].lower()
        db.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {op} ON report_text BEGIN {body} END")


def _v1_verdicts(db: sqlite_utils.Database) -> None:
    # the checks' results and the verdicts
    db.table("check_results").create(
        {
            "id": int,
            "report_id": int,
            "agency": str,
            "year": int,
            "scope": str,
            "check": str,
            "ok": int,
            "detail": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db.table("check_results").create_index(["report_id"], if_not_exists=True)
    db.table("check_results").create_index(["agency", "year"], if_not_exists=True)
    db.table("compliance").create(
        {
            "agency": str,
            "year": int,
            "region": str,
            "kind": str,
            "parent": str,
            "status": str,
            "due": str,
            "published": str,
            "published_source": str,
            "days_late": int,
            "flags": str,
            "report_id": int,
            "url": str,
            "sha256": str,
            "evidence": str,
            "as_of": str,
        },
        pk=("agency", "year"),
        if_not_exists=True,
    )
    db.table("compliance").create_index(["status"], if_not_exists=True)


def _v2(db: sqlite_utils.Database) -> None:
    # reports.current: the report of each document by the newest extractor that read it (older
    # extractors' reports are kept, never dropped)
    if "current" not in db["reports"].columns_dict:
        db.table("reports").add_column("current", int)
        db.execute("UPDATE reports SET current = 1 WHERE id IN (SELECT max(id) FROM reports GROUP BY sha256)")
    db.table("reports").create_index(["current", "agency", "year"], if_not_exists=True)


def _v3(db: sqlite_utils.Database) -> None:
    # covering indexes for the dashboard's group-bys over compliance (100,000s of rows)
    db.table("compliance").create_index(["year", "kind", "status"], if_not_exists=True)
    db.table("compliance").create_index(["region", "status"], if_not_exists=True)
    db.table("check_results").create_index(["ok", "scope", "check"], if_not_exists=True)


def _v4(db: sqlite_utils.Database) -> None:
    # copy-paste fingerprints (archive/similarity.py); null = not computed yet (check fills them)
    cols = db["reports"].columns_dict
    for name, typ in (("numbers_sig", str), ("numbers_nonzero", int), ("text_sig", str), ("sig_done", int)):
        if name not in cols:
            db.table("reports").add_column(name, typ)


def _v5(db: sqlite_utils.Database) -> None:
    # aggregates written by `gongkai check` so the dashboard never scans 100,000s of rows
    db.table("compliance_summary").create(
        {"year": int, "kind": str, "region": str, "status": str, "n": int},
        pk=("year", "kind", "region", "status"),
        if_not_exists=True,
    )
    db.table("report_summary").create(
        {"year": int, "kind": str, "region": str, "reports": int, "requests_received": int},
        pk=("year", "kind", "region"),
        if_not_exists=True,
    )
    db.table("check_summary").create(
        {"check": str, "scope": str, "n": int}, pk=("check", "scope"), if_not_exists=True
    )
    db.table("compliance").create_index(["status", "year"], if_not_exists=True)


def _v6(db: sqlite_utils.Database) -> None:
    # small key/value state (e.g. what the last agency matching was done against)
    db.table("_state").create({"key": str, "value": str}, pk="key", if_not_exists=True)


def _v7(db: sqlite_utils.Database) -> None:
    # the dashboard's and the 逾期公开 query's "worst first" lists read these indexes instead of sorting
    db.table("compliance").create_index(["status", "year", "days_late"], if_not_exists=True)
    db.table("compliance").create_index(["status", "days_late"], if_not_exists=True)


def _v8(db: sqlite_utils.Database) -> None:
    # the reports table's facets (year, parse status, level, region) group by these
    for col in ("year", "parse_status", "kind", "region"):
        db.table("reports").create_index([col], if_not_exists=True)


def _v9(db: sqlite_utils.Database) -> None:
    # one- and two-character search (伊宁, 公开): a bigram index kept with report_text (archive/search.py)
    from archive.search import create_gram_index

    create_gram_index(db)


def _v10(db: sqlite_utils.Database) -> None:
    # what a list page declares (recordCount, 共N条, countPage …) against what the crawl
    # reached of its column, so that a column only half seen is `partial`, not complete
    cols = db["column_captures"].columns_dict
    for name, typ in (("column_root", str), ("declared_records", int), ("declared_pages", int),
                      ("items_seen", int), ("pages_seen", int), ("records", str)):
        if name not in cols:
            db.table("column_captures").add_column(name, typ)
    db.table("column_captures").create_index(["agency", "crawl_id", "column_root"], if_not_exists=True)


def _v11(db: sqlite_utils.Database) -> None:
    # WARC captures (archive/warc.py): where each fetch's and capture's record lies, and which
    # record holds each payload (sha256, the blob's name) so that a payload is written only once
    for table in ("fetches", "column_captures"):
        cols = db[table].columns_dict
        for name, typ in (("warc_file", str), ("warc_offset", int), ("warc_length", int)):
            if name not in cols:
                db.table(table).add_column(name, typ)
    if "warc_type" not in db["fetches"].columns_dict:
        db.table("fetches").add_column("warc_type", str)
    db.table("fetches").create_index(["sha256"], if_not_exists=True)
    # /-/gongkai/warc/<file>?offset=N serves only records the archive names: found by these
    for table in ("fetches", "column_captures"):
        db.table(table).create_index(["warc_file", "warc_offset"], if_not_exists=True)
    db.table("warc_payloads").create(
        {
            "sha256": str,
            "warc_file": str,
            "warc_offset": int,
            "warc_length": int,
            "record_id": str,
            "url": str,
            "date": str,
        },
        pk="sha256",
        if_not_exists=True,
    )
    db.table("warc_payloads").create_index(["warc_file", "warc_offset"], if_not_exists=True)
    if "warc" not in db["compliance"].columns_dict:
        db.table("compliance").add_column("warc", str)  # a `missing` verdict's capture: "<file>:<offset>"


def _v12(db: sqlite_utils.Database) -> None:
    # one report per body and year (archive/reports.py): `parse_current` marks the newest extractor's
    # parse of each document; `current` now marks the one document per report (its `role` 'report');
    # how the body was decided, whether the registry holds it, and the bodies it does not hold
    cols = db["reports"].columns_dict
    for name, typ in (("parse_current", int), ("role", str), ("report_version", int), ("report_of", int),
                      ("attribution", str), ("registered", int)):
        if name not in cols:
            db.table("reports").add_column(name, typ)
    db.execute("UPDATE reports SET parse_current = current WHERE parse_current IS NULL")
    db.table("reports").create_index(["parse_current"], if_not_exists=True)
    db.table("reports").create_index(["report_of"], if_not_exists=True)
    if "aliases" not in db["agencies"].columns_dict:
        db.table("agencies").add_column("aliases", str)  # other names the body's reports print (JSON list)
    db.table("unregistered_bodies").create(
        {
            "name": str,
            "kind": str,
            "parent": str,
            "region": str,
            "portal": str,
            "columns": str,
            "years": str,
            "documents": int,
            "first_seen": str,
            "evidence": str,
        },
        pk="name",
        if_not_exists=True,
    )


def _v13(db: sqlite_utils.Database) -> None:
    # two verdict indexes that are prefixes of (status, year, days_late): every query they served is
    # served by it, and each index costs every verdict written
    db.execute("DROP INDEX IF EXISTS idx_compliance_status")
    db.execute("DROP INDEX IF EXISTS idx_compliance_status_year")


def _v14(db: sqlite_utils.Database) -> None:
    # the dates each current parse's document has apart from its text (from its documents row, the
    # earliest list date and the URL date of its URL rows), gathered by `organise` (archive/reports.py)
    # where `check` read the documents and every URL row of every report again
    db.table("report_dates").create({"report_id": int, "first_seen": str, "last_modified": str, "crawl_id": int,
                                     "list_date": str, "url_date": str}, pk="report_id", if_not_exists=True)
    # organise again whenever what it reads changes, in place too (an older capture replayed fills
    # in a list date): every change to those columns counts in _state 'evidence'
    bump = "BEGIN INSERT INTO _state (key, value) VALUES ('evidence', 1) ON CONFLICT (key) DO UPDATE SET value = value + 1; END"
    for table, cols in ORGANISE_READS.items():
        changed = " OR ".join(f"OLD.[{c}] IS NOT NEW.[{c}]" for c in cols)
        db.execute(f"CREATE TRIGGER IF NOT EXISTS {table}_inserted AFTER INSERT ON {table} {bump}")
        db.execute(f"CREATE TRIGGER IF NOT EXISTS {table}_deleted AFTER DELETE ON {table} {bump}")
        db.execute(f"CREATE TRIGGER IF NOT EXISTS {table}_changed AFTER UPDATE OF {', '.join(cols)} ON {table}"
                   f" WHEN {changed} {bump}")
    db.execute("DELETE FROM _state WHERE key = 'organise'")  # organise again, to fill report_dates


# the columns of the documents and their URL rows that organise (archive/reports.py) reads
ORGANISE_READS = {
    "documents": ("sha256", "agency", "agency_override", "list_title", "first_seen", "last_modified", "crawl_id"),
    "document_urls": ("sha256", "url", "list_title", "list_date", "meta", "agency"),
}


MIGRATIONS: list[tuple[int, str, Callable[[sqlite_utils.Database], None]]] = [
    (1, "initial schema", _v1),
    (2, "reports.current", _v2),
    (3, "dashboard indexes", _v3),
    (4, "copy-paste fingerprints", _v4),
    (5, "dashboard summaries", _v5),
    (6, "state", _v6),
    (7, "worst-first indexes", _v7),
    (8, "report facet indexes", _v8),
    (9, "short-query search index", _v9),
    (10, "declared list counts on column captures", _v10),
    (11, "WARC records", _v11),
    (12, "one report per body and year", _v12),
    (13, "no verdict index that another's prefix covers", _v13),
    (14, "report dates from the URL rows", _v14),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def migrate(db: sqlite_utils.Database) -> None:
    """Apply every migration not yet applied."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY, name TEXT, applied TEXT)"
    )
    done = {row[0] for row in db.execute("SELECT version FROM _migrations").fetchall()}
    for version, name, step in MIGRATIONS:
        if version in done:
            continue
        # Each step is written to be re-runnable (IF NOT EXISTS / column checks): a migration
        # interrupted midway is simply applied again on the next open.
        step(db)
        with db.conn:
            db.execute("INSERT INTO _migrations VALUES (?, ?, ?)", [version, name, now()])
