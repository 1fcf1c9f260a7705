"""The worker of a one-file `gongkai parse` is forked (it starts with the parent's imports); a process
that may hold SQLite connections, runs threads or wants several workers spawns them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = "gongkai.cli"


def _method(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code + "\nfrom extract.limits import _start_method\n"
                          "print(_start_method(WORKERS))"], capture_output=True, text=True, cwd=ROOT, check=True)
    return out.stdout.strip()


def test_a_lone_worker_of_a_plain_process_is_forked() -> None:
    assert _method("WORKERS = 1") == "fork"


def test_sqlite_threads_or_several_workers_spawn() -> None:
    assert _method("import sqlite3\nWORKERS = 1") == "spawn"
    assert _method("import threading, time\nthreading.Thread(target=time.sleep, args=(5,), daemon=True).start()\n"
                   "WORKERS = 1") == "spawn"
    assert _method("WORKERS = 2") == "spawn"


def test_parse_of_one_file_forks_and_reads_it() -> None:
    """The forked worker parses as the spawned one did: the same JSON for a fixture."""
    pdf = ROOT / "tests" / "fixtures" / "000.lo.pdf"
    forked = subprocess.run([sys.executable, "-c", f"import sys\nfrom {CLI} import main\n"
                             f"sys.argv = ['gongkai', 'parse', {str(pdf)!r}]\nmain()"],
                            capture_output=True, text=True, cwd=ROOT, check=True).stdout
    spawned = subprocess.run([sys.executable, "-c", f"import sqlite3, sys\nfrom {CLI} import main\n"
                              f"sys.argv = ['gongkai', 'parse', {str(pdf)!r}]\nmain()"],
                             capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert forked == spawned and '"agency": "伊宁市潘津镇人民政府"' in forked
