"""The same archive gives the same checks and verdicts whatever order its documents came in."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from archive.calendar import run_check, verdicts_json
from archive.extractor import run_extract
from archive.ingest import ingest
from archive.store import Archive

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# three reports, each in three formats: several reports per body and year to choose from
FILES = [f"{n:03d}.{ext}" for n in range(3) for ext in ("docx", "html", "rl.pdf")]


def outcome(data: Path, files: list[str], tmp: Path) -> tuple[list, list]:
    src = tmp / data.name
    src.mkdir()
    for i, name in enumerate(files):  # ingest order = first-seen order = report id order
        shutil.copy(FIXTURES / name, src / name)
        os.utime(src / name, (1_700_000_000 + i * 60,) * 2)
    with Archive(data) as arc:
        ingest(arc, [str(src)], progress=False)
        run_extract(arc, workers=2, progress=False)
        s = run_check(arc, date(2025, 6, 1), progress=False)
        sha = dict(arc.db.execute("SELECT id, sha256 FROM reports").fetchall())
    failed = [{**c, "report_id": sha[c["report_id"]]} for c in s["failed_checks"]]
    verdicts = []
    for v in verdicts_json(s["verdicts"]):
        ev = v.pop("evidence") or {}
        for r in ev.get("reports") or []:
            r["report_id"] = sha.get(r["report_id"])
            r.pop("first_seen", None)  # the ingest times differ on purpose
        verdicts.append({**v, "report_id": sha.get(v["report_id"]), "evidence": ev})
    return failed, verdicts


@pytest.mark.timeout(240)
def test_checks_do_not_depend_on_document_order(tmp_path: Path) -> None:
    a = outcome(tmp_path / "a", FILES, tmp_path)
    b = outcome(tmp_path / "b", FILES[::-1], tmp_path)
    assert a[0] and a[0] == b[0]
    assert a[1] == b[1]


def _indexes(data: Path) -> set[str]:
    with Archive(data) as arc:
        return {n for (n,) in arc.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'compliance' AND sql IS NOT NULL")}


@pytest.mark.timeout(240)
def test_a_first_check_builds_the_verdict_indexes_once_and_judges_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A first check of many bodies drops the verdict table's indexes, fills it and builds them
    again: the same verdicts as row by row, the same indexes after, and a run killed in between
    has them rebuilt by the next check."""
    import sys

    import archive.calendar as calendar

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from archive_scale import build

    build(tmp_path / "a", 300)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    indexes = _indexes(tmp_path / "a")
    assert len(indexes) >= 3
    day = date(2026, 6, 1)
    dropped: list[int] = []
    real_bulk = calendar._bulk_load

    def watch(arc: Archive, table: str, bodies: int):  # type: ignore[no-untyped-def]
        dropped.append(bodies)
        return real_bulk(arc, table, bodies)

    monkeypatch.setattr(calendar, "_bulk_load", watch)
    monkeypatch.setattr(calendar, "BULK_BODIES", 100)
    with Archive(tmp_path / "a") as arc:
        bulk = sorted(map(str, verdicts_json(run_check(arc, day, progress=False)["verdicts"])))
    assert dropped == [300] and _indexes(tmp_path / "a") == indexes
    monkeypatch.setattr(calendar, "BULK_BODIES", 10**9)
    with Archive(tmp_path / "b") as arc:
        row_by_row = sorted(map(str, verdicts_json(run_check(arc, day, progress=False)["verdicts"])))
    assert bulk == row_by_row and len(bulk) > 300

    # killed after the drop: the next check (here a re-run, which is no bulk load) rebuilds them
    with Archive(tmp_path / "a") as arc, arc.db.conn:
        sqls = [s for (s,) in arc.db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'compliance' AND sql IS NOT NULL")]
        arc.db.execute("INSERT INTO _state (key, value) VALUES ('deferred_indexes', ?)", [json.dumps(sqls)])
        for name in indexes:
            arc.db.execute(f"DROP INDEX [{name}]")
    assert _indexes(tmp_path / "a") == set()
    with Archive(tmp_path / "a") as arc:
        run_check(arc, day, progress=False)
        assert arc.db.execute("SELECT count(*) FROM _state WHERE key = 'deferred_indexes'").fetchone()[0] == 0
    assert _indexes(tmp_path / "a") == indexes
