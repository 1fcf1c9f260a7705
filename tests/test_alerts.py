"""Alerts: one digest of what changed since the previous run, delivered through Apprise to a real
webhook on loopback; the same state never alerts twice; a failed delivery is retried next run."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from archive.alerts import AlertConfigError, check_urls, current_items, run_alerts
from archive.health import refresh_health
from archive.store import Archive


class Hook:
    """A webhook receiver on 127.0.0.1: every POSTed JSON body lands in `.received`."""

    def __init__(self) -> None:
        received: list[dict] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                n = int(self.headers.get("Content-Length") or 0)
                received.append(json.loads(self.rfile.read(n) or b"{}"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def hook():
    h = Hook()
    yield h
    h.close()


@pytest.fixture()
def arc(tmp_path):
    a = Archive(tmp_path / "data")
    yield a
    a.close()


def verdict(arc: Archive, agency: str, year: int, status: str, days_late: int | None = None) -> None:
    arc.db["compliance"].upsert({"agency": agency, "year": year, "status": status, "due": f"{year + 1}-01-31",
                                 "published": "2026-02-14" if status == "late" else None,
                                 "days_late": days_late, "as_of": "2026-02-20"}, pk=("agency", "year"))


def test_digest_once_per_change(arc, hook):
    verdict(arc, "伊宁市财政局", 2025, "pending")
    verdict(arc, "伊宁市教育局", 2025, "on_time", 0)
    s = run_alerts(arc, [hook.url], "2026-01-20")
    assert s["new"] == 0 and not hook.received  # nothing wrong: nothing sent

    verdict(arc, "伊宁市财政局", 2025, "missing")
    s = run_alerts(arc, [hook.url], "2026-02-10")
    assert s["sent"] and len(hook.received) == 1
    msg = hook.received[0]
    assert "1 missing" in msg["title"] and "伊宁市财政局 2025" in msg["message"]

    # the same state again: no second alert
    assert run_alerts(arc, [hook.url], "2026-02-11")["new"] == 0
    assert len(hook.received) == 1

    # missing → late is a change: one more digest, naming only that change
    verdict(arc, "伊宁市财政局", 2025, "late", 14)
    run_alerts(arc, [hook.url], "2026-02-20")
    run_alerts(arc, [hook.url], "2026-02-21")
    assert len(hook.received) == 2
    assert "1 late" in hook.received[1]["title"] and "逾期 14 天" in hook.received[1]["message"]
    assert "missing" not in hook.received[1]["title"]
    log = list(arc.db["alerts"].rows)
    assert [r["delivered"] for r in log] == [1, 1]


def test_unreachable_body_and_failed_checks_alert(arc, hook):
    cid = arc.start_crawl()
    for day in ("2026-02-01", "2026-02-02", "2026-02-03"):
        arc.record_column_capture(cid, "伊宁市潘津镇人民政府", "http://127.0.0.1:9/c/", None, None, 0,
                                  error="timeout", captured_at=day + "T03:00:00Z")
        cid = arc.start_crawl()
    refresh_health(arc, "2026-02-03")
    arc.db["reports"].insert({"id": 7, "sha256": "0" * 64, "agency": "伊宁市公安局", "year": 2024, "current": 1})
    arc.db["check_results"].insert({"report_id": 7, "agency": "伊宁市公安局", "year": 2024, "scope": "report",
                                    "check": "balance", "ok": 0, "detail": "total: 21 + 0 ≠ 20 + 0"})
    kinds = sorted(i.kind for i in current_items(arc))
    assert kinds == ["check", "health"]
    run_alerts(arc, [hook.url], "2026-02-03")
    (msg,) = hook.received
    assert "伊宁市潘津镇人民政府 年报栏目无法访问" in msg["message"] and "balance" in msg["message"]


def test_failed_delivery_is_retried(arc, hook):
    verdict(arc, "伊宁市财政局", 2025, "missing")
    dead = "json://127.0.0.1:1/hook"  # nothing listens on port 1
    s = run_alerts(arc, [dead], "2026-02-10")
    assert not s["sent"] and "delivery failed" in s["error"]
    s = run_alerts(arc, [hook.url], "2026-02-11")
    assert s["sent"] and len(hook.received) == 1


def test_bad_url_is_named():
    with pytest.raises(AlertConfigError, match="nonsense://x"):
        check_urls(["nonsense://x"])
