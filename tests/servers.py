"""Servers the tests start on loopback: a free port, and waiting until one listens."""

from __future__ import annotations

import socket
import subprocess
import time


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
