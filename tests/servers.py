"""Servers the tests start on loopback: a free port, waiting until one listens, and holding the
sample portal's answers at a chosen point."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, seconds: float = 30) -> None:
    """Return once something accepts connections on 127.0.0.1:port; fail with the process's stderr
    if it exits first or the time runs out."""
    deadline = time.time() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None or time.time() >= deadline:
                err = proc.stderr.read().decode()[-2000:] if proc.stderr else ""
                raise AssertionError(f"nothing listens on port {port}: {err}") from None
            time.sleep(0.2)


@contextmanager
def held_after(handle: Any, n: int, counts: Callable[[str], bool] = lambda path: True,
               seconds: float = 300) -> Iterator[threading.Event]:
    """The sample portal (a running `start_portal` handle) answers until `n` answers that `counts`
    have gone out, then holds every later GET until the block exits (or `seconds` pass): a crawl of
    it cannot finish while the test kills it. Yields an Event set when the first request is held."""
    portal = handle.portal
    answer = portal.respond
    lock = threading.Lock()
    done = [0]
    held, release = threading.Event(), threading.Event()

    def respond(target: str) -> Any:
        with lock:
            hold = done[0] >= n
        if hold:
            held.set()
            release.wait(seconds)
        resp = answer(target)
        if counts(urlsplit(target).path):
            with lock:
                done[0] += 1
        return resp

    portal.respond = respond
    try:
        yield held
    finally:
        release.set()
        del portal.respond  # the class's method again


def wait_count(db: Path, sql: str, at_least: int, seconds: float = 60, poll: float = 0.05) -> int:
    """The count `sql` gives in the archive `db` once it reaches `at_least`, or when `seconds` are
    up (a crawl still creating the file counts 0)."""
    n, deadline = 0, time.monotonic() + seconds
    while n < at_least and time.monotonic() < deadline:
        time.sleep(poll)
        try:
            n = sqlite3.connect(db).execute(sql).fetchone()[0]
        except sqlite3.OperationalError:
            n = 0
    return n
