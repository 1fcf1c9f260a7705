"""The archive's crawl-time write path (archive/store.py): batched commits reach readers once
committed, at close, and on the crawl state's save; a crash loses only uncommitted rows, never a
blob a committed row names; a call that fails inside a batch takes back only its own rows."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive.store import Archive

ROOT = Path(__file__).resolve().parents[1]


def urls(data: Path) -> list[str]:
    """What another connection (a reader) sees."""
    db = sqlite3.connect(data / "archive.db")
    try:
        return [u for (u,) in db.execute("SELECT url FROM document_urls ORDER BY id")]
    finally:
        db.close()


def test_batched_writes_reach_readers_on_commit_and_close(tmp_path: Path) -> None:
    arc = Archive(tmp_path)
    arc.batch_commits(3600)
    arc.add_document(b"one", url="http://a.gov.cn/1.pdf")
    arc.record_fetch(1, "http://a.gov.cn/1.pdf", 200)
    assert urls(tmp_path) == []  # in the open batch
    assert arc.validators("http://a.gov.cn/1.pdf")["sha256"]  # the writer reads its own rows
    arc.commit()
    assert urls(tmp_path) == ["http://a.gov.cn/1.pdf"]
    arc.add_document(b"two", url="http://a.gov.cn/2.pdf")
    arc.close()
    assert urls(tmp_path) == ["http://a.gov.cn/1.pdf", "http://a.gov.cn/2.pdf"]


def test_a_batch_is_committed_once_its_time_is_up(tmp_path: Path) -> None:
    arc = Archive(tmp_path)
    arc.batch_commits(0)
    arc.add_document(b"one", url="http://a.gov.cn/1.pdf")
    assert urls(tmp_path) == ["http://a.gov.cn/1.pdf"]
    arc.close()


def test_a_failing_call_takes_back_only_its_own_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    arc = Archive(tmp_path)
    arc.batch_commits(3600)
    arc.add_document(b"one", url="http://a.gov.cn/1.pdf")
    real = arc.db.execute

    def failing(sql: str, *a: object, **k: object) -> object:
        if sql.startswith("INSERT INTO document_urls"):
            raise sqlite3.OperationalError("disk I/O error")
        return real(sql, *a, **k)

    monkeypatch.setattr(arc.db, "execute", failing)
    with pytest.raises(sqlite3.OperationalError):
        arc.add_document(b"two", url="http://a.gov.cn/2.pdf")  # its documents row was written first
    monkeypatch.undo()
    arc.close()
    db = sqlite3.connect(tmp_path / "archive.db")
    assert urls(tmp_path) == ["http://a.gov.cn/1.pdf"]
    assert db.execute("SELECT count(*) FROM documents").fetchone()[0] == 1


def test_the_crawl_state_is_never_ahead_of_the_rows(tmp_path: Path) -> None:
    from crawler.state import CrawlState

    arc = Archive(tmp_path)
    state = CrawlState(arc, tmp_path / "job", {})
    arc.batch_commits(3600)
    arc.add_document(b"one", url="http://a.gov.cn/1.pdf")
    state.document("http://a.gov.cn/1.pdf", "new")
    state.save(force=True)
    assert urls(tmp_path) == ["http://a.gov.cn/1.pdf"]
    arc.close()


CRASH = """
import os, sys
from archive.store import Archive
arc = Archive(sys.argv[1])
arc.batch_commits(3600)
arc.add_document(b"kept", url="http://a.gov.cn/kept.pdf")
arc.commit()
arc.add_document(b"lost", url="http://a.gov.cn/lost.pdf")
os._exit(9)  # no close, no commit: as SIGKILL
"""


def test_a_crash_loses_only_the_uncommitted_rows_never_a_named_blob(tmp_path: Path) -> None:
    p = subprocess.run([sys.executable, "-c", CRASH, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert p.returncode == 9, p.stderr
    assert urls(tmp_path) == ["http://a.gov.cn/kept.pdf"]
    arc = Archive(tmp_path)
    for (sha,) in arc.db.execute("SELECT sha256 FROM documents"):
        assert arc.read_blob(sha) == b"kept"
    # the lost row's bytes are on disk, unnamed: writing them again finds them and names them
    sha, state = arc.add_document(b"lost", url="http://a.gov.cn/lost.pdf")
    assert state == "new" and arc.read_blob(sha) == b"lost"
    arc.close()
    assert urls(tmp_path) == ["http://a.gov.cn/kept.pdf", "http://a.gov.cn/lost.pdf"]
    assert not list((tmp_path / "blobs").rglob(".tmp-*"))
