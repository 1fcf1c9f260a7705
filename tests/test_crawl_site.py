"""End to end on a small hand-made site served on loopback: discovery, pagination, attachments,
WAF answers, redirects, off-site links, incremental re-crawls and an edited document.

The sample portal (tests/test_crawl_portal.py) is the big test; this one pins single behaviours
with a site small enough to reason about request by request."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from crawler.runner import run_crawl

LIST1 = """<html><head><meta charset="utf-8"></head><body><ul>
<li><a href="202501/a.shtml" title="测试市人民政府2024年政府信息公开工作年度报告">测试市人民政府2024年政府信息公开…</a>
<span>2025-01-20</span></li>
<li><a href="202501/b.shtml">测试市2024年法治政府建设年度报告</a><span>2025-03-20</span></li>
<li><a href="/old/c.shtml">测试市公安局2024年政府信息公开工作年度报告</a><span>2025-01-15</span></li>
<li><a href="http://evil.example.com/x.pdf">测试市教育局2024年政府信息公开工作年度报告</a><span>2025-01-16</span></li>
</ul><script>createPageHTML(2, 0, "index", "html");</script></body></html>"""
LIST2 = """<html><head><meta charset="utf-8"></head><body><ul>
<li><a href="javascript:;" onclick="window.open('202401/d.shtml')">测试市公安局2023年政府信息公开工作年度报告</a>
<span>2024-01-15</span></li>
<li><a href="202401/gone.shtml">测试市人民政府2023年政府信息公开工作年度报告</a><span>2024-03-01</span></li>
</ul></body></html>"""
ARTICLE_A = """<html><head><meta charset="utf-8"><meta name="PubDate" content="2025-01-20 10:00"></head><body>
<h1>测试市人民政府2024年政府信息公开工作年度报告</h1>
<table><tr><th>发布机构：</th><td>测试市人民政府</td></tr><tr><th>发布日期：</th><td>2025-01-20</td></tr></table>
<a href="../files/a.pdf">附件</a><iframe src="/pdfjs/web/viewer.html?file=%2Fgov%2Fc100%2Ffiles%2Fv.pdf"></iframe>
</body></html>"""
ARTICLE_C = """<html><head><meta charset="utf-8"></head><body><h1>公安局</h1><p>日期：2025-01-15</p>
<p>正文：测试市公安局2024年政府信息公开工作年度报告全文。</p></body></html>"""
ARTICLE_D = """<html><head><meta charset="utf-8"></head><body><h1>公安局2023</h1>
<a href="#" onclick="openFile('/gov/c100/files/d.docx')">下载附件</a></body></html>"""


class Site:
    """Pages by path; a WAF that answers 521 to the first request of some paths; counters."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, bytes]] = {
            "/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /private/\n"),
            "/gov/": ("text/html", '<a href="/gov/xxgk/">政府信息公开</a>'.encode()),
            "/gov/xxgk/": ("text/html", '<a href="/gov/c100/">政府信息公开年报</a>'.encode()),
            "/gov/c100/": ("text/html", LIST1.encode()),
            "/gov/c100/index_1.html": ("text/html", LIST2.encode()),
            "/gov/c100/202501/a.shtml": ("text/html", ARTICLE_A.encode()),
            "/gov/c100/202501/b.shtml": ("text/html", b"<html>rule of law</html>"),
            "/gov/c100/202501/c.shtml": ("text/html", ARTICLE_C.encode()),
            "/gov/c100/202401/d.shtml": ("text/html", ARTICLE_D.encode()),
            "/gov/c100/files/a.pdf": ("application/pdf", b"%PDF-1.4 report a"),
            "/gov/c100/files/v.pdf": ("application/pdf", b"%PDF-1.4 report v"),
            "/gov/c100/files/d.docx": ("application/octet-stream", b"PK\x03\x04 docx d"),
        }
        self.redirects = {"/old/c.shtml": "/gov/c100/202501/c.shtml"}
        self.waf_once = {"/gov/c100/202501/c.shtml", "/gov/c100/files/a.pdf"}
        self.hits: dict[str, int] = {}
        self.full: dict[str, int] = {}  # 200 answers with a body
        self.lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = self.path
                with site.lock:
                    site.hits[path] = n = site.hits.get(path, 0) + 1
                if path in site.waf_once and n == 1:
                    body = b"<html><script>document.cookie='__jsl=1';location.reload()</script></html>"
                    return self._send(521, "text/html", body)
                if path in site.redirects:
                    self.send_response(302)
                    self.send_header("Location", site.redirects[path])
                    self.end_headers()
                    return None
                if path not in site.pages:
                    return self._send(404, "text/html", b"not found")
                ctype, body = site.pages[path]
                etag = '"' + hashlib.md5(body).hexdigest() + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return None
                with site.lock:
                    site.full[path] = site.full.get(path, 0) + 1
                return self._send(200, ctype, body, etag)

            def _send(self, status: int, ctype: str, body: bytes, etag: str | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype + ("; charset=utf-8" if "html" in ctype else ""))
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Last-Modified", formatdate(1737331200, usegmt=True))
                if etag:
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

        return H


@pytest.fixture()
def site(tmp_path: Path):
    s = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), s.handler())
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    reg = tmp_path / "registry.yaml"
    reg.write_text(
        "agencies:\n"
        f"  - {{name: 测试市人民政府, kind: government, region: '000001', portal: '{base}/gov/', cms: xj_shtml,"
        " columns: []}\n"
        f"  - {{name: 测试市公安局, kind: department, region: '000001', portal: '{base}/gov/', cms: xj_shtml,"
        " columns: []}\n"
        f"  - {{name: 测试市审计局, kind: department, region: '000001', portal: '{base}/gov/', cms: generic,"
        f" columns: ['{base}/gov/locked/']}}\n", "utf-8")
    s.base, s.registry = base, reg
    yield s
    server.shutdown()


def _docs(data: Path) -> dict[str, tuple[str, str | None, str | None]]:
    db = sqlite3.connect(data / "archive.db")
    rows = db.execute("SELECT url, sha256, agency, portal_date, final_url FROM document_urls").fetchall()
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


def test_crawl_site_end_to_end(site: Site, tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from gongkai.cli import main

    data = tmp_path / "data"
    r = CliRunner().invoke(main, ["crawl", "--registry", str(site.registry), "--data", str(data), "--json"])
    assert r.exit_code == 0, r.output
    s1 = json.loads(r.stdout)
    b = site.base + "/gov/c100/"
    docs = _docs(data)
    want = {b + "202501/a.shtml", b + "files/a.pdf", b + "files/v.pdf", site.base + "/old/c.shtml",
            b + "202401/d.shtml", b + "files/d.docx"}
    assert set(docs) == want  # no look-alike, nothing off-site, no WAF page, no 404
    assert docs[site.base + "/old/c.shtml"][3] == b + "202501/c.shtml"  # final URL after the redirect
    assert docs[b + "202501/a.shtml"][2] == "2025-01-20"
    # the crawler records the evidence of whose report each is; the archive decides (extract)
    db = sqlite3.connect(data / "archive.db")
    meta = {u: json.loads(m) for u, m in db.execute("SELECT url, meta FROM document_urls")}
    assert meta[b + "202401/d.shtml"]["owners"] == ["测试市人民政府", "测试市公安局"]
    assert meta[b + "files/d.docx"]["column"] == meta[b + "202401/d.shtml"]["column"]
    assert CliRunner().invoke(main, ["extract", "--data", str(data), "--workers", "1"]).exit_code == 0
    bodies = {u: a for u, a in db.execute("SELECT url, agency FROM reports WHERE parse_current = 1")}
    assert bodies[b + "202501/a.shtml"] == "测试市人民政府"
    assert bodies[b + "202401/d.shtml"] == bodies[b + "files/d.docx"] == "测试市公安局"
    assert site.full.get("/gov/c100/202501/b.shtml") is None  # look-alike never fetched
    assert s1["reason"] == "finished"
    assert s1["reports_new"] == 3 and s1["documents_new"] == 6
    assert s1["agencies"] == 2 and s1["agencies_unreachable"] == 1 and s1["unreachable"] == ["测试市审计局"]
    assert s1["failures"].get("waf") == 2 and s1["failures"].get("http_404") == 2
    assert s1["failures"].get("offsite") == 1
    caps = db.execute("SELECT agency, status, reports_seen, reached FROM column_captures").fetchall()
    assert ("测试市人民政府", 200, 3, 1) in caps and ("测试市审计局", 404, 0, 0) in caps
    assert db.execute("SELECT count(*) FROM fetches").fetchone()[0] >= s1["requests"] > 10

    # second crawl, nothing changed: revalidated with 304, nothing downloaded again
    before = dict(site.full)
    s2 = run_crawl(data, site.registry, progress=False)
    again = {p: n - before.get(p, 0) for p, n in site.full.items() if n - before.get(p, 0)}
    assert not any(p.startswith("/gov/c100/2") or "/files/" in p for p in again), again
    assert s2["documents_new"] == 0 and s2["reports_unchanged"] == 3 and s2["reports_new"] == 0

    # an edited attachment behind the same URL becomes a new version; the old one is kept
    site.pages["/gov/c100/files/v.pdf"] = ("application/pdf", b"%PDF-1.4 report v, corrected")
    s3 = run_crawl(data, site.registry, progress=False)
    assert s3["reports_changed"] == 1 and s3["documents_new"] == 1
    versions = db.execute("SELECT count(*) FROM document_urls WHERE url = ?", [b + "files/v.pdf"]).fetchone()[0]
    assert versions == 2
