"""Every document is read in a worker process under a time and a memory limit.

One hostile document (a content stream of a gigabyte of operators, a DOCX of 48 MB of text) must
not hang a run or take the machine's memory: the parent stops a worker whose resident memory goes
over the memory limit or whose document takes more CPU time than the time limit, and each worker's
address space is capped as well (RLIMIT_AS, at VIRTUAL_FACTOR × the limit: OCR's runtime reserves
far more address space than it uses, so the cap on address space alone would stop real scans). The document is then reported with an error
naming the limit, a fresh worker takes its place, and the other documents go on.

Defaults fit a 2-core, 24 GB machine (two workers of 2 GB each; a scanned report of 15 pages is
OCR'd in well under a minute). `--time-limit` / `--memory-limit`, or GONGKAI_DOC_SECONDS /
GONGKAI_DOC_MEMORY_MB, change them.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import resource
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import click

DEFAULT_SECONDS = 60.0
DEFAULT_MEMORY_MB = 2048
_TICKS = os.sysconf("SC_CLK_TCK")
VIRTUAL_FACTOR = 4  # address space allowed per MB of the (resident) memory limit
GRACE = 2.0  # seconds between SIGTERM (the worker stops LibreOffice) and SIGKILL


@dataclass(frozen=True)
class Limits:
    seconds: float = DEFAULT_SECONDS
    memory_mb: int = DEFAULT_MEMORY_MB

    @classmethod
    def resolve(cls, seconds: float | None = None, memory_mb: int | None = None) -> Limits:
        """Given values, else the environment's, else the defaults."""
        env_s, env_m = os.environ.get("GONGKAI_DOC_SECONDS"), os.environ.get("GONGKAI_DOC_MEMORY_MB")
        return cls(float(seconds or (env_s and float(env_s)) or DEFAULT_SECONDS),
                   int(memory_mb or (env_m and int(env_m)) or DEFAULT_MEMORY_MB))

    def time_error(self) -> str:
        return (f"stopped: reading it took longer than the {self.seconds:g} s limit per document"
                " (--time-limit, GONGKAI_DOC_SECONDS)")

    def memory_error(self) -> str:
        return (f"stopped: reading it needed more than the {self.memory_mb} MB memory limit per document"
                " (--memory-limit, GONGKAI_DOC_MEMORY_MB)")

    def death_error(self, code: int | None) -> str:
        how = f"signal {-code}" if code is not None and code < 0 else f"exit status {code}"
        return (f"the reading process died ({how}) on this document; the memory limit per document is "
                f"{self.memory_mb} MB (--memory-limit, GONGKAI_DOC_MEMORY_MB)")


def limit_options(f: Callable) -> Callable:
    f = click.option("--memory-limit", "memory_limit", type=click.IntRange(min=256), default=None, metavar="MB",
                     help=f"Memory one document may take while read (default {DEFAULT_MEMORY_MB}, "
                          "or GONGKAI_DOC_MEMORY_MB).")(f)
    return click.option("--time-limit", "time_limit", type=click.FloatRange(min=1), default=None,
                        metavar="SECONDS", help=f"Time one document may take to read (default "
                                                f"{DEFAULT_SECONDS:g}, or GONGKAI_DOC_SECONDS).")(f)


class _Stop(BaseException):
    """SIGTERM in a worker: unwinds (LibreOffice conversions kill their process group on the way)."""


def _on_term(signum: int, frame: Any) -> None:
    raise _Stop()


def _worker(conn: Connection, target: str, memory_mb: int) -> None:
    cap = (memory_mb * VIRTUAL_FACTOR) << 20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    module, name = target.split(":")
    fn = getattr(importlib.import_module(module), name)
    try:
        while True:
            try:
                job = conn.recv()
            except (EOFError, OSError):
                return
            if job is None:  # the parent's "stop": a forked worker holds the parent's end of the
                return  # pipe too, so it would never see the pipe's end
            try:
                out = fn(job)
            except MemoryError:
                # this interpreter's heap may be in a bad state: report, and let a fresh worker go on
                conn.send(("memory", None))
                return
            conn.send(("ok", out))
    except _Stop:
        return


class _Slot:
    def __init__(self, ctx: Any, target: str, limits: Limits) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child, target, limits.memory_mb), daemon=True)
        self.proc.start()
        child.close()
        self.job: Any = None
        self.started = 0.0
        self.cpu_at_start = 0.0

    def cpu(self) -> float:
        """The worker's CPU seconds so far (user + system), from /proc; 0 where it cannot be read."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / _TICKS
        except (OSError, IndexError, ValueError):
            return 0.0

    def rss_mb(self) -> float:
        """The worker's resident memory in MB, from /proc; 0 where it cannot be read."""
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except (OSError, IndexError, ValueError):
            pass
        return 0.0

    def over(self, limits: Limits) -> bool:
        """Over the limit: its CPU time on this document, or (a worker waiting on something that
        uses no CPU) four times the limit in wall time. CPU, not wall time, so that a machine
        busy with other work does not stop a document that is merely slow to get the CPU."""
        wall = time.monotonic() - self.started
        return wall > 4 * limits.seconds or (wall > limits.seconds and
                                              self.cpu() - self.cpu_at_start > limits.seconds)

    def stop(self) -> None:
        try:
            self.conn.send(None)  # an idle worker returns; a busy one is terminated below
        except OSError:
            pass
        self.conn.close()
        self.proc.join(0.2)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(GRACE)
            if self.proc.is_alive():
                self.proc.kill()
        self.proc.join()


def _start_method(workers: int) -> str:
    """fork where a copy of this process is safe to run: one worker, one thread, and no SQLite
    connection that could be open (sqlite3 not even imported) — `gongkai parse`. The worker then
    starts with this process's imports (the readers and the parser), where a spawned one imports
    them all again (most of the CPU time of parsing one file). spawn everywhere else."""
    safe = (workers <= 1 and threading.active_count() == 1 and "sqlite3" not in sys.modules
            and "fork" in multiprocessing.get_all_start_methods())
    return "fork" if safe else "spawn"


def run_limited(target: str, jobs: Iterable[Any], workers: int, limits: Limits,
                handle: Callable[[Any, Any, str | None], None]) -> None:
    """Call the function `target` ("module:function", which must not raise but MemoryError) on every
    job in worker processes, at most `workers` at a time, and `handle(job, result, None)` each result
    in the calling process as it arrives, or `handle(job, None, error)` for a job that exceeded a
    limit or whose worker died. Results come in completion order."""
    ctx = multiprocessing.get_context(_start_method(workers))
    todo = deque(jobs)
    idle: list[_Slot] = []
    busy: list[_Slot] = []
    try:
        while todo or busy:
            while todo and len(busy) < max(1, workers):
                slot = idle.pop() if idle else _Slot(ctx, target, limits)
                try:
                    slot.conn.send(todo[0])
                except OSError:  # the idle worker is gone (killed from outside): a fresh one
                    slot.stop()
                    continue
                slot.job, slot.started, slot.cpu_at_start = todo.popleft(), time.monotonic(), slot.cpu()
                busy.append(slot)
            now = time.monotonic()
            # wake at least every half second: memory is watched while a document is read
            deadline = min(s.started for s in busy) + limits.seconds
            ready = wait([s.conn for s in busy], timeout=min(0.5, max(0.05, deadline - now + 0.05)))
            for slot in list(busy):
                if slot.conn in ready:
                    busy.remove(slot)
                    try:
                        kind, out = slot.conn.recv()
                    except (EOFError, OSError):
                        slot.proc.join(GRACE)
                        handle(slot.job, None, limits.death_error(slot.proc.exitcode))
                        slot.stop()
                        continue
                    if kind == "memory":
                        handle(slot.job, None, limits.memory_error())
                        slot.stop()
                    else:
                        idle.append(slot)
                        handle(slot.job, out, None)
                elif slot.rss_mb() > limits.memory_mb:
                    busy.remove(slot)
                    slot.stop()
                    handle(slot.job, None, limits.memory_error())
                elif slot.over(limits):
                    busy.remove(slot)
                    slot.stop()
                    handle(slot.job, None, limits.time_error())
    finally:
        for slot in idle + busy:
            slot.stop()
