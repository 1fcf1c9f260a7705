"""Documents → reports on a real SQLite archive (archive/reports.py): a shared year column, notice
pages and their attachments, versions, ambiguous names, and a registry that grows afterwards."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from archive.extractor import store_report
from archive.reports import organise
from archive.store import Archive
from crawler.portal.agencies import Agency
from crawler.portal.values import gen_series
from extract.checks import run_checks
from extract.form import request_keys

COUNTY = "霍城县人民政府"
COLUMN = "http://www.xjhc.gov.cn/xjhc/C116872/"
REGISTRY = [
    {"name": COUNTY, "kind": "government", "region": "654023", "parent": "伊犁哈萨克自治州人民政府",
     "portal": "http://www.xjhc.gov.cn/xjhc/", "cms": "xj_shtml", "columns": [COLUMN]},
    {"name": "霍城县教育局", "kind": "department", "region": "654023", "parent": COUNTY,
     "portal": "http://www.xjhc.gov.cn/xjhc/", "cms": "xj_shtml", "columns": []},
    {"name": "霍城县文化体育广播电视和旅游局", "kind": "department", "region": "654023", "parent": COUNTY,
     "portal": "http://www.xjhc.gov.cn/xjhc/", "cms": "xj_shtml", "columns": []},
]
VALUES = gen_series(Agency("样例", "department", "654023", COUNTY, "huocheng", "", "样例", size=5))[2025]


def _result(agency: str | None, numbers: bool = True, sections: list[str] | None = None, bump: int = 0) -> dict:
    v = copy.deepcopy(VALUES)
    if bump:
        v["requests"]["new_received"][0] += bump
    out = {"agency": agency, "year": 2025, "published": "2026-01-20", "format": "2021",
           "sections": sections if sections is not None else ["1", "2", "3", "4", "5", "6"],
           "active": v["active"] if numbers else None, "requests": v["requests"] if numbers else None,
           "appeals": v["appeals"] if numbers else None, "cells": {}}
    out["checks"] = run_checks(out, request_keys("2021"), "")  # as the parser checks it
    return out


def _add(arc: Archive, url: str, body: bytes, result: dict, *, list_title: str | None, report_url: str | None = None,
         publisher: str = COUNTY, page_title: str | None = None) -> str:
    """A document as the crawler stores it (evidence in its meta), then as extract stores its parse."""
    meta = {"kind": "page", "report_url": report_url or url, "year": 2025, "column": COLUMN, "owners": [COUNTY],
            "发布机构": publisher, "title": page_title or list_title}
    sha, _ = arc.add_document(body, url=url, crawl_id=None, list_title=list_title, portal_date="2026-01-20",
                              meta=meta)
    store_report(arc, {"sha256": sha, "result": result, "text": body.decode(), "title": page_title or list_title,
                       "type": "html", "error": None}, "test")
    return sha


def _reports(arc: Archive) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in arc.db.execute(
        "SELECT url, agency, registered, role, report_version, current FROM reports WHERE parse_current = 1")}


@pytest.fixture
def arc(tmp_path: Path) -> Archive:
    a = Archive(tmp_path)
    a.upsert_agencies(REGISTRY)
    return a


def test_a_shared_year_column(arc: Archive) -> None:
    base = COLUMN + "202601/"
    # the county's own report, titled by its place name; the portal's 发布机构 is the county for all
    _add(arc, base + "a.shtml", b"county", _result(COUNTY), list_title="霍城县2025年政府信息公开工作年度报告")
    # a bureau by an abbreviation; a notice page whose attachment holds the numbers
    _add(arc, base + "b.shtml", b"notice", _result(COUNTY, numbers=False, sections=["1", "5", "6"]),
         list_title="霍城县文旅局2025年政府信息公开工作年度报告", page_title="霍城县文旅局2025年政府信息公开工作年度报告")
    _add(arc, base + "b/files/1.pdf", b"tables", _result("霍城县文化体育广播电视和旅游局", sections=["2", "3", "4"]),
         list_title="霍城县文旅局2025年政府信息公开工作年度报告", report_url=base + "b.shtml")
    # without the county prefix; a body outside the registry
    _add(arc, base + "c.shtml", b"edu", _result("教育局"), list_title="教育局2025年政府信息公开工作年度报告")
    _add(arc, base + "d.shtml", b"water", _result(None), list_title="霍城县水利局2025年政府信息公开工作年度报告")
    # the same numbers again at a second URL, and a corrected version of the education report
    _add(arc, base + "c2.shtml", b"edu copy", _result("霍城县教育局"), list_title="霍城县教育局2025年政府信息公开工作年度报告")
    _add(arc, base + "c3.shtml", b"edu fixed", _result("霍城县教育局", bump=3),
         list_title="霍城县教育局2025年政府信息公开工作年度报告（更正）")
    counts = organise(arc)
    got = _reports(arc)
    assert got[base + "a.shtml"] == (COUNTY, 1, "report", 1, 1)
    assert got[base + "b.shtml"][:3] == ("霍城县文化体育广播电视和旅游局", 1, "notice")
    assert got[base + "b/files/1.pdf"] == ("霍城县文化体育广播电视和旅游局", 1, "report", 1, 1)
    assert got[base + "d.shtml"] == ("霍城县水利局", 0, "report", 1, 1)
    edu = {u: got[u] for u in (base + "c.shtml", base + "c2.shtml", base + "c3.shtml")}
    assert {v[0] for v in edu.values()} == {"霍城县教育局"}
    assert edu[base + "c3.shtml"][2:] == ("report", 2, 1)  # the latest version is the report
    assert sorted(v[2] for v in edu.values()) == ["copy", "report", "superseded"]
    assert counts["reports"] == 4 and counts["unregistered"] == 1
    # the notice page's sections and the attachment's tables make one complete report
    status, sections = arc.db.execute("SELECT parse_status, sections FROM reports WHERE url = ?",
                                      [base + "b/files/1.pdf"]).fetchone()
    assert status == "ok" and json.loads(sections) == ["1", "2", "3", "4", "5", "6"]
    (name, kind, parent, columns), = arc.db.execute(
        "SELECT name, kind, parent, columns FROM unregistered_bodies").fetchall()
    assert (name, kind, parent, json.loads(columns)) == ("霍城县水利局", "department", COUNTY, [COLUMN])
    # nothing changes on a second run
    assert organise(arc)["changed"] == 0
    # the registry grows: the same archive re-attributes without a re-crawl
    arc.upsert_agencies([{**REGISTRY[1], "name": "霍城县水利局"}])
    organise(arc)
    assert _reports(arc)[base + "d.shtml"] == ("霍城县水利局", 1, "report", 1, 1)
    assert arc.db.execute("SELECT count(*) FROM unregistered_bodies").fetchone()[0] == 0


def test_two_bodies_that_fit_equally(arc: Archive) -> None:
    arc.upsert_agencies([{**REGISTRY[1], "name": "霍城县教育和科学技术局", "aliases": ["霍城县教育局"]}])
    _add(arc, COLUMN + "x.shtml", b"x", _result(None), list_title="霍城县教育局2025年政府信息公开工作年度报告")
    organise(arc)
    agency, how, current = arc.db.execute("SELECT agency, attribution, current FROM reports").fetchone()
    assert agency is None and current == 1
    assert how.startswith("ambiguous") and "霍城县教育和科学技术局" in how and "霍城县教育局" in how


def test_documents_without_url_rows(arc: Archive) -> None:
    """Documents stored without a URL row (only the agency recorded for them) are attributed from
    their parse and that agency, the same for every document sharing that evidence, and grouped
    with the documents that have URL rows."""
    def doc(url: str, body: bytes, result: dict, year: int) -> str:
        result["year"] = year
        sha = _add(arc, url, body, result, list_title=None)
        arc.db.execute("DELETE FROM document_urls WHERE sha256 = ?", [sha])
        arc.db.execute("UPDATE documents SET agency = ? WHERE sha256 = ?", [COUNTY, sha])
        return sha

    edu = [doc(f"{COLUMN}e{y}.pdf", f"edu {y}".encode(), _result("霍城县教育局"), y) for y in (2023, 2024)]
    unnamed = doc(COLUMN + "n.pdf", b"unnamed", _result(None), 2024)
    # the same year's report again, at a URL, with the same numbers: a copy of one report
    _add(arc, COLUMN + "e2024.shtml", b"edu 2024 page", {**_result("霍城县教育局"), "year": 2024},
         list_title="霍城县教育局2024年政府信息公开工作年度报告")
    counts = organise(arc)
    rows = {sha: tuple(r) for sha, *r in arc.db.execute(
        "SELECT sha256, url, agency, registered, attribution, role, current FROM reports")}
    assert rows[edu[0]][1:] == ("霍城县教育局", 1, "document: full name", "report", 1)
    assert rows[unnamed][1:] == (COUNTY, 1, "column owner", "report", 1)
    roles = sorted(r[4] for r in rows.values() if r[1] == "霍城县教育局" and r[0] != COLUMN + "e2023.pdf")
    assert roles == ["copy", "report"]
    assert counts == {"reports": 3, "documents": 4, "changed": 4, "unregistered": 0}
    assert organise(arc)["changed"] == 0


def _dates(arc: Archive) -> dict[int, tuple]:
    return {r[0]: r[1:] for r in arc.db.execute(
        "SELECT report_id, first_seen IS NOT NULL, crawl_id, list_date, url_date FROM report_dates")}


def test_report_dates_follow_the_documents_and_their_url_rows(arc: Archive) -> None:
    """organise keeps what dates each document apart from its text (its first sighting, the earliest
    list date, the date a CMS wrote into its URLs) in report_dates, and follows every change: a
    list date filled in later, a sighting at another URL, URL rows gone."""
    page = f"{COLUMN}t20260115_1.shtml"
    sha = _add(arc, page, b"edu page", _result("霍城县教育局"), list_title="霍城县教育局2025年政府信息公开工作年度报告")
    organise(arc)
    rid = arc.db.execute("SELECT id FROM reports WHERE sha256 = ?", [sha]).fetchone()[0]
    assert _dates(arc) == {rid: (1, None, None, "2026-01-15")}
    # an older capture of the same URL, replayed later, fills in the date its list showed: the row
    # changes in place (no new row, its last sighting stays)
    arc.add_document(b"edu page", url=page, list_date="2026-02-01", fetched_at="2026-02-01T00:00:00Z")
    organise(arc)
    assert _dates(arc) == {rid: (1, None, "2026-02-01", "2026-01-15")}
    # seen again, nothing organise reads changed: nothing to redo
    arc.add_document(b"edu page", url=page, list_date="2026-02-01")
    assert organise(arc)["documents"] is None
    # the same bytes listed earlier elsewhere, at a URL an article date comes first in
    arc.add_document(b"edu page", url="http://www.xjhc.gov.cn/art/2026/1/9/art_1_2.html", list_date="2026-01-20",
                     meta={"kind": "page", "column": COLUMN, "owners": [COUNTY]})
    organise(arc)
    assert _dates(arc) == {rid: (1, None, "2026-01-20", "2026-01-15")}
    # without URL rows the document's own URL is all that dates it
    arc.db.execute("DELETE FROM document_urls WHERE sha256 = ?", [sha])
    arc.db.execute("UPDATE documents SET agency = ?, url = 'http://x/art/2026/1/9/art_1_2.html' WHERE sha256 = ?",
                   [COUNTY, sha])
    arc.db.execute("UPDATE reports SET url = 'http://x/art/2026/1/9/art_1_2.html' WHERE sha256 = ?", [sha])
    organise(arc)
    assert _dates(arc) == {rid: (1, None, None, "2026-01-09")}
    assert organise(arc)["changed"] == 0 and _dates(arc) == {rid: (1, None, None, "2026-01-09")}


def test_an_archive_organised_before_report_dates_is_organised_again(tmp_path: Path) -> None:
    arc = Archive(tmp_path)
    arc.upsert_agencies(REGISTRY)
    sha = _add(arc, f"{COLUMN}t20260115_1.shtml", b"edu page", _result("霍城县教育局"),
               list_title="霍城县教育局2025年政府信息公开工作年度报告")
    organise(arc)
    # as an older gongkai left it: organised, without the table
    arc.db.execute("DROP TABLE report_dates")
    arc.db.execute("DELETE FROM _migrations WHERE version = 14")
    arc.db.conn.commit()
    arc = Archive(tmp_path)
    assert organise(arc)["changed"] == 0  # attribution stays; the dates are gathered again
    rid = arc.db.execute("SELECT id FROM reports WHERE sha256 = ?", [sha]).fetchone()[0]
    assert _dates(arc) == {rid: (1, None, None, "2026-01-15")}


@pytest.mark.parametrize("titles", [
    # a body's column, year after year: one title with its year blanked
    ["伊宁市教育局2019年政府信息公开工作年度报告", "伊宁市教育局2023年政府信息公开工作年度报告"],
    ["2019年上海市人民政府办公厅政府信息公开工作年度报告", "2024年上海市人民政府办公厅政府信息公开工作年度报告"],
    # digits in the name that are no year stay the name's
    ["测试3市第2019号局2019年政府信息公开工作年度报告", "测试3市第2020号局2020年政府信息公开工作年度报告"],
    # a year inside the name itself: each title keeps its own
    ["纪念2008年奥运会办公室2023年政府信息公开工作年度报告", "纪念2012年奥运会办公室2023年政府信息公开工作年度报告"],
    ["2025年政府信息公开工作年度报告", "2024年政府信息公开工作年度报告"],
])
def test_a_title_names_the_same_body_remembered_or_not(titles: list[str]) -> None:
    from extract.meta import _title_name, title_names

    assert [title_names(t) for t in titles * 2] == [_title_name(t) for t in titles * 2]
