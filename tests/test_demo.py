"""`gongkai demo --no-serve`: sample portal → crawl → extract → check, twice on the same data."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

import crawler.portal.server as portal_server
from gongkai.cli import main


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
    _one_report_per_body_year(db, truth, runner, tmp_path)


def _one_report_per_body_year(db: sqlite3.Connection, truth: dict, runner: CliRunner, data: Path) -> None:
    """Every report under the body it belongs to, once: notice pages and their attachments are one
    report, bodies outside the registry keep their own name, and every count agrees."""
    want = {(r["agency"], r["year"]) for r in truth["reports"]}
    got = [(a, y) for a, y in db.execute("SELECT agency, year FROM reports WHERE current = 1")]
    assert len(got) == len(set(got)) and set(got) == want
    unregistered = {u["name"] for u in truth["unregistered"]}
    assert {r[0] for r in db.execute("SELECT name FROM unregistered_bodies")} == unregistered
    assert {r[0] for r in db.execute("SELECT DISTINCT agency FROM reports WHERE current = 1 AND registered = 0")} \
        == unregistered
    # a notice page and the attachment it links are two documents of one report
    roles = Counter(r[0] for r in db.execute("SELECT role FROM reports WHERE parse_current = 1"))
    assert roles["report"] == len(want) and roles["notice"] > 0
    # completeness fails only where the report itself is incomplete
    incomplete = {(r["agency"], r["year"]) for r in truth["reports"]
                  if "completeness" in r["checks_fail"] and r["values"]["format"] != "legacy"}
    failed = {(a, y) for a, y in db.execute(
        "SELECT r.agency, r.year FROM check_results c JOIN reports r ON r.id = c.report_id"
        " WHERE c.[check] = 'completeness' AND c.ok = 0 AND r.current = 1")}
    assert failed == incomplete
    # the CSV export has one row per body-year; `check` and the dashboard count failed checks alike
    out = runner.invoke(main, ["export", "--data", str(data), "-o", str(data / "r.csv")])
    assert out.exit_code == 0, out.output
    import csv

    rows = list(csv.DictReader((data / "r.csv").open(encoding="utf-8-sig")))
    keys = [(r["agency"], r["year"]) for r in rows]
    assert len(keys) == len(set(keys)) == len(want)
    check = runner.invoke(main, ["check", "--data", str(data), "--json", "--as-of", truth["today"]])
    assert check.exit_code == 0, check.output
    failed_checks = json.loads(check.stdout)["summary"]["failed_checks"]
    assert failed_checks == db.execute("SELECT sum(n) FROM check_summary").fetchone()[0]
    # the dashboard (Datasette's real app) points to them
    import asyncio

    from archive.web.app import make_datasette

    async def home() -> str:
        return (await make_datasette(data).client.get("/")).text

    assert f"栏目中发现的未登记机关 {len(unregistered)} 个" in asyncio.run(home())
    # the registry grows from the shared columns: suggest → import → verdicts for those bodies
    sug = runner.invoke(main, ["registry", "suggest", "--data", str(data)])
    assert sug.exit_code == 0, sug.output
    (data / "new.yaml").write_text(sug.stdout, "utf-8")
    assert runner.invoke(main, ["registry", "import", str(data / "new.yaml"), "--data", str(data)]).exit_code == 0
    again = runner.invoke(main, ["check", "--data", str(data), "--json", "--as-of", truth["today"]])
    assert again.exit_code == 0, again.output
    judged = {a for (a,) in db.execute("SELECT DISTINCT agency FROM compliance")}
    assert unregistered <= judged
    assert not db.execute("SELECT count(*) FROM unregistered_bodies").fetchone()[0]
