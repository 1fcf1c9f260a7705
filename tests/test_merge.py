"""`gongkai merge OUT IN...`: blobs by sha256, documents/URLs/reports by their identity, crawls,
fetches and captures re-keyed with their references; idempotent and order-independent."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archive.extractor import run_extract
from archive.merge import MergeError, merge_archives
from archive.store import Archive

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "tests" / "seeds").glob("*.txt"))[:3]
COL = "http://127.0.0.1:9/col/"


def fill(path: Path, seeds: list[Path], day: str, fail_url: str) -> None:
    """One machine's crawl: a column capture, fetches, documents; then extract."""
    with Archive(path) as arc:
        arc.upsert_agencies([{"name": "伊宁市财政局", "kind": "department", "columns": [COL]}])
        cid = arc.start_crawl(options={"machine": path.name})
        arc.record_column_capture(cid, "伊宁市财政局", COL, b"<html>list</html>", 200, len(seeds),
                                  captured_at=f"{day}T01:00:00Z")
        for s in seeds:
            url = f"http://127.0.0.1:9/{s.stem}.txt"
            data = s.read_bytes()
            arc.record_fetch(cid, url, 200, size=len(data), sha256=None)
            arc.add_document(data, url=url, crawl_id=cid, agency="伊宁市财政局", fetched_at=f"{day}T01:00:00Z",
                             headers={"Last-Modified": "Tue, 04 Feb 2025 08:00:00 GMT"})
        arc.record_fetch(cid, fail_url, None, error="timeout")
        arc.finish_crawl(cid, {"machine": path.name})
        run_extract(arc, workers=1, progress=False)


def content(path: Path) -> dict:
    """The archive as content, without rowids: what must not depend on how it was assembled."""
    with Archive(path) as arc:
        db = arc.db
        q = lambda sql: sorted(tuple(r) for r in db.execute(sql))  # noqa: E731
        return {
            "documents": q("SELECT sha256, size, first_seen, last_seen, url, agency FROM documents"),
            "urls": q("SELECT url, sha256, first_seen, last_seen FROM document_urls"),
            "crawls": q("SELECT kind, started, options FROM crawls"),
            "fetches": q("SELECT c.options, f.url, f.status, f.error FROM fetches f JOIN crawls c ON c.id = f.crawl_id"),
            "captures": q("SELECT c.options, k.agency, k.column_url, k.time, k.reports_seen, k.sha256 FROM"
                          " column_captures k JOIN crawls c ON c.id = k.crawl_id"),
            "doc_crawl": q("SELECT d.sha256, c.options FROM documents d JOIN crawls c ON c.id = d.crawl_id"),
            "reports": q("SELECT sha256, extractor_version, agency, year, parse_status, current FROM reports"),
            "requests": q("SELECT r.sha256, q.new_received_total FROM report_requests q JOIN reports r"
                          " ON r.id = q.report_id"),
            "text": q("SELECT r.sha256, length(t.text) FROM report_text t JOIN reports r ON r.id = t.report_id"),
            "checks": q("SELECT r.sha256, k.[check], k.ok FROM check_results k JOIN reports r ON r.id = k.report_id"
                        " WHERE k.scope = 'report'"),
            "blobs": sorted(p.name for p in (path / "blobs").rglob("*") if p.is_file()),
        }


@pytest.fixture(scope="module")
def machines(tmp_path_factory):
    base = tmp_path_factory.mktemp("machines")
    a, b = base / "a", base / "b"
    fill(a, SEEDS[:2], "2025-02-05", "http://127.0.0.1:9/slow-a")
    fill(b, SEEDS[1:], "2025-02-06", "http://127.0.0.1:9/slow-b")  # SEEDS[1] seen by both, a day later
    return a, b


def test_merge_without_duplicates(machines, tmp_path):
    a, b = machines
    out = tmp_path / "out"
    s = merge_archives(out, [a, b], progress=False)
    c = content(out)
    assert len(c["documents"]) == 3 and len(c["urls"]) == 3
    assert len(c["crawls"]) == 2 and len(c["fetches"]) == 6 and len(c["captures"]) == 2
    assert len({r[0] for r in c["reports"]}) == 3 and len(c["reports"]) == 3
    assert s["added"]["reports"] == 3
    # the document both machines saw: first seen by a, last seen by b, first stored by a's crawl
    shared = {r[0]: r for r in c["documents"]}
    both = [r for r in c["urls"] if r[0].endswith(SEEDS[1].stem + ".txt")]
    assert both[0][2:] == ("2025-02-05T01:00:00Z", "2025-02-06T01:00:00Z")
    sha_shared = both[0][1]
    assert shared[sha_shared][2:4] == ("2025-02-05T01:00:00Z", "2025-02-06T01:00:00Z")
    assert dict(c["doc_crawl"])[sha_shared] == json.dumps({"machine": "a"})
    # every report's numbers, text and checks came along, under the new ids
    assert len(c["text"]) == 3 and len(c["requests"]) == 3 and c["checks"]
    # blobs: each once, and the right bytes
    with Archive(out) as arc:
        for sha in c["blobs"]:
            import hashlib

            assert hashlib.sha256(arc.read_blob(sha)).hexdigest() == sha


def test_merge_is_idempotent_and_order_free(machines, tmp_path):
    a, b = machines
    one, two = tmp_path / "one", tmp_path / "two"
    merge_archives(one, [a, b], progress=False)
    first = content(one)
    s = merge_archives(one, [a, b], progress=False)
    assert not any(v for k, v in s["added"].items() if k != "skipped_tables")
    assert content(one) == first
    merge_archives(two, [b], progress=False)
    merge_archives(two, [a], progress=False)
    assert content(two) == first
    # merging a merged archive into another adds nothing new either
    merge_archives(two, [one], progress=False)
    assert content(two) == first


def test_bad_inputs_are_named(tmp_path, machines):
    with pytest.raises(MergeError, match="not a gongkai archive"):
        merge_archives(tmp_path / "out", [tmp_path], progress=False)
    a, _ = machines
    with pytest.raises(MergeError, match="cannot be the output"):
        merge_archives(a, [a], progress=False)
    # the command line: a clear message and a non-zero exit
    r = subprocess.run([sys.executable, "-c", "from gongkai.cli import main; main()", "merge",
                        str(tmp_path / "o"), str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode != 0 and "not a gongkai archive" in r.stderr
