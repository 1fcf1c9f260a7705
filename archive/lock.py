"""One writer per archive: the commands that write (crawl, ingest, extract, check, merge, the
scheduler's runs, registry import) hold an exclusive lock on `DATA/write.lock` while they work.

The lock is an flock: the kernel drops it when its holder dies, so a lock left by a killed process
(its PID is in the file, but dead) is simply taken over. The file holds who has it (command, PID,
host, since when) so a second writer can say who it is waiting for. A process may take the lock
again while it holds it (the demo runs crawl, extract and check in one process), and a crawl's child
process shares its parent's lock (the descriptor is passed on).

A shared crawl (`gongkai crawl --redis`) is several processes each writing their own archive: each
takes its own archive's lock; two of them on one `--data` are refused like any two writers.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click

LOCK_NAME = "write.lock"


class ArchiveBusy(click.ClickException):
    """Another process is writing this archive."""

    exit_code = 75  # EX_TEMPFAIL: try again later


# path -> [descriptor, depth]: re-entry in the same process
_held: dict[Path, list[int]] = {}

wait_option = click.option(
    "--wait", "wait", is_flag=True,
    help="If another gongkai process is writing this archive, wait for it to finish instead of exiting.",
)


def holder(data_dir: str | os.PathLike) -> dict | None:
    """Who holds (or last held) the lock, as written in the lock file; None when nobody wrote it."""
    try:
        raw = (Path(data_dir) / LOCK_NAME).read_text("utf-8").strip()
        return json.loads(raw) if raw else None
    except (OSError, ValueError):
        return None


def _describe(info: dict | None) -> str:
    if not info:
        return "another process"
    return (f"`{info.get('command', '?')}` (PID {info.get('pid', '?')} on {info.get('host', '?')}, "
            f"since {info.get('since', '?')})")


def _busy_holder(data: Path, patience: float = 2.0) -> dict | None:
    """The holder's note of a lock just found taken. A writer fills its note a moment after taking
    the lock, so an empty or half-written note is read again for a short while."""
    deadline = time.monotonic() + patience
    while (info := holder(data)) is None and time.monotonic() < deadline:
        time.sleep(0.02)
    return info


def remove_leftovers(data: Path) -> int:
    """Delete half-written blobs (`.tmp-*`, see Archive.put_blob) a killed writer left behind: only
    the lock's holder writes blobs, so none of them is in use."""
    n = 0
    for tmp in (data / "blobs").glob("*/*/.tmp-*"):
        tmp.unlink(missing_ok=True)
        n += 1
    return n


def _try(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


@contextmanager
def writer_lock(data_dir: str | os.PathLike, command: str, wait: bool = False,
                poll: float = 0.5) -> Iterator[int]:
    """Hold the archive's write lock for the block; yields the lock's descriptor (to pass to a child
    process). Raises ArchiveBusy naming the holder, or with `wait` waits for it."""
    data = Path(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    path = (data / LOCK_NAME).resolve()
    if path in _held:
        _held[path][1] += 1
        try:
            yield _held[path][0]
        finally:
            _held[path][1] -= 1
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        if not _try(fd):
            who = _describe(_busy_holder(data))
            if not wait:
                raise ArchiveBusy(f"{data} is being written by {who}; one writer at a time: "
                                  f"try again when it has finished, or add --wait (lock: {path})")
            click.echo(f"waiting: {data} is being written by {who}", err=True)
            while not _try(fd):
                time.sleep(poll)
        info = {"command": command, "pid": os.getpid(), "host": socket.gethostname(),
                "since": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "argv": sys.argv[1:][:20]}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info, ensure_ascii=False) + "\n").encode(), 0)
        _held[path] = [fd, 1]
        remove_leftovers(data)
        try:
            yield fd
        finally:
            del _held[path]
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
