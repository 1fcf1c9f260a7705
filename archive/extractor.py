"""`gongkai extract`: stored documents → reports, incrementally and in parallel.

Only documents the current extractor version (extract.EXTRACTOR_VERSION) has not seen are
parsed. Workers (processes) only read blobs and parse; the main process writes each report in its
own transaction as soon as it arrives, so a run killed midway loses at most the documents in
flight and the next run finishes the work. A document that fails is recorded with its error
(parse_status "error") and never stops the run.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
from typing import Any

from tqdm import tqdm

from archive.columns import flatten_report
from archive.reports import organise
from archive.schema import now
from archive.similarity import numbers_signature, text_signature
from archive.store import Archive
from extract.limits import Limits, run_limited

# parse_status values, worst first
STATUSES = ("error", "not_report", "incomplete", "inconsistent", "ok")


def _text_of(doc: Any) -> str:
    """The document's text for full-text search: paragraphs, then table rows."""
    parts: list[str] = []
    for block in doc.blocks:
        if hasattr(block, "rows"):
            parts.extend(" ".join(c for c in row if c) for row in block.rows)
        else:
            parts.append(block.text)
    return "\n".join(p for p in parts if p)


def parse_blob(job: tuple[str, str, str]) -> dict[str, Any]:
    """Worker: parse one stored document. Never raises: errors come back as data."""
    sha, path, source = job
    from extract import ExtractError, parse_document, read_document
    from extract.sniff import sniff

    out: dict[str, Any] = {
        "sha256": sha,
        "result": None,
        "text": None,
        "title": None,
        "type": None,
        "error": None,
    }
    try:
        data = open(path, "rb").read()
        out["type"] = sniff(data)
        doc = read_document(data, source)
        out["title"] = doc.title
        out["text"] = _text_of(doc)
        # the narrative only: the standard form's table labels are the same in every report
        out["text_sig"] = text_signature("\n".join(b.text for b in doc.blocks if not hasattr(b, "rows")))
        out["result"] = parse_document(doc)
    except ExtractError as e:
        out["error"] = str(e)
    except OSError as e:
        out["error"] = f"{source}: cannot read the stored copy {path}: {e.strerror or e}"
    except MemoryError:
        raise  # over the worker's memory limit: extract.limits reports it
    except Exception as e:  # noqa: BLE001 - a parser bug on one document must not stop the run
        out["error"] = f"{source}: internal error in the extractor: {type(e).__name__}: {e}"
    return out


def parse_status(result: dict | None, error: str | None) -> str:
    if error or result is None:
        return "error"
    if not result.get("sections") and not result.get("requests") and result.get("year") is None:
        return "not_report"
    failed = {c["check"] for c in result.get("checks") or [] if c.get("ok") is False}
    if "completeness" in failed or len(result.get("sections") or []) < 6:
        return "incomplete"
    if failed:
        return "inconsistent"
    return "ok"


def _total(values: list | None) -> int | None:
    return values[-1] if isinstance(values, list) and values else None


def pending_documents(arc: Archive, version: str) -> list[tuple[str, str]]:
    return arc.db.execute(
        "SELECT d.sha256, coalesce(d.url, d.sha256) FROM documents d WHERE NOT EXISTS "
        "(SELECT 1 FROM reports r WHERE r.sha256 = d.sha256 AND r.extractor_version = ?) ORDER BY d.first_seen, d.sha256",
        [version],
    ).fetchall()


def store_report(arc: Archive, out: dict[str, Any], version: str) -> str:
    """Write one parse outcome (report row, numbers, text, report checks) in one transaction.
    Whose report it is, and which documents are one report, `reports.organise` decides after."""
    sha = out["sha256"]
    db = arc.db
    report = _report_row(out, version, _document_facts(arc, sha))
    result = out["result"]
    flat = flatten_report(result) if result is not None else None
    if flat is not None:
        report["numbers_sig"], report["numbers_nonzero"] = numbers_signature(
            {**flat[0], **flat[1], **flat[2]}
        )
    report["text_sig"] = out.get("text_sig")
    report["sig_done"] = 1
    with db.conn:
        # an older extractor's report of the same bytes stays (never drop data) but is no longer current
        db.execute("UPDATE reports SET current = 0, parse_current = 0 WHERE sha256 = ? AND parse_current = 1", [sha])
        rid = db.table("reports").insert(report, alter=False).last_pk
        assert rid is not None  # an insert into a rowid table always has one
        if flat is not None:
            _insert_numbers(arc, rid, report, flat, result.get("checks") or [])
        if out.get("text"):
            db.table("report_text").insert(
                {
                    "report_id": rid,
                    "agency": report["agency"],
                    "year": report["year"],
                    "title": report["title"],
                    "text": out["text"],
                }
            )
        if out.get("type"):
            db.execute(
                "UPDATE documents SET type = ? WHERE sha256 = ? AND type = 'unknown'", [out["type"], sha]
            )
    return report["parse_status"]


def _document_facts(arc: Archive, sha: str) -> dict[str, Any]:
    """What the crawl recorded of a document: its URL, the body it was found under (and whether
    that was set by hand), the portal's date and the list's title."""
    db = arc.db
    url, recorded, override, portal_date, list_title = db.execute(
        "SELECT url, agency, agency_override, portal_date, list_title FROM documents WHERE sha256 = ?", [sha]
    ).fetchone()
    if portal_date is None:  # a later URL of the same bytes may carry the portal's date
        row = db.execute(
            "SELECT portal_date FROM document_urls WHERE sha256 = ? AND portal_date IS NOT NULL "
            "ORDER BY first_seen LIMIT 1",
            [sha],
        ).fetchone()
        portal_date = row[0] if row else None
    return {"url": url, "recorded": recorded, "override": override, "portal_date": portal_date,
            "list_title": list_title}


def _report_row(out: dict[str, Any], version: str, doc: dict[str, Any]) -> dict[str, Any]:
    """The reports row of a parse outcome (its numbers' totals, its failed checks)."""
    result = out["result"]
    parsed = result or {}
    parsed_agency = parsed.get("agency")
    recorded = doc["recorded"]
    failed = [c["check"] for c in parsed.get("checks") or [] if c.get("ok") is False]
    requests = parsed.get("requests") or {}
    appeals = parsed.get("appeals") or {}
    suits = [_total(appeals.get(k)) for k in ("suit_direct", "suit_after_review")]
    return {
        "sha256": out["sha256"],
        "extractor_version": version,
        "agency": recorded if doc["override"] and recorded else parsed_agency or recorded,
        "agency_parsed": parsed_agency,
        "region": None,
        "kind": None,
        "year": parsed.get("year"),
        "format": parsed.get("format"),
        "published": parsed.get("published"),
        "portal_date": doc["portal_date"],
        "url": doc["url"],
        "title": out.get("title") or doc["list_title"],
        "parse_status": parse_status(result, out["error"]),
        "error": out["error"],
        "sections": json.dumps(parsed.get("sections") or []),
        "checks_failed": json.dumps(failed, ensure_ascii=False) if failed else None,
        "requests_received": _total(requests.get("new_received")),
        "requests_processed": _total(requests.get("total_processed")),
        "requests_carried_out": _total(requests.get("carried_over_out")),
        "appeals_review": _total(appeals.get("review")),
        "appeals_suits": None if all(s is None for s in suits) else sum(s or 0 for s in suits),
        "cells": json.dumps(parsed.get("cells") or {}, ensure_ascii=False) if result else None,
        "extracted": now(),
        "current": 1,
        "parse_current": 1,
    }


def _insert_numbers(arc: Archive, rid: int, report: dict, flat: tuple, checks: list[dict]) -> None:
    """A report's three tables of numbers and its checks' results."""
    db = arc.db
    req, act, app = flat
    db.table("report_requests").insert({"report_id": rid, **req})
    db.table("report_active").insert({"report_id": rid, **act})
    db.table("report_appeals").insert({"report_id": rid, **app})
    db.table("check_results").insert_all(
        [
            {
                "report_id": rid,
                "agency": report["agency"],
                "year": report["year"],
                "scope": "report",
                "check": c.get("check"),
                "ok": None if c.get("ok") is None else int(bool(c["ok"])),
                "detail": c.get("detail"),
            }
            for c in checks
        ]
    )


def _run_pool(jobs: list[tuple[str, str, str]], workers: int, handle, limits: Limits) -> None:
    """Parse in worker processes under the time and memory limits (extract.limits); a document
    that exceeds them, or whose worker dies, comes back as an error naming the limit."""

    def done(job: tuple[str, str, str], out: dict | None, error: str | None) -> None:
        if out is None:
            out = {"sha256": job[0], "result": None, "text": None, "title": None, "type": None,
                   "error": f"{job[2]}: {error}"}
        handle(out)

    run_limited("archive.extractor:parse_blob", jobs, workers, limits, done)


def run_extract(arc: Archive, workers: int = 0, progress: bool = True, limit: int | None = None,
                limits: Limits | None = None) -> dict:
    from extract import EXTRACTOR_VERSION

    todo = pending_documents(arc, EXTRACTOR_VERSION)
    if limit is not None:
        todo = todo[:limit]
    jobs = [(sha, str(arc.blob_path(sha)), src) for sha, src in todo]
    counts = {s: 0 for s in STATUSES}
    errors: list[dict] = []
    bar = tqdm(total=len(jobs), desc="extract", unit="doc", file=sys.stderr, disable=not progress)
    workers = workers or min(4, multiprocessing.cpu_count())

    def handle(out: dict) -> None:
        status = store_report(arc, out, EXTRACTOR_VERSION)
        counts[status] += 1
        if out["error"]:
            errors.append({"sha256": out["sha256"], "error": out["error"]})
        bar.update(1)

    _run_pool(jobs, workers, handle, limits or Limits.resolve())
    bar.close()
    organised = organise(arc)
    return {
        "extractor_version": EXTRACTOR_VERSION,
        "reports": organised["reports"],
        "documents": len(jobs),
        "statuses": counts,
        "errors": errors,
    }
