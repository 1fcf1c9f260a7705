"""Columns whose lists a script draws, one per CMS family (crawler/families.py LIST_APIS), crawled
on the sample portal: every listed report is reached when the API answers; when it fails (500)
the column is `partial` with its counts, the health table says so and the calendar says
`unverified`, not `missing`. Also: the date evidence kept apart, 2017/2018 read as legacy."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import crawler.portal.server as portal_server
from crawler.listapi import declared, read_answer, script_calls
from crawler.runner import run_crawl
from gongkai.demo import write_registry

SITES = ("/kfq/", "/xianju/", "/altay/", "/tacheng/")


def bodies(truth: dict) -> list[str]:
    return [a["name"] for a in truth["agencies"] if any(s in a["portal"] for s in SITES)]


def crawl(tmp: Path, fail_api: bool) -> tuple[dict, dict, Path]:
    with portal_server.start_portal(fail_api=fail_api) as p:
        truth = p.truth()
        reg = write_registry(truth, tmp / "registry.yaml")
        s = run_crawl(tmp, reg, bodies(truth), progress=False, today=truth["today"])
        if not fail_api:
            s["second"] = run_crawl(tmp, reg, bodies(truth), progress=False, today=truth["today"])
    assert s["reason"] == "finished"
    return truth, s, tmp


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    return crawl(tmp_path_factory.mktemp("lists"), fail_api=False)


@pytest.fixture(scope="module")
def half(tmp_path_factory):
    return crawl(tmp_path_factory.mktemp("lists-fail"), fail_api=True)


def stored_urls(data: Path) -> set[str]:
    return {u for (u,) in sqlite3.connect(data / "archive.db").execute("SELECT url FROM document_urls")}


def test_every_family_reaches_every_listed_report(whole) -> None:
    truth, s, data = whole
    names = set(bodies(truth))
    want = {u for r in truth["reports"] if r["agency"] in names for u in r["urls"]}
    assert want and want <= stored_urls(data)
    assert s["partial"] == []
    db = sqlite3.connect(data / "archive.db")
    families = {x["family"] for x in truth["traps"]["script_lists"]}
    assert families == {"trs_trt", "hanweb_jpage", "json_codeid", "jyh_shtml"}
    for col in truth["traps"]["script_lists"]:
        recs, items = db.execute("SELECT max(declared_records), max(items_seen) FROM column_captures WHERE column_root = ?",
                                 [col["column"]]).fetchone()
        assert items == col["listed"] and recs == col["listed"], col
        assert col["static"] < col["listed"]  # each column holds more than its static part shows
    # the API calls went out as their scripts make them
    fetched = [u for (u,) in db.execute("SELECT url FROM fetches")]
    assert any("/trsapi/search/list2.trsapi?" in u and "classsql=chnlid%3D41233" in u and "page=2" in u for u in fetched)
    assert any("dataproxy.jsp?startrecord=16&endrecord=30&perpage=5" in u for u in fetched)
    assert any(u.endswith("/altay/getFileListByCodeId") for u in fetched)
    assert any(u.endswith("/tacheng/c120100/common_list_3.shtml") for u in fetched)


def test_second_crawl_downloads_nothing(whole) -> None:
    truth, s, data = whole
    s2 = s["second"]
    assert s2["documents_new"] == 0 and s2["reports_new"] == 0 and s2["partial"] == []
    docs = {urlsplit(u).path for u in stored_urls(data)}
    rows = sqlite3.connect(data / "archive.db").execute("SELECT url, status FROM fetches WHERE crawl_id = ?",
                                                        [s2["crawl_id"]]).fetchall()
    assert [u for u, st in rows if st == 200 and urlsplit(u).path in docs] == []


def test_failing_api_leaves_the_columns_partial_with_counts(half) -> None:
    truth, s, data = half
    partial = {p["column"]: p for p in s["partial"]}
    for col in truth["traps"]["script_lists"]:
        p = partial[col["column"]]
        assert p["reached"] == col["static"], p
        if col["family"] != "json_codeid":  # a JSON list declares its size only in the answer that failed
            assert f"reached {col['static']} of {col['listed']} listed" in p["reason"]
        assert "failed" in p["reason"]
    kfq = next(c for c in truth["traps"]["script_lists"] if c["family"] == "trs_trt")
    assert partial[kfq["column"]]["reason"].startswith("reached 10 of 20 listed")
    names = set(bodies(truth))
    static = {u for r in truth["reports"] if r["agency"] in names for u in r["urls"]} & stored_urls(data)
    assert static  # what the static parts list is still crawled


def test_partial_health_and_no_missing_verdict(half) -> None:
    from archive.calendar import run_check
    from archive.extractor import run_extract
    from archive.store import Archive

    truth, _s, data = half
    names = set(bodies(truth))
    with Archive(data) as arc:
        run_extract(arc, progress=False)
        out = run_check(arc, date.fromisoformat(truth["today"]), progress=False)
        health = {r["agency"]: r for r in arc.db["crawl_health"].rows}
    for n in names:
        assert health[n]["status"] == "partial", health[n]
    assert "reached 10 of 20 listed" in health["奎屯经济技术开发区管理委员会"]["reason"]
    got = {(v["agency"], v["year"]): v for v in out["verdicts"]}
    unverified = 0
    for c in truth["compliance"]:
        if c["agency"] not in names:
            continue
        v = got[(c["agency"], c["year"])]
        assert v["status"] != "missing", v  # half a list is no evidence of absence
        if c["status"] in ("on_time", "late") and v["status"] not in ("on_time", "late"):
            assert v["status"] == "unverified" and "reached" in json.loads(v["evidence"])["reason"]
            unverified += 1
        if c["status"] == "missing":
            assert v["status"] == "unverified"
    assert unverified >= 10


def test_whole_lists_give_the_truths_verdicts_dates_and_legacy(whole) -> None:
    from archive.calendar import run_check
    from archive.extractor import run_extract
    from archive.store import Archive

    truth, _s, data = whole
    names = set(bodies(truth))
    with Archive(data) as arc:
        run_extract(arc, progress=False)
        out = run_check(arc, date.fromisoformat(truth["today"]), progress=False)
        formats = {(r["agency"], r["year"]): r["format"] for r in arc.db.query(
            "SELECT agency, year, format FROM reports WHERE current = 1")}
    got = {(v["agency"], v["year"]): v for v in out["verdicts"]}
    for c in truth["compliance"]:
        if c["agency"] in names:
            assert got[(c["agency"], c["year"])]["status"] == c["status"], (c, got[(c["agency"], c["year"])])
            if c["published"]:
                assert got[(c["agency"], c["year"])]["published"] == c["published"]
    assert any(c["status"] == "missing" for c in truth["compliance"] if c["agency"] in names)
    # the TRS article's URL says 2026-03-13, its list 2026-03-10; the article itself shows no date
    v = got[("奎屯经济技术开发区管理委员会", 2025)]
    assert v["published"] == "2026-03-10" and v["published_source"] == "list_date"
    dates = json.loads(v["evidence"])["dates"]
    assert dates["list_date"] == "2026-03-10" and dates["url_date"] == "2026-03-13" and dates["used"] == "list_date"
    # where the article carries its own date, that is the evidence used
    assert got[("塔城市人民政府", 2024)]["published_source"] == "portal_date"
    # reports on 2017 and 2018: the pre-2019 free form, read through crawl and extract
    assert formats[("奎屯经济技术开发区管理委员会", 2017)] == "legacy"
    assert formats[("奎屯经济技术开发区管理委员会", 2018)] == "legacy"
    assert formats[("奎屯经济技术开发区管理委员会", 2019)] == "2019"


# -- the script readers on their own ------------------------------------------------------------


def test_declared_counts_in_every_form() -> None:
    assert declared("listModel({recordCount: '20', maxStaticIndex: 1})") == (20, None)
    assert declared("<span>共14条</span> createPageHTML('page_div', 3, 1, 'common_list', 'shtml', 14);") == (14, 3)
    assert declared('createPageHTML(4, 0, "index", "html");') == (None, 4)
    assert declared("页次：1/3 每页15条") == (None, 3)
    assert declared("var columnid = 1001, totalpage = 4;") == (None, 4)
    assert declared("<totalrecord>19</totalrecord><totalpage>4</totalpage>") == (19, 4)
    assert declared("jpage({totalRecord: 40, perPage: 15})") == (40, None)
    assert declared("<p>一共有3个部门</p>") == (None, None)


def test_script_calls_and_answers() -> None:
    base = "http://h/kfq/col/"
    trt = ("require(['list2.trsapi'], function(){listModel({recordCount: '25', maxStaticIndex: 1, pagebar: {prepage: 10},"
           " listArgs: {channelid: 'abc', classsql: \"chnlid=9\", sortfield: \"-docreltime\", prepage: 10}});});")
    calls = script_calls(trt, base)
    assert [c.page for c in calls] == [2, 3] and all(c.method == "GET" for c in calls)
    assert calls[0].url.startswith("http://h/trsapi/search/list2.trsapi?") and "classsql=chnlid%3D9" in calls[0].url
    # a page that holds fewer records than maxStaticIndex pages would (a template only): ask for them all
    assert [c.page for c in script_calls(trt, base, static_records=0)] == [1, 2, 3]
    assert [c.page for c in script_calls(trt, base, static_records=10)] == [2, 3]
    jpage = ("<record><![CDATA[<li>a</li>]]></record>" * 3 + "$('#1').jpage({proxyUrl: '/module/web/jpage/dataproxy.jsp',"
             " perPage: 2, groupSize: 2, totalRecord: 9, ajaxParam: {col: 1, webid: 7, columnid: 55, unitid: '8'}});")
    calls = script_calls(jpage, base)
    assert [c.url.split("?")[1] for c in calls] == ["startrecord=4&endrecord=7&perpage=2", "startrecord=8&endrecord=11&perpage=2"]
    assert calls[0].method == "POST" and calls[0].form == {"col": "1", "webid": "7", "columnid": "55", "unitid": "8"}
    js = ("var codeId = 'c1', channelId = 'x'; $.ajax({url: '/getFileListByCodeId', type: 'POST',"
          " data: {codeId: codeId, channelId: channelId, pageNo: 1, pageSize: 20}});")
    (call,) = script_calls(js, base)
    assert call.form == {"codeId": "c1", "channelId": "x", "pageNo": "1", "pageSize": "20"}
    answer = json.dumps({"code": 200, "results": {"data": {"total": 2, "results": [
        {"title": "A", "url": "/a.html", "publishedTimeStr": "2025-01-02 10:00:00"}]}}})
    assert read_answer("json_codeid", answer) == ([("/a.html", "A", "2025-01-02 10:00:00")], 2)
    xml = ('<datastore><recordset><record><![CDATA[<li><a href="/art/1.html" title="T">T…</a><span>2025-01-02</span></li>]]>'
           "</record></recordset><totalrecord>7</totalrecord></datastore>")
    entries, total = read_answer("hanweb_jpage", xml)
    assert total == 7 and entries[0][:2] == ("/art/1.html", "T") and "2025-01-02" in entries[0][2]
    with pytest.raises(ValueError):
        read_answer("trs_trt", "<html>500 Internal Server Error</html>")
