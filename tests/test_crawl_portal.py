"""The crawler against the sample portal: everything in the truth file is found, nothing else is
stored as a report, re-crawls download nothing again, edits become versions, faults are survived,
and a crawl killed with SIGKILL resumes to the same archive."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from servers import held_after, wait_count

import crawler.portal.server as portal_server
from crawler.runner import prepare_crawl, run_crawl, summary_path
from gongkai.demo import write_registry


def stored(data: Path) -> dict[str, tuple[str, str | None]]:
    """url -> (sha256, final_url) of every stored document version (latest per URL)."""
    db = sqlite3.connect(data / "archive.db")
    rows = db.execute("SELECT url, sha256, final_url FROM document_urls ORDER BY id").fetchall()
    return {u: (sha, final) for u, sha, final in rows}


def paths(urls: object) -> set[str]:
    return {urlsplit(u).path for u in urls}  # type: ignore[attr-defined]


def check_complete(truth: dict, data: Path) -> None:
    docs = stored(data)
    seen = set(docs) | {f for _, f in docs.values() if f}
    want = {u for r in truth["reports"] for u in r["urls"]}
    assert want - seen == set(), "reports not found"
    look = {lk["url"] for lk in truth["lookalikes"]}
    assert look & seen == set(), "look-alikes stored"
    allowed = want | {c["from"] for c in truth["traps"]["redirect_chains"]}
    assert set(docs) - allowed == set(), "stored documents that are not reports"


@pytest.fixture(scope="module")
def portal():
    p = portal_server.start_portal(slow_delay=0.2)
    yield p
    p.stop()


@pytest.fixture(scope="module")
def crawled(portal, tmp_path_factory):
    data = tmp_path_factory.mktemp("crawl")
    truth = portal.truth()
    reg = write_registry(truth, data / "registry.yaml")
    summary = run_crawl(data, reg, progress=False, today=truth["today"])
    return truth, reg, data, summary


def test_finds_every_report_and_nothing_else(crawled) -> None:
    truth, _reg, data, s = crawled
    assert s["reason"] == "finished"
    check_complete(truth, data)
    db = sqlite3.connect(data / "archive.db")
    # no document stored twice: one version per URL, and one blob row per sha256
    assert db.execute("SELECT count(*) FROM (SELECT url FROM document_urls GROUP BY url HAVING count(*) > 1)"
                      ).fetchone()[0] == 0
    assert s["reports_new"] == len(truth["reports"])
    login = truth["traps"]["login_protected_columns"]
    unreachable = sorted(a["name"] for a in truth["agencies"] if set(a["columns"]) & set(login))
    assert s["unreachable"] == unreachable and s["agencies"] == len(truth["agencies"]) - len(unreachable)
    # provenance: the report page knows its list page, list title and the portal's own date
    for r in truth["reports"][:20]:
        row = db.execute("SELECT referer, list_title, portal_date, agency FROM document_urls WHERE url = ? OR "
                         "final_url = ?", [r["article_url"], r["article_url"]]).fetchone()
        assert row[0] and row[1] and row[3] == r["agency"], r["article_url"]
        assert row[2] == r["portal_date"], r["article_url"]
    # every column read is kept as evidence; robots.txt was obeyed
    assert db.execute("SELECT count(*) FROM column_captures WHERE reached = 1").fetchone()[0] >= len(truth["agencies"]) - 1
    fetched = {u for (u,) in db.execute("SELECT url FROM fetches")}
    assert not any(urlsplit(u).path.startswith(("/yining/search/", "/yining/member/")) for u in fetched)
    assert any(u.endswith("/robots.txt") for u in fetched)
    # the crawl ran on the portal's day: rows and WARC records carry it, not the wall clock's
    stamp = f"{truth['today']}T12:00:00Z"
    assert {t for (t,) in db.execute("SELECT time FROM fetches")} == {stamp}
    assert db.execute("SELECT started, finished FROM crawls").fetchone() == (stamp, stamp)
    from warcio.archiveiterator import ArchiveIterator

    with open(data / "warc" / s["warc"]["file"], "rb") as f:
        assert {r.rec_headers.get_header("WARC-Date") for r in ArchiveIterator(f)} == {stamp}


def test_second_crawl_only_revalidates(crawled) -> None:
    truth, reg, data, s1 = crawled
    s2 = run_crawl(data, reg, progress=False, today=truth["today"])
    assert s2["documents_new"] == 0 and s2["reports_new"] == 0 and s2["reports_changed"] == 0
    assert s2["reports_unchanged"] == len(truth["reports"])
    db = sqlite3.connect(data / "archive.db")
    docs = paths(stored(data))
    statuses = db.execute("SELECT url, status FROM fetches WHERE crawl_id = ?", [s2["crawl_id"]]).fetchall()
    downloaded = [u for u, st in statuses if st == 200 and urlsplit(u).path in docs]
    assert downloaded == [], "documents downloaded again"
    assert sum(1 for u, st in statuses if st == 304) >= len(truth["reports"])


def test_faults_are_survived(tmp_path: Path) -> None:
    with portal_server.start_portal(faults=0.1, fault_timeout=0.3, slow_delay=0.2) as p:
        truth = p.truth()
        reg = write_registry(truth, tmp_path / "registry.yaml")
        s = run_crawl(tmp_path, reg, progress=False, today=truth["today"], settings={"DOWNLOAD_TIMEOUT": 2})
    assert s["reason"] == "finished"
    check_complete(truth, tmp_path)
    assert sum(s["failures"].values()) > 0 or s["stats"].get("retry/count", 0) > 0


def test_edit_becomes_a_version_and_backdating_is_flagged(tmp_path: Path) -> None:
    from datetime import date

    from archive.calendar import run_check
    from archive.extractor import run_extract
    from archive.store import Archive

    # only the bodies concerned, so that extracting stays quick
    bodies = ["伊宁市英也尔镇人民政府", "伊宁市市场监督管理局"]
    with portal_server.start_portal(today="2025-02-01") as p1:
        port = p1.port
        reg = write_registry(p1.truth(), tmp_path / "registry.yaml")
        run_crawl(tmp_path, reg, bodies, progress=False, today="2025-02-01")
    with portal_server.start_portal(port=port, today="2025-03-25") as p2:
        truth = p2.truth()
        s = run_crawl(tmp_path, reg, bodies, progress=False, today="2025-03-25")
    truth["reports"] = [r for r in truth["reports"] if r["agency"] in bodies]
    truth["traps"]["redirect_chains"] = []
    check_complete(truth, tmp_path)
    edited = [e for e in truth["edited"] if e["edited_as_of_today"]]
    assert edited and s["reports_changed"] == len(edited) and s["documents_new"] >= 1
    db = sqlite3.connect(tmp_path / "archive.db")
    for e in edited:
        assert db.execute("SELECT count(DISTINCT sha256) FROM document_urls WHERE url = ?", [e["url"]]).fetchone()[0] == 2
    with Archive(tmp_path) as arc:
        run_extract(arc, progress=False)
        run_check(arc, date(2025, 3, 25), progress=False)
        flags = {(r["agency"], r["year"]): r["flags"] for r in arc.db["compliance"].rows}
    for b in truth["backdated"]:
        assert "backdated?" in (flags.get((b["agency"], b["year"])) or ""), b


def test_killed_crawl_resumes_to_the_same_archive(crawled, portal, tmp_path: Path) -> None:
    truth, reg, ref_data, _ = crawled
    docs = {urlsplit(u).path for r in truth["reports"] for u in r["urls"]}
    # the portal holds every request after 40 documents: the crawl cannot finish before the kill
    # (its download timeout outlasts the hold)
    cmd = prepare_crawl(tmp_path, reg, progress=False, today=truth["today"], settings={"DOWNLOAD_TIMEOUT": 600})
    db_path = tmp_path / "archive.db"
    with held_after(portal, 40, counts=docs.__contains__) as held:
        proc = subprocess.Popen(cmd, start_new_session=True, stdin=subprocess.DEVNULL)
        assert held.wait(120), "the crawl never reached its 41st document"
        # what was answered reaches the archive (polled every 0.1 s)
        n = wait_count(db_path, "SELECT count(*) FROM document_urls", 20, poll=0.1)
        assert n >= 20 and proc.poll() is None, (n, proc.poll())
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not summary_path(cmd).exists()
    s = run_crawl(tmp_path, reg, progress=False, today=truth["today"])
    assert s["reason"] == "finished" and s["resumed"]
    a, b = stored(ref_data), stored(tmp_path)
    assert {urlsplit(u).path: sha for u, (sha, _) in a.items()} == {urlsplit(u).path: sha for u, (sha, _) in b.items()}
    assert s["reports_new"] == len(truth["reports"])  # the resumed crawl counts what the killed one stored
    db = sqlite3.connect(db_path)
    assert db.execute("SELECT count(*) FROM crawls").fetchone()[0] == 1  # one crawl, resumed
    assert json.loads(db.execute("SELECT summary FROM crawls").fetchone()[0])["resumed"] is True
