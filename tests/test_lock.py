"""One writer per archive: a second writer is refused (naming the first) or waits; a dead holder's
lock is taken over; two crawls started together leave the archive as one crawl does."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from archive.lock import ArchiveBusy, holder, writer_lock
from archive.store import Archive
from crawler.portal.server import start_portal

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "from gongkai.cli import main; main()"]


def test_second_writer_is_refused_with_the_holder_named(tmp_path: Path) -> None:
    Archive(tmp_path).close()  # reading commands need an archive to be there
    with writer_lock(tmp_path, "gongkai crawl"):
        with writer_lock(tmp_path, "gongkai extract"):  # the same process may re-enter
            pass
        p = subprocess.run(CLI + ["extract", "--data", str(tmp_path)], cwd=ROOT, capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == ArchiveBusy.exit_code, p.stderr
        assert "is being written by `gongkai crawl`" in p.stderr and "--wait" in p.stderr, p.stderr
        assert holder(tmp_path)["command"] == "gongkai crawl"


def test_a_note_written_just_after_the_lock_is_still_read(tmp_path: Path) -> None:
    # A writer takes the flock a moment before it writes who it is; a second writer arriving in
    # that moment must still name it.
    code = ("import fcntl, os, time\n"
            f"fd = os.open({str(tmp_path / 'write.lock')!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(0.4)\n"
            "os.pwrite(fd, b'{\"command\": \"gongkai crawl\", \"pid\": 1}\\n', 0); time.sleep(3)")
    held = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert held.stdout.readline().strip() == "locked"
        with pytest.raises(ArchiveBusy, match="is being written by `gongkai crawl`"):
            with writer_lock(tmp_path, "gongkai extract"):
                pass
    finally:
        held.kill()
        held.wait()


def test_wait_waits_for_the_holder(tmp_path: Path) -> None:
    Archive(tmp_path).close()
    code = ("import time; from archive.lock import writer_lock\n"
            f"with writer_lock({str(tmp_path)!r}, 'gongkai crawl'):\n    print('held', flush=True); time.sleep(3)")
    held = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert held.stdout.readline().strip() == "held"
    p = subprocess.run(CLI + ["check", "--wait", "--data", str(tmp_path), "--as-of", "2025-06-01"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert held.wait(10) == 0
    assert p.returncode == 0, p.stderr
    assert "waiting: " in p.stderr and "`gongkai crawl`" in p.stderr, p.stderr


def test_a_dead_holders_lock_is_taken_over(tmp_path: Path) -> None:
    code = ("import os; from archive.lock import writer_lock\n"
            f"with writer_lock({str(tmp_path)!r}, 'gongkai crawl'):\n    os._exit(9)")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=30)
    assert holder(tmp_path)["command"] == "gongkai crawl"  # the dead process's note is still there
    with writer_lock(tmp_path, "gongkai extract"):
        assert holder(tmp_path)["command"] == "gongkai extract"


def content(d: Path) -> dict[str, list]:
    def path(u: str) -> str:
        return "/" + u.split("/", 3)[-1]

    con = sqlite3.connect(d / "archive.db")
    out = {
        "crawls": con.execute("SELECT count(*) FROM crawls").fetchall(),
        "documents": sorted((path(u), h) for u, h in con.execute("SELECT url, sha256 FROM document_urls")),
        # a column page several bodies list is captured under whichever body's request reached
        # it first: that is timing, so the body is left out
        "captures": sorted((path(u), s, n, h) for u, s, n, h in con.execute(
            "SELECT column_url, status, reports_seen, sha256 FROM column_captures")),
    }
    con.close()
    return out


@pytest.mark.timeout(300)
def test_two_crawls_started_together(tmp_path: Path) -> None:
    with start_portal(scale=2, slow_delay=0.05) as portal:
        truth = portal.truth()
        reg = tmp_path / "reg.yaml"
        reg.write_text(yaml.safe_dump({"agencies": truth["agencies"][::4], "regions": truth.get("regions") or {}},
                                      allow_unicode=True), "utf-8")
        cmd = CLI + ["crawl", "--registry", str(reg), "--json"]
        one = subprocess.run(cmd + ["--data", str(tmp_path / "one")], cwd=ROOT, capture_output=True, text=True,
                             timeout=240)
        assert one.returncode == 0, one.stderr[-2000:]
        procs = [subprocess.Popen(cmd + ["--data", str(tmp_path / "two")], cwd=ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        results = [p.communicate(timeout=240) + (p.returncode,) for p in procs]
    codes = sorted(r[2] for r in results)
    assert codes == [0, ArchiveBusy.exit_code], [r[1][-1500:] for r in results]
    refused = next(r for r in results if r[2] != 0)
    assert "is being written by `gongkai crawl`" in refused[1], refused[1]
    ran = next(r for r in results if r[2] == 0)
    assert json.loads(ran[0])["crawl_id"] == 1
    assert content(tmp_path / "two") == content(tmp_path / "one")
