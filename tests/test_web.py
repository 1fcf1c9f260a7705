"""The web app a county office and a researcher use, through Datasette's real app (ds.client):
home page = dashboard, regions by name, filters that hold, evidence pages, compare, search, feed,
and the CSV/verdict exports and CLI behaviour around them."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import shutil
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from click.testing import CliRunner
from servers import wait_listening

from archive import regions
from gongkai.cli import main


def client(data: Path):
    from archive.web.app import make_datasette

    ds = make_datasette(data)

    def get(path: str):
        return asyncio.run(ds.client.get(path))

    return get


def sql(data: Path, query: str, params: tuple = ()) -> list[tuple]:
    con = sqlite3.connect(data / "archive.db")
    try:
        return con.execute(query, params).fetchall()
    finally:
        con.close()


def test_regions_from_the_division_tables() -> None:
    assert regions.full_name("654002") == "新疆维吾尔自治区 伊犁哈萨克自治州 伊宁市"
    assert regions.name("410823") == "武陟县" and regions.parent("654002") == "654000"
    assert regions.resolve("伊宁市") == ["654002"] and regions.resolve("654002") == ["654002"]
    assert regions.resolve("伊犁") == ["6540"] and regions.resolve("654000") == ["6540"]
    assert sorted(regions.resolve("伊宁")) == ["654002", "654021"]  # 伊宁市 and 伊宁县
    assert regions.resolve("新疆") == ["65"] and regions.resolve("没有这个地方") == []
    assert regions.name("999999") == "999999"  # unknown codes stay visible as codes


def test_region_buttons_group_many_regions() -> None:
    from archive.web.page_data import PILLS, pill_regions

    few = ["654002", "654003", "410823"]
    assert pill_regions(few, []) == sorted(few)  # a county office's own county: one click
    many = [f"{p}{c:02d}" for p in ("6540", "6542", "4108", "3310") for c in range(1, 30)]
    assert pill_regions(many, []) == ["330000", "410000", "650000"]  # first the provinces
    assert pill_regions(many, ["65"]) == ["654000", "654200"]  # then the prefectures of the one chosen
    assert len(pill_regions(many, ["6540"])) == 29 <= PILLS  # then its counties


def test_home_is_the_dashboard_in_chinese(demo_data: Path) -> None:
    get = client(demo_data)
    home = get("/")
    assert home.status_code == 200 and 'id="gk-dashboard"' in home.text
    assert "判定基准日" in home.text and "2026-04-30" in home.text  # the verdicts' as-of date
    db_page = get("/archive").text
    for internal in ("compliance_summary", "check_summary", "_migrations", "_search_digits", "warc_payloads"):
        assert f'href="/archive/{internal}"' not in db_page, internal
    meta = get("/-/metadata.json").json()
    assert meta["title"].startswith("政府信息公开工作年度报告档案") and meta["license"] and meta["source"]
    # Chinese on the table page, internal names in the JSON API
    page = get("/archive/check_results?ok=0&check=balance").text
    assert "收支平衡" in page and "校验项<br><small>check</small>" in page
    api = get("/archive/check_results.json?ok=0&check=balance&_shape=array").json()
    assert api and {r["check"] for r in api} == {"balance"}
    assert "近 14 天" in get("/archive/crawl_health").text
    facets = get("/archive/compliance").text  # facet names and values in Chinese, links keep the codes
    assert "判定结果（status）" in facets and "逾期未公开（missing）" in facets and "伊宁市（654002）" in facets
    assert "region=654002" in facets
    assert "伊宁市 <small>654002</small>" in get("/archive/agencies").text or "伊宁市</a>" in get(
        "/archive/agencies").text


def test_region_filter_takes_names_and_parents(demo_data: Path) -> None:
    get = client(demo_data)
    by_name = get("/?region=" + quote("伊宁市") + "&year=2024").text
    by_code = get("/?region=654002&year=2024").text
    problems = lambda t: re.findall(r'<tr class="gk-problem-\w+">\s*<td>([^<]+)</td>', t)  # noqa: E731
    assert problems(by_name) == problems(by_code) and problems(by_name)
    want = {a for (a,) in sql(demo_data, "select agency from compliance where region = '654002' and year = 2024"
                              " and status in ('late', 'missing', 'unreachable')")}
    assert set(problems(by_name)) == want
    # the prefecture: 伊宁市 (654002) and 奎屯 (654003), not 乌苏 (塔城地区 654202)
    parent = get("/?region=" + quote("伊犁")).text
    kpi = lambda t, st: int(re.search(rf'id="kpi-{st}"[^>]*>\s*<b>(\d+)</b>', t)[1])  # noqa: E731
    n = sql(demo_data, "select count(*) from compliance where region like '6540%' and status = 'on_time'")[0][0]
    assert kpi(parent, "on_time") == n and n > sql(
        demo_data, "select count(*) from compliance where region = '654002' and status = 'on_time'")[0][0]
    unknown = get("/?region=" + quote("伊宁镇不存在")).text
    assert "没有名为或代码为" in unknown and kpi(unknown, "on_time") == 0
    assert "新疆维吾尔自治区 伊犁哈萨克自治州 伊宁市" in by_name  # the scope names the region


def test_every_dashboard_link_keeps_the_filters(demo_data: Path) -> None:
    get = client(demo_data)
    page = get("/?year=2025&region=654002&kind=department").text
    tiles = re.findall(r'class="gk-kpi" id="kpi-(\w+)"[^>]*href="([^"]+)"', page)
    assert len(tiles) == 7
    for status, href in tiles:
        q = parse_qs(urlsplit(href.replace("&amp;", "&")).query)
        assert q == {"status": [status], "year": ["2025"], "region": ["654002"], "kind": ["department"]}, href
    missing = get("/-/gongkai/list?status=missing&year=2025&region=654002").text
    rows = re.findall(r"<tr>\s*<td>([^<]+)</td>.*?<td>(\d{4})</td>", missing, re.S)
    want = sql(demo_data, "select agency from compliance where status = 'missing' and year = 2025"
                          " and region = '654002'")
    assert {a for a, _ in rows} == {a for (a,) in want} and {y for _, y in rows} == {"2025"}
    # unreachable bodies are named on the dashboard, each with its evidence page
    assert "伊宁市审计局" in get("/?year=2025&region=654002").text
    # the failed-checks card counts the scope's reports and its links keep the scope
    card = get("/?year=2024&region=654002").text
    links = re.findall(r'class="gk-check-link" href="([^"]+)"', card)
    assert links and all("2024" in h and "654002" in h for h in links)
    table = get(links[0].replace("&amp;", "&"))
    assert table.status_code == 200
    everything = get("/").text.count("gk-check-link")
    assert everything >= len(links)


def test_verdict_page_shows_the_captured_column_page(demo_data: Path) -> None:
    get = client(demo_data)
    agency, year, sha, as_of = sql(demo_data, "select agency, year, sha256, as_of from compliance"
                                              " where status = 'missing' order by year desc limit 1")[0]
    page = get(f"/-/gongkai/verdict?agency={quote(agency)}&year={year}").text
    assert "逾期未公开" in page and as_of in page
    frame = re.search(r'<iframe class="gk-evidence" id="gk-capture-frame" src="([^"]+)" sandbox=""', page)
    assert frame and frame[1] == f"/-/blob/{sha}"
    time = json.loads(sql(demo_data, "select evidence from compliance where agency = ? and year = ?",
                          (agency, year))[0][0])["captures"][0]["time"]
    assert f"{time} 抓取的栏目页面" in page
    stored = get(frame[1])
    assert stored.headers["content-type"].startswith("text/html")  # a page, not a .bin download
    csp = stored.headers["content-security-policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp and "script" not in csp
    assert stored.headers["content-disposition"].startswith("inline")


def test_pdfs_inline_and_pages_sandboxed(demo_data: Path) -> None:
    get = client(demo_data)
    (pdf,) = sql(demo_data, "select sha256 from documents where type = 'pdf' limit 1")[0]
    r = get(f"/-/blob/{pdf}")
    assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
    assert r.headers["content-disposition"].startswith("inline")  # shown in the browser, not saved
    assert "default-src 'none'" in r.headers["content-security-policy"]
    (page,) = sql(demo_data, "select sha256 from documents where type = 'html' limit 1")[0]
    csp = get(f"/-/blob/{page}").headers["content-security-policy"]
    assert csp.startswith("sandbox;") and "default-src 'none'" in csp
    # a report in a PDF: its verdict page shows the PDF in place
    agency, year = sql(demo_data, "select c.agency, c.year from compliance c join reports r on r.id = c.report_id"
                                  " join documents d on d.sha256 = r.sha256 where d.type = 'pdf' limit 1")[0]
    body = get(f"/-/gongkai/verdict?agency={quote(agency)}&year={year}").text
    assert 'id="gk-report-frame"' in body and "年报原件（PDF）" in body


def test_a_revisit_capture_links_the_original_response(demo_data: Path, tmp_path: Path) -> None:
    """After a later crawl finds the same page, its record is a payload-less revisit: the evidence
    link must lead to the response record that holds the page."""
    from warcio.archiveiterator import ArchiveIterator

    data = tmp_path / "data"
    shutil.copytree(demo_data, data)
    wfile, woff, sha = sql(data, "select warc_file, warc_offset, sha256 from fetches"
                                 " where warc_type = 'revisit' and status = 200 and size > 0 limit 1")[0]
    agency, year, ev = sql(data, "select agency, year, evidence from compliance where status = 'missing' limit 1")[0]
    ev = json.loads(ev)
    ev["captures"][0].update(warc=f"{wfile}:{woff}", sha256=sha)
    con = sqlite3.connect(data / "archive.db")
    con.execute("update compliance set evidence = ?, warc = ?, sha256 = ? where agency = ? and year = ?",
                (json.dumps(ev), f"{wfile}:{woff}", sha, agency, year))
    con.commit()
    con.close()
    get = client(data)
    page = get(f"/-/gongkai/verdict?agency={quote(agency)}&year={year}").text
    href = re.search(r'class="gk-capture-warc" href="([^"]+)"', page)[1].replace("&amp;", "&")
    pfile, poff = sql(data, "select warc_file, warc_offset from warc_payloads where sha256 = ?", (sha,))[0]
    assert href == f"/-/gongkai/warc/{pfile}?offset={poff}" and (pfile, poff) != (wfile, woff)
    rec = next(iter(ArchiveIterator(io.BytesIO(get(href).content))))
    assert rec.rec_type == "response" and len(rec.content_stream().read()) > 0
    # the table page and the canned query link the same record
    for path in (f"/archive/compliance?agency={quote(agency)}&year={year}", "/archive/missing?_size=max"):
        cell = get(path).text
        assert f'href="/-/gongkai/warc/{pfile}?offset={poff}"' in cell, path
        assert f"offset={woff}\"" not in cell or woff == poff


def test_compare_two_regions_and_a_parent(demo_data: Path) -> None:
    get = client(demo_data)
    page = get("/-/gongkai/compare?a=" + quote("伊宁市") + "&b=654003&ya=2024&yb=2024").text
    assert "伊宁市 2024" in page and "奎屯市 2024" in page and page.count("<svg") >= 4
    cells = re.search(r"<td>逾期公开</td><td class=\"n\">(\d+)</td><td class=\"n\">(\d+)</td>", page)
    want = [sql(demo_data, "select count(*) from compliance where status = 'late' and year = 2024 and region = ?",
                (r,))[0][0] for r in ("654002", "654003")]
    assert [int(cells[1]), int(cells[2])] == want
    received = re.search(r"<td>依申请：新收申请（件）</td><td class=\"n\">(\d+)</td>", page)
    n = sql(demo_data, "select sum(q.new_received_total) from reports r join report_requests q on q.report_id = r.id"
                       " where r.current = 1 and r.year = 2024 and r.region = '654002'")[0][0]
    assert int(received[1]) == n
    parent = get("/-/gongkai/compare?a=654002&vs=parent&ya=2025&yb=2025").text
    assert "伊犁哈萨克自治州" in parent
    # the problem lists come before the charts in the page (a phone shows them first)
    assert parent.index('id="gk-compare-problems"') < parent.index('class="gk-chart"')


def test_search_newest_year_first_with_filters(demo_data: Path) -> None:
    get = client(demo_data)
    page = get("/-/gongkai/search?q=" + quote("公开")).text
    years = [int(y) for y in re.findall(r"</a></td><td>[^<]*</td><td>(\d{4})</td>", page)]
    assert years and years == sorted(years, reverse=True)
    only = get("/-/gongkai/search?q=" + quote("公开") + "&year=2024&region=" + quote("伊宁市")).text
    rows = re.findall(r"</a></td><td>([^<]*)</td><td>(\d{4})</td>", only)
    assert rows and {r for r in rows} == {("伊宁市", "2024")}
    # a table page shows an excerpt of each report's text, not the whole text
    table = get("/archive/report_text?_size=20").text
    cells = re.findall(r'<td class="col-text type-str">(.*?)</td>', table, re.S)
    assert len(cells) == 20 and "全文见年报页面" in table
    assert max(len(re.sub(r"<[^>]+>", "", c)) for c in cells) < 260


def test_atom_feed_of_late_and_missing(demo_data: Path) -> None:
    get = client(demo_data)
    r = get("/-/gongkai/feed.atom?region=654002")
    assert r.headers["content-type"].startswith("application/atom+xml")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.fromstring(r.content)
    entries = feed.findall("a:entry", ns)
    want = sql(demo_data, "select count(*) from compliance where region = '654002' and status in ('late', 'missing')")
    assert len(entries) == want[0][0]
    link = entries[0].find("a:link", ns).get("href")
    assert "/-/gongkai/verdict?" in link and get(link.split("localhost", 1)[-1]).status_code == 200



def test_atom_feed_newest_first_by_alert_state(demo_data: Path, tmp_path: Path) -> None:
    """When the alerts run, a verdict that turned late or missing recently leads the feed."""
    data = tmp_path / "data"
    shutil.copytree(demo_data, data)
    agency, year = sql(data, "select agency, year from compliance where status = 'missing' order by agency desc")[0]
    con = sqlite3.connect(data / "archive.db")
    con.execute("create table alert_state (key text primary key, state text, since text)")
    con.execute("insert into alert_state values (?, 'missing', '2026-05-02T08:00:00Z')", (f"verdict|{agency}|{year}",))
    con.commit()
    con.close()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    first = ET.fromstring(client(data)("/-/gongkai/feed.atom").content).find("a:entry", ns)
    assert first.find("a:title", ns).text.startswith(f"{agency} {year}")
    assert first.find("a:updated", ns).text == "2026-05-02T00:00:00Z"


def test_web_csv_export_for_excel(demo_data: Path) -> None:
    get = client(demo_data)
    r = get("/-/gongkai/export.csv?year=2024&region=" + quote("伊宁市"))
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert "机关" in rows[0] and "报告年度" in rows[0] and "本年新收政府信息公开申请数量·自然人" in rows[0]
    n = sql(demo_data, "select count(*) from reports where current = 1 and year = 2024 and region = '654002'"
                       " and parse_status in ('ok', 'inconsistent', 'incomplete')")[0][0]
    assert len(rows) == 1 + n


def export(data: Path, *args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, ["export", "--data", str(data), *args])
    return res.exit_code, res.stdout, res.stderr


def test_cli_export(demo_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "y.csv"
    code, stdout, _ = export(demo_data, "--labels", "zh", "--year", "2024", "--region", "伊犁", "-o", str(out),
                             "--json")
    assert code == 0
    summary = json.loads(stdout)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert summary["rows"] == len(rows) > 0 and summary["regions"] == ["新疆维吾尔自治区 伊犁哈萨克自治州"]
    assert {r["报告年度"] for r in rows} == {"2024"} and all(r["行政区划代码"].startswith("6540") for r in rows)
    # the verdicts: the compliance table, in Chinese
    vout = tmp_path / "v.csv"
    assert export(demo_data, "--verdicts", "--labels", "zh", "--year", "2025", "-o", str(vout))[0] == 0
    vrows = list(csv.DictReader(io.StringIO(vout.read_text("utf-8-sig"))))
    n = sql(demo_data, "select count(*) from compliance where year = 2025")[0][0]
    assert len(vrows) == n and {"按时公开", "逾期未公开"} <= {r["判定结果"] for r in vrows}
    assert {r["地区名称"] for r in vrows} >= {"伊宁市", "武陟县"}
    code, _, err = export(demo_data, "--region", "火星")
    assert code != 0 and "火星" in err


def test_export_keeps_a_report_without_its_tables(demo_data: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo_data, data)
    before = export(data, "--format", "json")[1]
    con = sqlite3.connect(data / "archive.db")
    rid = con.execute("select report_id from report_appeals limit 1").fetchone()[0]
    con.execute("delete from report_appeals where report_id = ?", (rid,))
    con.execute("delete from report_requests where report_id = ?", (rid,))
    con.commit()
    con.close()
    after = json.loads(export(data, "--format", "json")[1])
    assert len(after) == len(json.loads(before)) and rid in {r["id"] for r in after}


def test_commands_that_read_need_an_archive(tmp_path: Path) -> None:
    typo = tmp_path / "gongkai-dta"
    for args in (["serve"], ["check"], ["extract"], ["export"]):
        res = CliRunner().invoke(main, [*args, "--data", str(typo)])
        assert res.exit_code != 0 and "no archive here" in res.output + res.stderr, args
    assert not typo.exists()


def test_check_loads_no_registry_behind_the_users_back(tmp_path: Path) -> None:
    data = tmp_path / "data"
    from archive.store import Archive

    Archive(data).close()
    res = CliRunner().invoke(main, ["check", "--data", str(data), "--as-of", "2026-04-30", "--json"])
    assert res.exit_code == 0, res.output
    assert "registry: none" in res.stderr and json.loads(res.stdout)["verdicts"] == []
    assert sql(data, "select count(*) from agencies")[0][0] == 0


def test_ingest_fails_when_a_file_failed(tmp_path: Path) -> None:
    bad = tmp_path / "in"
    bad.mkdir()
    (bad / "empty.pdf").write_bytes(b"")
    res = CliRunner().invoke(main, ["ingest", str(bad), "--data", str(tmp_path / "data")])
    assert res.exit_code != 0 and "empty.pdf: the file is empty" in res.stderr
    assert "registry: none" in res.stderr  # says which registry it used: none, and loads none


def test_registry_accepts_chinese_kinds(tmp_path: Path) -> None:
    from archive.registry import RegistryError, load_registry

    reg = tmp_path / "r.yaml"
    reg.write_text("agencies:\n" + "".join(
        f"  - {{name: 某{k}, kind: {k}, region: '654002', portal: 'http://127.0.0.1:9/'}}\n"
        for k in ("政府", "部门", "乡镇", "事业单位")), "utf-8")
    kinds = [a["kind"] if isinstance(a, dict) else a.kind for a in load_registry(reg).agencies]
    assert kinds == ["government", "department", "town", "institution"]
    reg.write_text("agencies:\n  - {name: 某, kind: 衙门, region: '654002', portal: 'http://127.0.0.1:9/'}\n", "utf-8")
    with pytest.raises(RegistryError, match="衙门"):
        load_registry(reg)


def test_serve_checks_the_port_first(demo_data: Path) -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    try:
        res = CliRunner().invoke(main, ["serve", "--data", str(demo_data), "--port", str(s.getsockname()[1])])
    finally:
        s.close()
    assert res.exit_code != 0 and "cannot serve" in res.stderr and "serving" not in res.stderr


def test_plain_datasette_gives_the_same_app(demo_data: Path, tmp_path: Path) -> None:
    """`datasette gongkai-data/archive.db` (and `datasette gongkai-data/`) load the plugin through
    its entry point, as an installed gongkai declares it in pyproject.toml."""
    import os
    import socket
    import subprocess
    import sys
    import tomllib
    import urllib.request

    root = Path(__file__).resolve().parent.parent
    eps = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["project"]["entry-points"]["datasette"]
    assert eps == {"gongkai": "archive.web.plugin"}
    site = tmp_path / "site"
    dist = site / "gongkai_entrypoint-0.dist-info"  # what `pip install` writes from pyproject.toml
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: gongkai-entrypoint\nVersion: 0\n", "utf-8")
    (dist / "entry_points.txt").write_text("[datasette]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(root)])}
    for target in (demo_data / "archive.db", demo_data):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen([sys.executable, "-m", "datasette", "serve", str(target), "-p", str(port)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_listening(port, proc)
            home = urllib.request.urlopen(f"http://127.0.0.1:{port}/").read().decode()
            assert 'id="gk-dashboard"' in home and "判定基准日" in home, target
            missing = json.loads(urllib.request.urlopen(
                f"http://127.0.0.1:{port}/archive/missing.json?_shape=array").read())
            assert missing and {"agency", "capture", "warc"} <= set(missing[0]), target  # the canned query
            sha = missing[0]["capture"]
            blob = urllib.request.urlopen(f"http://127.0.0.1:{port}/-/blob/{sha}")  # finds the blob store
            assert blob.status == 200
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def test_export_streams_row_by_row(tmp_path: Path) -> None:
    """Memory stays flat whatever the number of rows: the export never holds the table."""
    import tracemalloc

    from archive.export import export_reports
    from archive.store import Archive

    data = tmp_path / "data"
    with Archive(data) as arc:
        with arc.db.conn:
            arc.db.conn.executemany(
                "insert into compliance (agency, year, region, kind, status, due, url, as_of)"
                " values (?, ?, '654002', 'town', 'missing', '2025-01-31', ?, '2026-04-30')",
                ((f"第{i}号乡人民政府", 2019 + i % 7, "http://127.0.0.1:9/" + "x" * 200) for i in range(40_000)),
            )

    class Sink(io.TextIOBase):
        n = 0

        def write(self, s: str) -> int:
            self.n += len(s)
            return len(s)

    with Archive(data) as arc:
        export_reports(arc, "csv", Sink(), verdicts=True, labels="zh", year=1990)  # loads the label tables
        regions.name("654002")  # and the division tables
        sink = Sink()
        tracemalloc.start()
        rows = export_reports(arc, "csv", sink, verdicts=True, labels="zh")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert rows == 40_000 and sink.n > 40_000 * 200
    assert peak < 2_000_000, peak  # a few rows at a time, not 8 MB of rows


def test_demo_checks_the_port_before_any_work(tmp_path: Path) -> None:
    import socket
    import time

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    t0 = time.monotonic()
    try:
        res = CliRunner().invoke(main, ["demo", "--data", str(tmp_path / "d"), "--port", str(s.getsockname()[1])])
    finally:
        s.close()
    assert res.exit_code != 0 and "cannot serve" in res.stderr
    assert time.monotonic() - t0 < 5 and not (tmp_path / "d").exists()  # no crawl was started
