"""The same archive gives the same checks and verdicts whatever order its documents came in."""

from __future__ import annotations

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
