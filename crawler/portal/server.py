"""The sample portal's HTTP server: the standard library's ThreadingHTTPServer on 127.0.0.1 only.

Why the standard library: no event loop to share with Scrapy's Twisted reactor, a thread per
connection with HTTP/1.1 keep-alive is fast enough (well over 500 pages/s on loopback), and it can
run inside a test process or `gongkai demo` as a daemon thread.

What it serves is `Portal` (portal.py); here are the faults at the connection level (a reset, a
timeout, a 503), the script gate (gated.py), conditional requests and streaming.
"""

from __future__ import annotations

import email.utils
import socket
import struct
import threading
import time
from dataclasses import dataclass
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .gated import GATE_PREFIX, gate_ok, gate_page
from .portal import Portal
from .response import Response, http_date


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one connection serves many pages
    server_version = "gongkai-portal/1"
    sys_version = ""
    portal: Portal
    verbose = False

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        if self.verbose:
            super().log_message(format, *args)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        raw = self.rfile.read(min(length, 1 << 16)).decode("utf-8", "replace") if length > 0 else ""
        parts = urlsplit(self.path)
        portal = self.portal
        fault = portal.fault_for(self.path + "|" + raw, portal.attempt(self.path + "|" + raw))
        if fault in ("reset", "timeout", "503"):  # the same faults as GET, keyed by URL and form
            self._send(Response(503, body=b"Service Temporarily Unavailable", ctype="text/plain; charset=utf-8",
                                headers={"Retry-After": "1"}).finish(), head=False)
            return
        try:
            resp = portal.respond_post(parts.path, parse_qs(parts.query), parse_qs(raw, keep_blank_values=True))
        except Exception as exc:  # a bug in a page must not kill the server: report it as a 500
            resp = Response(500, body=f"{self.path}: {type(exc).__name__}: {exc}".encode(), ctype="text/plain; charset=utf-8")
        self._send(resp.finish(), head=False)

    def _serve(self, head: bool) -> None:
        portal = self.portal
        n = portal.attempt(self.path)
        fault = portal.fault_for(self.path, n)
        if fault == "reset":
            # SO_LINGER 0 turns close() into a TCP RST: the client sees "connection reset by peer".
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if fault == "timeout":
            time.sleep(portal.fault_timeout)
            self.close_connection = True
            return
        if fault == "503":
            self._send(Response(503, body=b"Service Temporarily Unavailable", ctype="text/plain; charset=utf-8",
                                headers={"Retry-After": "1"}).finish(), head)
            return
        if self.path.startswith(GATE_PREFIX) and not gate_ok(self.headers.get("Cookie")):
            self._send(Response(412, body=gate_page()), head)  # the script gate (gated.py)
            return
        try:
            resp = portal.respond(self.path)
        except Exception as exc:  # a bug in a page must not kill the server: report it as a 500
            resp = Response(500, body=f"{self.path}: {type(exc).__name__}: {exc}".encode(), ctype="text/plain; charset=utf-8").finish()
        if resp.delay:
            time.sleep(resp.delay)
        if resp.status == 200 and self._not_modified(resp):
            self._send(Response(304, etag=resp.etag, modified=resp.modified), head=True)
            return
        self._send(resp, head)

    def _not_modified(self, resp: Response) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return resp.etag is not None and resp.etag in [x.strip() for x in inm.split(",")] or inm.strip() == "*"
        ims = self.headers.get("If-Modified-Since")
        if ims and resp.modified:
            try:
                since = email.utils.parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
            return since >= email.utils.parsedate_to_datetime(http_date(resp.modified))
        return False

    def _send(self, resp: Response, head: bool) -> None:
        self.send_response(resp.status)
        length = resp.length if resp.stream is not None else len(resp.body)
        if resp.status != 304:
            self.send_header("Content-Type", resp.ctype)
            self.send_header("Content-Length", str(length))
        else:
            self.send_header("Content-Length", "0")
        if resp.etag:
            self.send_header("ETag", resp.etag)
        if resp.modified:
            self.send_header("Last-Modified", http_date(resp.modified))
        for k, v in resp.headers.items():
            self.send_header(k, v)
        if resp.status >= 300 and resp.status != 304 and not resp.body:
            resp.body = b""
        self.end_headers()
        if head or resp.status == 304:
            return
        try:
            if resp.stream is not None:
                for piece in resp.stream():
                    self.wfile.write(piece)
            else:
                self.wfile.write(resp.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class PortalServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


@dataclass
class PortalHandle:
    """A running portal: `.base_url`, `.truth()`, `.stop()`; also a context manager."""

    portal: Portal
    server: PortalServer
    thread: threading.Thread

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def truth(self) -> dict:
        return self.portal.truth(self.base_url)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> PortalHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def make_server(portal: Portal, port: int = 0, verbose: bool = False) -> PortalServer:
    handler = type("PortalHandler", (Handler,), {"portal": portal, "verbose": verbose})
    # Loopback only: the sample portal is never reachable from another machine.
    server = PortalServer(("127.0.0.1", port), handler)
    portal.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    return server


def start_portal(
    port: int = 0,
    today: str | date | None = None,
    scale: int = 0,
    faults: float = 0.0,
    *,
    slow_delay: float = 2.0,
    fault_timeout: float = 20.0,
    large_size: int = 40 * 1024 * 1024,
    verbose: bool = False,
    fail_api: bool = False,
) -> PortalHandle:
    """Start the portal in a daemon thread; port=0 picks a free port; fail_api: every list API answers 500."""
    portal = Portal(today, scale, faults, slow_delay=slow_delay, fault_timeout=fault_timeout, large_size=large_size,
                    fail_api=fail_api)
    server = make_server(portal, port, verbose)
    thread = threading.Thread(target=server.serve_forever, name="gongkai-portal", daemon=True)
    thread.start()
    return PortalHandle(portal, server, thread)


__all__ = ["Portal", "PortalHandle", "PortalServer", "Handler", "make_server", "start_portal"]

