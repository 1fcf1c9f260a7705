"""The archive end to end: ingest the seed reports and generated documents, replay crawl evidence
through the write API, extract, check --as-of, then query Datasette through its real app and a
real browser."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from servers import free_port, wait_listening

from archive.extractor import pending_documents
from archive.registry import load_registry
from archive.store import Archive
from extract import EXTRACTOR_VERSION
from gongkai.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "tests" / "seeds").glob("*.txt"))
AS_OF = "2026-06-01"
GONGKAI = [sys.executable, "-m", "gongkai"]

REGISTRY = """
agencies:
  - {name: 伊宁市人民政府, kind: government, region: "654002", parent: 伊犁哈萨克自治州人民政府,
     portal: "http://127.0.0.1:9/yining/", cms: xj_shtml, columns: ["http://127.0.0.1:9/yining/c1/"]}
  - {name: 伊宁市潘津镇人民政府, kind: town, region: "654002", parent: 伊宁市人民政府,
     portal: "http://127.0.0.1:9/yining/", cms: xj_shtml, columns: []}
  - {name: 伊宁市巴彦岱镇人民政府, kind: town, region: "654002", parent: 伊宁市人民政府,
     portal: "http://127.0.0.1:9/yining/", cms: xj_shtml, columns: []}
  - {name: 伊宁市公安局, kind: department, region: "654002", parent: 伊宁市人民政府,
     portal: "http://127.0.0.1:9/yining/", cms: xj_shtml, columns: ["http://127.0.0.1:9/yining/c2/"]}
  - {name: 伊宁市住房和城乡建设局, kind: department, region: "654002", parent: 伊宁市人民政府,
     portal: "http://127.0.0.1:9/yining/", cms: xj_shtml, columns: ["http://127.0.0.1:9/yining/c3/"]}
  - {name: 伊宁市文化体育广播电视和旅游局, kind: department, region: "654002", parent: 伊宁市人民政府,
     portal: "http://127.0.0.1:9/yining/", cms: xj_shtml, columns: ["http://127.0.0.1:9/yining/c4/"]}
  - {name: 乌苏市甘河子镇人民政府, kind: town, region: "654202", parent: 乌苏市人民政府,
     portal: "http://127.0.0.1:9/wusu/", cms: generic, columns: []}
  - {name: 武陟县大封镇人民政府, kind: town, region: "410823", parent: 武陟县人民政府,
     portal: "http://127.0.0.1:9/wuzhi/", cms: generic, columns: []}
regions:
  "654002": {town_deadline: "01-31"}
"""


def seed(prefix: str) -> Path:
    return next(p for p in SEEDS if p.name.startswith(prefix))


def shifted(text: str, years: int) -> str:
    """A seed report moved `years` earlier (the year it reports on and its dates)."""
    for y in (2023, 2024, 2025, 2026):
        text = text.replace(str(y), f"@{y - years}@")
    return text.replace("@", "")


def run(args: list[str], data: Path) -> dict:
    res = CliRunner().invoke(main, [*args, "--data", str(data), "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def dump(data: Path) -> list[str]:
    con = sqlite3.connect(data / "archive.db")
    try:
        return list(con.iterdump())
    finally:
        con.close()


def build(tmp: Path) -> Path:
    """The test archive: the seeds (ingested), generated documents and a replayed crawl."""
    data = tmp / "data"
    (tmp / "registry.yaml").write_text(REGISTRY, "utf-8")
    folder = tmp / "reports"
    folder.mkdir()
    for p in SEEDS:
        shutil.copy(p, folder / p.name)
    # the city's 2023 report: the 2024 one moved a year back (copy-paste, and its 结转下年度 3
    # does not match 2024's 上年结转 0)
    (folder / "yining-2023.txt").write_text(shifted(seed("001").read_text("utf-8"), 1), "utf-8")
    (folder / "notes.txt").write_text("关于开展政府信息公开工作的通知\n各单位：请按时报送。", "utf-8")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n this is not a PDF at all")
    summary = run(["ingest", str(folder), "--registry", str(tmp / "registry.yaml")], data)
    assert summary["new"] == len(SEEDS) + 3 and not summary["errors"]

    town = seed("000").read_text("utf-8")
    with Archive(data) as arc:
        crawl = arc.start_crawl(options={"replay": "test"})
        # 公安局: its column was reached after the 2024 due date without a report → missing;
        # after the 2025 due date it could not be reached → unreachable
        arc.record_column_capture(
            crawl,
            "伊宁市公安局",
            "http://127.0.0.1:9/yining/c2/",
            b"<html>list</html>",
            200,
            0,
            captured_at="2025-02-10T02:00:00Z",
        )
        arc.record_column_capture(
            crawl,
            "伊宁市公安局",
            "http://127.0.0.1:9/yining/c2/",
            None,
            503,
            0,
            error="HTTP 503",
            captured_at="2026-02-05T02:00:00Z",
        )
        # 住建局: the portal dates its 2024 report 2025-03-05, due 2025-01-31 → 33 days late
        housing = town.replace("伊宁市潘津镇人民政府", "伊宁市住房和城乡建设局").replace("潘津镇", "住建局")
        arc.add_document(
            housing.encode(),
            url="http://127.0.0.1:9/yining/c3/1.shtml",
            crawl_id=crawl,
            agency="伊宁市住房和城乡建设局",
            portal_date="2025-03-05",
            fetched_at="2025-03-06T00:00:00Z",
        )
        # 文旅局: printed 2025-01-20, but a crawl on 2025-02-10 saw no report; first seen 2025-03-01
        culture = town.replace("伊宁市潘津镇人民政府", "伊宁市文化体育广播电视和旅游局").replace(
            "潘津镇", "文旅局"
        )
        earlier = arc.start_crawl(options={"replay": "test, 2025-02-10"})
        arc.record_column_capture(
            earlier,
            "伊宁市文化体育广播电视和旅游局",
            "http://127.0.0.1:9/yining/c4/",
            b"<html>empty</html>",
            200,
            0,
            captured_at="2025-02-10T02:00:00Z",
        )
        arc.finish_crawl(earlier, {"documents": 0})
        arc.add_document(
            culture.encode(),
            url="http://127.0.0.1:9/yining/c4/1.shtml",
            crawl_id=crawl,
            agency="伊宁市文化体育广播电视和旅游局",
            fetched_at="2025-03-01T00:00:00Z",
        )
        arc.finish_crawl(crawl, {"documents": 2})
    s = run(["extract", "--workers", "2"], data)
    assert s["documents"] == len(SEEDS) + 5
    assert s["statuses"]["error"] == 1 and "broken.pdf" in s["errors"][0]["error"]
    return data


@pytest.fixture(scope="module")
def archive_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("archive"))


@pytest.fixture(scope="module")
def checked(archive_dir: Path) -> dict:
    return run(["check", "--as-of", AS_OF], archive_dir)


def verdict(checked: dict, agency: str, year: int) -> dict:
    return next(v for v in checked["verdicts"] if v["agency"] == agency and v["year"] == year)


def test_compliance_verdicts(checked: dict) -> None:
    v = verdict(checked, "伊宁市人民政府", 2024)
    assert (v["status"], v["due"], v["published"], v["days_late"]) == (
        "on_time",
        "2025-03-31",
        "2025-01-28",
        0,
    )
    assert verdict(checked, "伊宁市人民政府", 2023)["published"] == "2024-01-28"
    assert verdict(checked, "伊宁市人民政府", 2026)["status"] == "pending"
    assert (
        verdict(checked, "伊宁市人民政府", 2021)["status"] == "unverified"
    )  # no crawl evidence: not missing
    assert verdict(checked, "伊宁市潘津镇人民政府", 2024)["due"] == "2025-01-31"  # the region's town rule
    assert verdict(checked, "伊宁市巴彦岱镇人民政府", 2025)["status"] == "on_time"
    assert verdict(checked, "乌苏市甘河子镇人民政府", 2024)["status"] == "on_time"  # 甘河子镇 ⊂ registry name
    assert verdict(checked, "武陟县大封镇人民政府", 2024)["status"] == "undated"  # no printed date, ingested
    missing = verdict(checked, "伊宁市公安局", 2024)
    assert missing["status"] == "missing" and missing["due"] == "2025-01-31"
    assert missing["evidence"]["captures"][0]["time"] == "2025-02-10T02:00:00Z"
    assert verdict(checked, "伊宁市公安局", 2025)["status"] == "unreachable"
    late = verdict(checked, "伊宁市住房和城乡建设局", 2024)
    assert (late["status"], late["published"], late["days_late"], late["published_source"]) == (
        "late",
        "2025-03-05",
        33,
        "portal_date",
    )
    back = verdict(checked, "伊宁市文化体育广播电视和旅游局", 2024)
    assert back["flags"] == "backdated?" and back["status"] == "late" and back["published"] == "2025-03-01"
    statuses = {v["status"] for v in checked["verdicts"]}
    assert statuses <= {"on_time", "late", "missing", "unreachable", "unverified", "undated", "pending"}


def test_failed_checks(checked: dict) -> None:
    failed = {(c["agency"], c["year"], c["check"]): c["detail"] for c in checked["failed_checks"]}
    assert "15 + 0 ≠ 15 + 3" in failed[("伊宁市人民政府", 2024, "balance")]  # seed 001's balance
    assert "≠" in failed[("伊宁市人民政府", 2024, "carry_over")]
    assert ("伊宁市人民政府", 2024, "same_numbers") in failed
    assert ("伊宁市人民政府", 2024, "same_text") in failed
    assert "section 4" in failed[("伊宁市巴彦岱镇人民政府", 2025, "completeness")]  # seed 004
    # the 住建局 and 文旅局 reports are 潘津镇's with the name changed; all-zero tables are common, so
    # only the text gives them away
    assert "伊宁市住房和城乡建设局" in failed[("伊宁市潘津镇人民政府", 2024, "sibling_text")]
    assert not any(c == "sibling_numbers" for _, _, c in failed)


def get(ds, path: str):
    async def go():
        return await ds.client.get(path)

    return asyncio.run(go())


def test_datasette(archive_dir: Path, checked: dict) -> None:
    from archive.web.app import make_datasette

    ds = make_datasette(archive_dir)
    r = get(ds, "/archive/compliance.json?agency=伊宁市公安局&year=2024&_shape=array")
    assert r.status_code == 200 and r.json()[0]["status"] == "missing"
    rows = get(ds, "/archive/late.json?_shape=array").json()
    assert {(r["agency"], r["days_late"]) for r in rows} >= {("伊宁市住房和城乡建设局", 33)}
    rows = get(ds, "/archive/missing.json?_shape=array").json()
    # one capture after the 2024 due date, listing nothing: evidence for every earlier year too
    assert {(r["agency"], r["year"]) for r in rows} == {("伊宁市公安局", y) for y in range(2019, 2025)} | {
        ("伊宁市文化体育广播电视和旅游局", y) for y in range(2019, 2024)
    }
    rows = get(ds, "/archive/inconsistent.json?_shape=array").json()
    assert any(r["agency"] == "伊宁市人民政府" and r["check"] == "balance" for r in rows)
    rows = get(ds, "/archive/carry_over.json?_shape=array").json()
    assert {(r["agency"], r["year"], r["check"]) for r in rows} == {
        ("伊宁市人民政府", 2024, "carry_over"),
        ("伊宁市人民政府", 2024, "roll_forward"),
    }  # 35 + 4 − 17 ≠ 35
    rows = get(ds, "/archive/reports.json?agency=伊宁市巴彦岱镇人民政府&_shape=array").json()
    assert rows[0]["parse_status"] == "incomplete" and "completeness" in rows[0]["checks_failed"]
    req = get(ds, f"/archive/report_requests/{rows[0]['id']}.json?_shape=array").json()[0]
    assert req["new_received_total"] is not None
    facets = get(ds, "/archive/compliance.json?_facet=status&_facet=region").json()["facet_results"]
    assert {f["value"] for f in facets["status"]["results"]} >= {"missing", "late", "on_time", "pending"}
    # the dashboard and a report page, with links to the original and the stored copy
    dash = get(ds, "/-/gongkai")
    assert dash.status_code == 200 and "<svg" in dash.text and "逾期未公开" in dash.text
    rid = verdict(checked, "伊宁市住房和城乡建设局", 2024)["report_id"]
    page = get(ds, f"/-/gongkai/report/{rid}")
    assert "http://127.0.0.1:9/yining/c3/1.shtml" in page.text and "逾期公开" in page.text
    sha = get(ds, f"/archive/reports/{rid}.json?_shape=array").json()[0]["sha256"]
    assert f"/-/blob/{sha}" in page.text
    blob = get(ds, f"/-/blob/{sha}")
    assert blob.status_code == 200 and "伊宁市住房和城乡建设局".encode() in blob.content
    assert "sandbox" in blob.headers["content-security-policy"]
    assert get(ds, "/-/blob/" + "0" * 64).status_code == 404


def test_search(archive_dir: Path) -> None:
    from archive.web.app import make_datasette

    ds = make_datasette(archive_dir)
    for q in ("依申请", "伊宁"):
        rows = get(ds, f"/archive/search.json?q={q}&_shape=array").json()
        agencies = {r["agency"] for r in rows}
        assert "伊宁市人民政府" in agencies and "伊宁市潘津镇人民政府" in agencies, (q, agencies)
    rows = get(ds, "/archive/search.json?q=伊宁&_shape=array").json()
    assert "武陟县大封镇人民政府" not in {r["agency"] for r in rows}
    rows = get(ds, "/archive/search.json?q=甘河子&_shape=array").json()
    assert {r["agency"] for r in rows} == {"乌苏市甘河子镇人民政府"}
    page = get(ds, "/-/gongkai/search?q=伊宁")
    assert "<mark>伊宁</mark>" in page.text


def test_reruns_change_nothing(archive_dir: Path, checked: dict, tmp_path: Path) -> None:
    before = dump(archive_dir)
    again = run(["check", "--as-of", AS_OF], archive_dir)
    assert again["summary"]["compliance_rows"] == {"deleted": 0, "written": 0}
    assert run(["extract"], archive_dir)["documents"] == 0
    folder = archive_dir.parent / "reports"
    assert run(["ingest", str(folder)], archive_dir)["new"] == 0
    assert dump(archive_dir) == before
    # export: one row per current report, numbers as columns
    out = tmp_path / "numbers.csv"
    res = CliRunner().invoke(main, ["export", "--data", str(archive_dir), "--format", "csv", "-o", str(out)])
    assert res.exit_code == 0, res.output
    lines = out.read_text("utf-8").splitlines()
    assert "new_received_total" in lines[0].split(",") and len(lines) == 1 + len(SEEDS) + 3


def test_schema_migrates_forward(tmp_path: Path) -> None:
    from archive.schema import SCHEMA_VERSION

    with Archive(tmp_path) as arc:
        arc.db.execute("DELETE FROM _migrations WHERE version > 1")  # an archive written by schema 1
        arc.db.conn.commit()
    with Archive(tmp_path) as arc:
        versions = [r[0] for r in arc.db.execute("SELECT version FROM _migrations ORDER BY version")]
        assert versions == list(range(1, SCHEMA_VERSION + 1))
        sha, state = arc.add_document(b"a", url="http://127.0.0.1:9/a")
        assert state == "new" and arc.add_document(b"b", url="http://127.0.0.1:9/a")[1] == "changed"
        assert arc.validators("http://127.0.0.1:9/a")["sha256"] != sha
        assert arc.blob_path(sha).read_bytes() == b"a"
        assert not list(arc.blobs.rglob(".tmp-*"))


def test_extract_killed_midway_loses_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    folder = tmp_path / "many"
    folder.mkdir()
    base = seed("001").read_text("utf-8")
    for i in range(60):
        (folder / f"r{i:02d}.txt").write_text(
            base.replace("伊宁市人民政府", f"第{i}号测试机关人民政府"), "utf-8"
        )
    run(["ingest", str(folder)], data)
    # the documents after the first five are named pipes while the first extract runs: its workers
    # block on them, so it cannot finish before the kill (they are put back before the second run)
    with Archive(data) as arc:
        order = [arc.blob_path(sha) for sha, _ in pending_documents(arc, EXTRACTOR_VERSION)]
    held = {p: p.read_bytes() for p in order[5:]}
    for p in held:
        p.unlink()
        os.mkfifo(p)
    proc = subprocess.Popen(
        [*GONGKAI, "extract", "--data", str(data), "--workers", "2", "--time-limit", "600"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    con = sqlite3.connect(data / "archive.db", timeout=30)
    deadline = time.time() + 120
    done = 0
    while time.time() < deadline and proc.poll() is None and done < 5:
        done = con.execute("SELECT count(*) FROM reports").fetchone()[0]
        time.sleep(0.05)
    assert done == 5 and proc.poll() is None, (done, proc.poll())
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = con.execute("SELECT count(*) FROM reports").fetchone()[0]
    con.close()
    assert done == 5
    for p, body in held.items():
        p.unlink()
        p.write_bytes(body)
    s = run(["extract", "--workers", "2"], data)
    assert s["documents"] == 60 - done
    con = sqlite3.connect(data / "archive.db")
    assert con.execute("SELECT count(*), count(DISTINCT sha256) FROM reports").fetchone() == (60, 60)
    # every report is whole: its numbers were written in the same transaction
    assert con.execute("SELECT count(*) FROM report_requests").fetchone()[0] == 60
    con.close()


# -- a real browser -------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def browser(url: str, tmp: Path, *extra: str) -> str:
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        f"--user-data-dir={tmp}",
        "--hide-scrollbars",
        *extra,
        url,
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_browser(archive_dir: Path, checked: dict, tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [*GONGKAI, "serve", "--data", str(archive_dir), "--port", str(port), "--host", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_listening(port, server)
        artifacts = ROOT / "ci-artifacts"
        artifacts.mkdir(exist_ok=True)
        dom = browser(f"{base}/-/gongkai", tmp_path / "c1", "--dump-dom")
        assert "合规仪表盘" in dom and 'id="kpi-missing"' in dom and "<svg" in dom
        assert "伊宁市住房和城乡建设局" in dom and "伊宁市公安局" in dom  # the late and the missing
        browser(
            f"{base}/-/gongkai",
            tmp_path / "c2",
            "--window-size=1280,1700",
            f"--screenshot={artifacts / 'archive-dashboard.png'}",
        )
        rid = verdict(checked, "伊宁市人民政府", 2024)["report_id"]
        dom = browser(f"{base}/-/gongkai/report/{rid}", tmp_path / "c3", "--dump-dom")
        assert "伊宁市人民政府 2024 年度" in dom and "balance" in dom and 'id="gk-stored"' in dom
        browser(
            f"{base}/-/gongkai/report/{rid}",
            tmp_path / "c4",
            "--window-size=1280,2200",
            f"--screenshot={artifacts / 'archive-report.png'}",
        )
        assert (artifacts / "archive-dashboard.png").stat().st_size > 10_000
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_capture_from_the_crawl_that_found_the_report_does_not_backdate_it(tmp_path: Path) -> None:
    # real clocks: the column page is stored a moment before the report it lists
    data = tmp_path / "data"
    reg = tmp_path / "registry.yaml"
    reg.write_text(REGISTRY, encoding="utf-8")
    with Archive(data) as arc:
        arc.upsert_agencies(load_registry(reg).agencies)
    culture = seed("000").read_text(encoding="utf-8").replace("伊宁市潘津镇人民政府", "伊宁市文化体育广播电视和旅游局")
    with Archive(data) as arc:
        crawl = arc.start_crawl()
        arc.record_column_capture(crawl, "伊宁市文化体育广播电视和旅游局", "http://127.0.0.1:9/yining/c4/",
                                  b"<html>list</html>", 200, 1, captured_at="2025-03-01T00:00:00Z")
        arc.add_document(culture.encode(), url="http://127.0.0.1:9/yining/c4/1.shtml", crawl_id=crawl,
                         agency="伊宁市文化体育广播电视和旅游局", portal_date="2025-01-20",
                         fetched_at="2025-03-01T00:00:01Z")
        arc.finish_crawl(crawl, {"documents": 1})
    run(["extract"], data)
    v = verdict(run(["check", "--as-of", AS_OF], data), "伊宁市文化体育广播电视和旅游局", 2024)
    assert v["flags"] is None and v["status"] == "on_time" and v["published"] == "2025-01-20"
