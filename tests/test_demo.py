"""`gongkai demo --no-serve`: sample portal → crawl → extract → check, twice on the same data."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import main

portal_server = pytest.importorskip("crawler.portal.server")


def test_demo_no_serve_twice(tmp_path: Path) -> None:
    with portal_server.start_portal() as p:
        truth = p.truth()
    runner = CliRunner()
    r1 = runner.invoke(main, ["demo", "--no-serve", "--json", "--data", str(tmp_path)])
    assert r1.exit_code == 0, r1.output
    s1 = json.loads(r1.stdout)
    assert s1["reason"] == "finished"
    assert s1["reports_new"] == len(truth["reports"]) and s1["reports_changed"] == 0
    assert s1["documents_new"] == len({u for r in truth["reports"] for u in r["urls"]})
    assert s1["agencies_unreachable"] == len(truth["traps"]["login_protected_columns"])
    # the check's verdicts equal the truth's, verdict by verdict
    for status, n in Counter(c["status"] for c in truth["compliance"]).items():
        assert s1["verdicts"].get(status, 0) >= n  # the calendar may also judge years the truth leaves out
    db = sqlite3.connect(tmp_path / "archive.db")
    got = {(a, y): st for a, y, st in db.execute("SELECT agency, year, status FROM compliance")}
    diff = {(c["agency"], c["year"]): (c["status"], got.get((c["agency"], c["year"])))
            for c in truth["compliance"] if got.get((c["agency"], c["year"])) != c["status"]}
    assert diff == {}
    # run twice on the same --data: the second run downloads no document again
    r2 = runner.invoke(main, ["demo", "--no-serve", "--json", "--data", str(tmp_path)])
    assert r2.exit_code == 0, r2.output
    s2 = json.loads(r2.stdout)
    assert s2["documents_new"] == 0 and s2["reports_new"] == 0
    assert s2["reports_unchanged"] == len(truth["reports"])
    assert s2["verdicts"] == s1["verdicts"]
    # the WARCs: one file per run, both pass warcio's checker; the first holds a response record
    # for every stored payload (documents and column pages), the second revisits only
    warcs = sorted((tmp_path / "warc").glob("*.warc.gz"))
    assert [p.name for p in warcs] == sorted([s1["warc"]["file"], s2["warc"]["file"]])
    check = subprocess.run([str(Path(sys.executable).parent / "warcio"), "check", *map(str, warcs)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    payloads = {r[0] for r in db.execute(
        "SELECT sha256 FROM documents UNION SELECT sha256 FROM column_captures WHERE sha256 IS NOT NULL")}
    assert payloads <= {r[0] for r in db.execute("SELECT sha256 FROM warc_payloads")}
    assert s1["warc"]["records"]["response"] >= len(payloads)
    assert s2["warc"]["records"].get("response", 0) == 0
    assert s2["warc"]["records"]["revisit"] == s2["requests"]
