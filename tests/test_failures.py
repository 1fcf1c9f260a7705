"""Failures are failures: a write that fails is counted and makes the command exit non-zero;
ingest refuses what is too large or not a document and goes on; leftover temporary blobs go."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from archive.lock import writer_lock

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "from gongkai.cli import main; main()"]
FIXTURES = ROOT / "tests" / "fixtures"


def test_ingest_streams_refuses_and_goes_on(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    with open(src / "a-huge.pdf", "wb") as f:  # 3 GB, sparse: refused before it is read
        f.truncate(3 << 30)
    (src / "b-random.bin").write_bytes(os.urandom(1 << 20))
    (src / "c-good.docx").write_bytes((FIXTURES / "001.docx").read_bytes())
    p = subprocess.run(CLI + ["ingest", str(src), "--data", str(tmp_path / "data"), "--json"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1, p.stderr
    s = json.loads(p.stdout)
    assert s["new"] == 1 and len(s["errors"]) == 2, s
    errors = {Path(e["path"]).name: e["error"] for e in s["errors"]}
    assert "larger than the 64 MB" in errors["a-huge.pdf"]
    assert "not a document" in errors["b-random.bin"]
    urls = [u for (u,) in sqlite3.connect(tmp_path / "data" / "archive.db").execute("SELECT url FROM document_urls")]
    assert [u.rsplit("/", 1)[-1] for u in urls] == ["c-good.docx"]


def test_leftover_temporary_blobs_are_removed_by_the_next_writer(tmp_path: Path) -> None:
    d = tmp_path / "blobs" / "ab" / "cd"
    d.mkdir(parents=True)
    (d / ".tmp-x1y2").write_bytes(b"half a document")
    (d / ("abcd" + "0" * 60)).write_bytes(b"kept")
    with writer_lock(tmp_path, "gongkai crawl"):
        assert sorted(p.name for p in d.iterdir()) == ["abcd" + "0" * 60]


PDF_A = b"%PDF-1.4\n% report a\n%%EOF\n"
PDF_B = b"%PDF-1.4\n% report b\n%%EOF\n"
LIST = """<html><meta charset="utf-8"><ul>
<li><a href="/a.pdf">测试市人民政府2024年政府信息公开工作年度报告</a><span>2025-01-20</span></li>
<li><a href="/b.pdf">测试市人民政府2023年政府信息公开工作年度报告</a><span>2024-01-20</span></li>
</ul></html>""".encode()


@pytest.mark.timeout(120)
def test_a_write_that_fails_fails_the_crawl(tmp_path: Path) -> None:
    pages = {"/robots.txt": (b"User-agent: *\n", "text/plain"), "/col/": (LIST, "text/html"),
             "/a.pdf": (PDF_A, "application/pdf"), "/b.pdf": (PDF_B, "application/pdf")}

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            body, ctype = pages.get(self.path, (b"not found", "text/html"))
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", ctype + ("; charset=utf-8" if "html" in ctype else ""))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    reg = tmp_path / "registry.yaml"
    reg.write_text("agencies:\n"
                   f"  - {{name: 测试市人民政府, kind: government, region: '000001', portal: '{base}/', cms: generic,"
                   f" columns: ['{base}/col/']}}\n", "utf-8")
    data = tmp_path / "data"
    # where a.pdf's blob would go is a file, not a folder: that write fails (as on a full disk)
    sha = hashlib.sha256(PDF_A).hexdigest()
    (data / "blobs" / sha[:2]).mkdir(parents=True)
    (data / "blobs" / sha[:2] / sha[2:4]).write_bytes(b"")
    try:
        p = subprocess.run(CLI + ["crawl", "--registry", str(reg), "--data", str(data), "--json"], cwd=ROOT,
                           capture_output=True, text=True, timeout=100)
    finally:
        server.shutdown()
    assert p.returncode == 4, p.stderr[-2000:]
    s = json.loads(p.stdout)
    assert s["failures"].get("write") == 1, s["failures"]
    assert "could not be written" in p.stderr
    urls = [u for (u,) in sqlite3.connect(data / "archive.db").execute("SELECT url FROM document_urls")]
    assert urls == [f"{base}/b.pdf"]
