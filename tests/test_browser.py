"""The browser (crawler/browser.py) against the sample portal on loopback, with the system's Chromium:
a county behind a script gate (412, a cookie computed by the gate's script, a reload; its list drawn
from a JSON answer by its own script; two PDFs behind the gate) and a county whose list an inline
array draws, crawled whole; the rendered pages in the archive and the WARC; without Chromium,
both columns flagged with the install step."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

import crawler.portal.server as portal_server
from archive.store import Archive
from crawler.browser import browser_settings, chromium_path, missing_message, render_list, script_drawn
from crawler.portal import gated
from crawler.runner import run_crawl
from gongkai.demo import write_registry

needs_chromium = pytest.mark.skipif(chromium_path({}) is None, reason="no Chromium on this machine")


def crawl(tmp: Path, settings: dict | None = None, twice: bool = False) -> tuple[dict, dict, Path]:
    with portal_server.start_portal() as p:
        truth = p.truth()
        reg = write_registry(truth, tmp / "registry.yaml")
        names = [n for c in truth["traps"]["browser"]["columns"] for n in c["agencies"]]
        s = run_crawl(tmp, reg, names, progress=False, today=truth["today"], settings=settings or {})
        if twice:
            s["second"] = run_crawl(tmp, reg, names, progress=False, today=truth["today"], settings=settings or {})
    assert s["reason"] == "finished"
    truth["names"] = names
    return truth, s, tmp


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    if chromium_path({}) is None:
        pytest.skip("no Chromium on this machine")
    return crawl(tmp_path_factory.mktemp("browser"), twice=True)


@pytest.fixture(scope="module")
def without(tmp_path_factory):
    return crawl(tmp_path_factory.mktemp("nobrowser"), {"GONGKAI_CHROMIUM": "/nonexistent/chromium"})


def drawn_links(html: bytes) -> int:
    """Links the page's script wrote into its list (the script's own text does not count)."""
    return len(re.findall(rb'<li><a [^>]*href="/[^"]+"', html))


def stored_urls(data: Path) -> set[str]:
    return {u for (u,) in sqlite3.connect(data / "archive.db").execute("SELECT url FROM document_urls")}


@needs_chromium
def test_gated_and_drawn_columns_are_crawled_whole(rendered) -> None:
    truth, s, data = rendered
    want = {u for r in truth["reports"] if r["agency"] in truth["names"] for u in r["urls"]}
    gate = truth["traps"]["browser"]["gate"]
    assert len(gate["attachments"]) == 2 and set(gate["attachments"]) <= want
    assert want and want <= stored_urls(data)
    assert s["reports_new"] == len([r for r in truth["reports"] if r["agency"] in truth["names"]])
    assert s["partial"] == [] and "no_browser" not in s["failures"]
    # two pages rendered (the gated column, the drawn column); articles and PDFs were plain requests
    # carrying the cookie the browser earned
    assert s["stats"]["gongkai/rendered_pages"] == 2
    db = sqlite3.connect(data / "archive.db")
    for col in truth["traps"]["browser"]["columns"]:
        items, sha = db.execute("SELECT max(items_seen), max(sha256) FROM column_captures WHERE column_root = ?",
                                [col["column"]]).fetchone()
        assert items == col["listed"], col
        # the stored capture is the rendered page: its links drawn
        assert drawn_links(Archive(data).blob_path(sha).read_bytes()) == col["listed"]
    # the gate answered 412 to the plain request and its retry; the files behind it came back 200
    rows = dict(db.execute("SELECT url, max(status) FROM fetches WHERE crawl_id = 1 GROUP BY url").fetchall())
    assert all(rows[u] == 200 for u in gate["attachments"])
    gated_col = next(c["column"] for c in truth["traps"]["browser"]["columns"] if c["gated"])
    statuses = sorted(st for (st,) in db.execute("SELECT status FROM fetches WHERE url = ? AND crawl_id = 1",
                                                   [gated_col]))
    assert statuses == [200, 412, 412]


@needs_chromium
def test_warc_records_the_rendered_page(rendered) -> None:
    truth, _, data = rendered
    files = sorted((data / "warc").glob("*.warc.gz"))
    check = subprocess.run([str(Path(sys.executable).parent / "warcio"), "check", *map(str, files)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    gated_col = next(c for c in truth["traps"]["browser"]["columns"] if c["gated"])
    bodies = []
    with open(files[0], "rb") as f:
        for rec in ArchiveIterator(f):
            if rec.rec_type == "response" and rec.rec_headers.get_header("WARC-Target-URI") == gated_col["column"]:
                bodies.append((rec.http_headers.get_statuscode(), rec.content_stream().read()))
                if rec.http_headers.get_statuscode() == "200":
                    assert rec.http_headers.get_header("X-Gongkai-Rendered") == "chromium; gate"
    final = [b for st, b in bodies if st == "200"]
    assert len(final) == 1 and drawn_links(final[0]) == gated_col["listed"]
    assert any(st == "412" and gated.GATE_COOKIE.encode() in b for st, b in bodies)


@needs_chromium
def test_second_crawl_downloads_nothing(rendered) -> None:
    s2 = rendered[1]["second"]
    assert s2["reason"] == "finished" and s2["documents_new"] == 0 and s2["reports_new"] == 0
    assert s2["partial"] == []


def test_without_chromium_both_columns_are_flagged_with_the_install_step(without) -> None:
    truth, s, data = without
    assert s["failures"]["no_browser"] == 2 and s["reports_new"] == 0
    cols = {c["column"]: c for c in truth["traps"]["browser"]["columns"]}
    drawn = next(u for u, c in cols.items() if not c["gated"])
    gated_col = next(u for u, c in cols.items() if c["gated"])
    partial = {p["column"]: p for p in s["partial"]}
    assert "apt-get install chromium" in partial[drawn]["reason"] and partial[drawn]["listed"] == 2
    errors = [e for (e,) in sqlite3.connect(data / "archive.db").execute(
        "SELECT error FROM column_captures WHERE column_url = ?", [gated_col])]
    assert errors and all("apt-get install chromium" in e and "/nonexistent/chromium" in e for e in errors)


def test_chromium_setting_and_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    assert chromium_path({"GONGKAI_CHROMIUM": "/nonexistent/chromium"}) is None
    assert chromium_path({"GONGKAI_BROWSER": False}) is None
    assert "GONGKAI_BROWSER" in missing_message({"GONGKAI_BROWSER": "off"})
    assert "apt-get install chromium" in missing_message({"GONGKAI_CHROMIUM": "/x"})
    monkeypatch.setenv("GONGKAI_CHROMIUM", "/nonexistent/chromium")  # the environment, when no setting says
    assert chromium_path({}) is None and "/nonexistent/chromium" in missing_message({})
    monkeypatch.delenv("GONGKAI_CHROMIUM")
    monkeypatch.setenv("GONGKAI_BROWSER", "false")
    assert chromium_path({}) is None and chromium_path({"GONGKAI_BROWSER": True}) in (None, shutil.which("chromium"))


def _page(body: str, meta: dict | None = None) -> HtmlResponse:
    return HtmlResponse("http://a.gov.cn/l/", body=body.encode(), encoding="utf-8",
                        request=Request("http://a.gov.cn/l/", meta=meta or {}))


def test_which_list_pages_need_their_scripts_run() -> None:
    fill = "<ul id='box'></ul><script>document.getElementById('box').innerHTML = h;</script>"
    assert script_drawn(_page(fill), 0, None, 0, 0) == "empty list #box filled by script"
    assert script_drawn(_page(fill), 0, None, 1, 0) is None  # a known list API answers for it
    assert script_drawn(_page("<ul id='box'></ul><script>var box = 1;</script>"), 0, None, 0, 0) is None
    assert script_drawn(_page("<ul id='box'><li>x</li></ul>" + fill[17:]), 0, None, 0, 0) is None
    assert script_drawn(_page("<p>共12条</p>"), 3, 12, 0, 0) == "declares 12 records, shows 3"
    assert script_drawn(_page("<p>共12条</p>"), 3, 12, 0, 3) is None  # its other pages hold the rest
    # the last page of a paginated list shows fewer than the list declares: no browser for that
    assert script_drawn(_page("<p>共12条</p>", {"page_of": "http://a.gov.cn/l/"}), 2, 12, 0, 0) is None


def test_a_list_still_empty_once_rendered_is_rendered_again_then_flagged() -> None:
    fill = "<ul id='box'></ul><script>document.getElementById('box').innerHTML = h;</script>"
    off = get_crawler(settings_dict={"GONGKAI_CHROMIUM": "/nonexistent/chromium"})
    assert "apt-get install chromium" in render_list(off, _page(fill), "why")
    if chromium_path({}) is None:
        return
    on = get_crawler(settings_dict=browser_settings({}))
    first = render_list(on, _page(fill), "why")
    assert isinstance(first, Request) and first.meta["playwright"] and first.meta["renders"] == 1
    again = render_list(on, _page(fill, {"playwright": True, "renders": 1}), "why")
    assert isinstance(again, Request) and again.meta["renders"] == 2
    assert "still empty after 2 renders" in render_list(on, _page(fill, {"playwright": True, "renders": 2}), "why")
    # rendered, with some records but fewer than declared: flagged at once, not rendered again
    assert "once rendered" in render_list(on, _page("<p>共9条</p>", {"playwright": True, "renders": 1}), "why", 3)


def test_gate_cookie_is_the_scripts_hash() -> None:
    body = gated.gate_page("0123abcd").decode()
    seed = body.split("_$s='", 1)[1].split("'", 1)[0]
    good = gated.gate_value(seed)
    assert gated.gate_ok(f"a=1; {gated.GATE_COOKIE}={good}")
    assert not gated.gate_ok(f"{gated.GATE_COOKIE}={seed}_0")
    assert not gated.gate_ok(None) and not gated.gate_ok("garbage=\x00;;")


class _FileGate(BaseHTTPRequestHandler):
    """An open list page linking a PDF straight away; the PDF behind the sample portal's gate."""

    pdf = b"%PDF-1.4\n% a report behind a gate\n"

    def log_message(self, *a: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/x/files/") and not gated.gate_ok(self.headers.get("Cookie")):
            return self._send(412, "text/html", gated.gate_page())
        if self.path == "/x/nb/":
            return self._send(200, "text/html; charset=utf-8", '<ul><li><a href="/x/files/a.pdf">测试县2024年政府信息公开'
                              '工作年度报告</a><span>2025-01-20</span></li></ul>'.encode())
        if self.path == "/x/files/a.pdf":
            return self._send(200, "application/pdf", self.pdf)
        return self._send(200 if self.path == "/robots.txt" else 404, "text/plain", b"")

    def _send(self, status: int, ctype: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@needs_chromium
def test_a_file_met_first_behind_the_gate_is_fetched_with_the_cookie_the_browser_earned(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FileGate)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        reg = tmp_path / "registry.yaml"
        reg.write_text("agencies:\n  - {name: 测试县人民政府, kind: government, region: '000001', "
                       f"portal: '{base}/x/', cms: generic, columns: ['{base}/x/nb/']}}\n", "utf-8")
        s = run_crawl(tmp_path, reg, progress=False)
    finally:
        server.shutdown()
    assert s["reason"] == "finished" and s["documents_new"] == 1
    (sha,) = sqlite3.connect(tmp_path / "archive.db").execute(
        "SELECT sha256 FROM document_urls WHERE url = ?", [base + "/x/files/a.pdf"]).fetchone()
    assert Archive(tmp_path).blob_path(sha).read_bytes() == _FileGate.pdf
