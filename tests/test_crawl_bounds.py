"""A portal cannot keep the crawler: endless list-page chains are cut (a cap per column, and
pages that add no new record), redirects land only where the official-domain rule allows (scheme,
host and port), and the columns cut are reported partial with the reason."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from crawler.runner import run_crawl

REPORT = "测试市人民政府2024年政府信息公开工作年度报告"


def _serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


@pytest.mark.timeout(180)
def test_endless_lists_and_redirects_elsewhere(tmp_path: Path) -> None:
    hits: dict[str, int] = {}
    other_hits: list[str] = []

    class Other(BaseHTTPRequestHandler):  # another service on another port of the same host
        def log_message(self, *a: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            other_hits.append(self.path)
            body = f"<html><meta charset='utf-8'><h1>{REPORT}</h1></html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    other, other_port = _serve(Other)

    class Portal(BaseHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            path = self.path
            hits[path] = hits.get(path, 0) + 1
            if path == "/robots.txt":
                return self._send(b"User-agent: *\n", "text/plain")
            if path == "/go.shtml":
                return self._redirect(f"http://127.0.0.1:{other_port}/report.shtml")
            if path == "/file.shtml":
                return self._redirect("file:///etc/passwd")
            m = re.fullmatch(r"/(trap|long)/(?:index_(\d+)\.html)?", path)
            if not m:
                return self._send(b"not found", "text/html", 404)
            n = int(m.group(2) or 1)
            rows = ""
            if m.group(1) == "trap":  # every page lists the same record
                rows = (f'<li><a href="/go.shtml">{REPORT}</a><span>2025-01-20</span></li>'
                        f'<li><a href="/file.shtml">测试市人民政府2023年政府信息公开工作年度报告</a>'
                        f'<span>2024-01-20</span></li>')
            else:  # every page a new record (not a report)
                rows = f'<li><a href="/long/a{n}.shtml">通知{n}</a><span>2025-01-20</span></li>'
            body = (f"<html><meta charset='utf-8'><ul>{rows}</ul>"
                    f'<a href="/{m.group(1)}/index_{n + 1}.html">下一页</a></html>').encode()
            return self._send(body, "text/html")

        def _redirect(self, to: str) -> None:
            self.send_response(302)
            self.send_header("Location", to)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _send(self, body: bytes, ctype: str, status: int = 200) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype + "; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    portal, port = _serve(Portal)
    base = f"http://127.0.0.1:{port}"
    reg = tmp_path / "registry.yaml"
    reg.write_text("agencies:\n"
                   f"  - {{name: 测试市人民政府, kind: government, region: '000001', portal: '{base}/', cms: generic,"
                   f" columns: ['{base}/trap/', '{base}/long/']}}\n", "utf-8")
    try:
        s = run_crawl(tmp_path / "data", reg, progress=False, timeout=150,
                      settings={"GONGKAI_MAX_LIST_PAGES": 40, "GONGKAI_TRAP_PAGES": 10})
    finally:
        portal.shutdown()
        other.shutdown()
    assert s["reason"] == "finished"
    trap_pages = sum(v for k, v in hits.items() if k.startswith("/trap/"))
    long_pages = sum(v for k, v in hits.items() if k.startswith("/long/"))
    assert trap_pages <= 10 + 20, trap_pages  # the threshold, and the pages already in flight
    assert 40 <= long_pages <= 41 + 20, long_pages
    partial = {p["column"]: p["reason"] for p in s["partial"]}
    assert "crawler trap" in partial[f"{base}/trap/"], partial
    assert "more than 40 list pages" in partial[f"{base}/long/"], partial
    # another port of the official host, and file://, are not where a report is fetched from
    assert other_hits == []
    assert s["failures"].get("offsite") == 1 and s["failures"].get("offsite_redirect") == 1, s["failures"]
    import sqlite3

    urls = [u for (u,) in sqlite3.connect(tmp_path / "data" / "archive.db").execute("SELECT url FROM document_urls")]
    assert urls == [], urls


def test_a_gzip_bomb_is_recorded_as_it_came_not_inflated() -> None:
    import time
    import tracemalloc
    import zlib

    from archive.warc import MAX_DECODED, recorded_body

    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = b"".join(c.compress(b"\0" * (1 << 20)) for _ in range(512)) + c.flush()  # 512 MB in 500 kB
    gzipped = [("Content-Encoding", "gzip"), ("Content-Length", str(len(bomb)))]
    t = time.monotonic()
    headers, body = recorded_body(gzipped, bomb)
    assert time.monotonic() - t < 5
    assert body == bomb and ("Content-Encoding", "gzip") in headers
    # what the recorder itself allocates, at its peak: two buffers of the limit and a copy of the
    # bytes that came, at most (the 512 MB the bomb holds would be far beyond)
    tracemalloc.start()
    try:
        recorded_body(gzipped, bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * MAX_DECODED + 2 * len(bomb), peak
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    headers, body = recorded_body([("Content-Encoding", "gzip")], c.compress(b"<html>ok</html>") + c.flush())
    assert body == b"<html>ok</html>" and ("X-Archive-Orig-Content-Encoding", "gzip") in headers


def test_a_waf_challenge_counts_once_per_url_however_often_retried() -> None:
    import logging
    from collections import Counter
    from types import SimpleNamespace

    from scrapy import Request
    from scrapy.http import HtmlResponse
    from scrapy.settings import Settings

    from crawler.middlewares import ChallengeMiddleware, ChallengePage

    gk = SimpleNamespace(failures=Counter())
    gk.fail = lambda kind: gk.failures.update([kind])
    crawler = SimpleNamespace(settings=Settings({"RETRY_TIMES": 3}),
                              spider=SimpleNamespace(gk=gk, logger=logging.getLogger("t")))
    mw = ChallengeMiddleware(crawler)  # type: ignore[arg-type]
    req = Request("http://127.0.0.1/a.shtml")
    with pytest.raises(ChallengePage):
        for _ in range(10):
            resp = HtmlResponse(req.url, status=521, body=b"<script>document.cookie='x';location.reload()</script>",
                                request=req)
            req = mw.process_response(req, resp)
    assert gk.failures == Counter({"waf": 1})
