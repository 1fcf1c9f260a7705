"""Search for every query length, the same wherever Datasette offers it: the table page's search box
on report_text, `_search=` in its JSON API, the canned query `search` and /-/gongkai/search."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path
from urllib.parse import quote

import pytest

from archive.store import Archive

QUERIES = ["伊", "伊宁", "公开", "依申请", "伊宁市", "伊宁市人民政府", "申请", "潘津镇"]


def get(ds, path: str):
    async def go():
        return await ds.client.get(path)

    return asyncio.run(go())


def brute_force(data: Path, q: str) -> list[int]:
    """What a search must find: current reports whose agency, title or text holds q (any case)."""
    con = sqlite3.connect(data / "archive.db")
    rows = con.execute(
        "SELECT t.report_id, t.agency, t.title, t.text FROM report_text t JOIN reports r ON r.id = t.report_id"
        " WHERE r.current = 1"
    ).fetchall()
    con.close()
    return sorted((r[0] for r in rows if any(q.lower() in (c or "").lower() for c in r[1:])), reverse=True)


def newest_year_first(data: Path, ids: list[int]) -> list[int]:
    """The search page's and canned query's order: report year descending (no year last), then id."""
    con = sqlite3.connect(data / "archive.db")
    year = dict(con.execute("SELECT id, year FROM reports").fetchall())
    con.close()
    return sorted(ids, key=lambda i: (year[i] is None, -(year[i] or 0), -i))


@pytest.mark.parametrize("q", QUERIES)
def test_four_forms_return_the_same_reports(demo_data: Path, q: str) -> None:
    from archive.web.app import make_datasette

    ds = make_datasette(demo_data)
    want = brute_force(demo_data, q)
    assert want, q  # the demo's reports hold every one of these
    e = quote(q)
    # 1. the JSON API of the table, all pages
    api, url = [], f"/archive/report_text.json?_search={e}&_col=report_id&_size=50"
    while url:
        body = get(ds, url).json()
        api += [r[0] for r in body["rows"]]
        url = body.get("next_url") and body["next_url"].replace("http://localhost", "")
    # 2. the canned query
    canned = [r["report_id"] for r in get(ds, f"/archive/search.json?q={e}&_shape=array").json()]
    # 3. the table page (the search box Datasette shows, holding the query)
    page = get(ds, f"/archive/report_text?_search={e}&_size=max")
    assert page.status_code == 200 and f'name="_search" value="{q}"' in page.text
    table = [int(x) for x in re.findall(r'<td class="col-report_id[^"]*"><a href="/archive/report_text/(\d+)"', page.text)]
    # 4. the gongkai search page
    gk = get(ds, f"/-/gongkai/search?q={e}")
    assert gk.status_code == 200
    mine = [int(x) for x in re.findall(r'href="/-/gongkai/report/(\d+)"', gk.text)]
    # the same reports everywhere, exactly those holding q: the table newest report first, the
    # search page and the canned query newest year first
    assert api == want[:len(api)] and len(api) == len(want), q
    by_year = newest_year_first(demo_data, want)
    assert canned == by_year[:500]
    assert table == want[:1000]
    assert list(dict.fromkeys(mine)) == by_year[:500]
    if len(q) <= 2:
        assert f"<mark>{q}</mark>" in gk.text


def test_short_queries_use_the_index(demo_data: Path) -> None:
    """One and two characters are answered from report_text_grams, not by scanning the text."""
    from archive.search import SEARCH_SQL

    con = sqlite3.connect(demo_data / "archive.db")
    plan = " ".join(r[-1] for r in con.execute("EXPLAIN QUERY PLAN " + SEARCH_SQL, {"q": "伊宁"}))
    con.close()
    assert "VIRTUAL TABLE INDEX" in plan and "report_text_grams" in plan, plan
    assert "SCAN t" not in plan.replace("SCAN t USING", "")


def test_gram_index_follows_the_text(tmp_path: Path) -> None:
    """Insert, update, delete of report_text keep the short-query index right; an archive written
    before the index existed gets it on open."""
    from archive.search import SEARCH_SQL

    def found(arc: Archive, q: str) -> list[int]:
        return [r[0] for r in arc.db.execute(SEARCH_SQL, {"q": q})]

    with Archive(tmp_path) as arc:
        db = arc.db
        for rid, text in ((1, "伊宁市公开"), (2, "乌苏市申请"), (3, "甘河子镇")):
            db.execute("INSERT INTO reports (id, sha256, current) VALUES (?, ?, 1)", [rid, f"{rid:064x}"])
            db.execute("INSERT INTO report_text (report_id, agency, title, text) VALUES (?, ?, ?, ?)",
                       [rid, "机关", "标题 (一)", text])
        db.conn.commit()
        assert found(arc, "伊") == [1] and found(arc, "苏市") == [2] and found(arc, "市") == [2, 1]
        assert found(arc, "(一") == [3, 2, 1] and found(arc, "镇") == [3]
        db.execute("UPDATE report_text SET text = '伊宁县' WHERE report_id = 2")
        db.execute("DELETE FROM report_text WHERE report_id = 3")
        db.conn.commit()
        assert found(arc, "伊宁") == [2, 1] and found(arc, "苏市") == [] and found(arc, "镇") == []
        assert found(arc, "伊宁县") == [2] and found(arc, "") == []
        # an archive from before schema 9: the index is built from the text already there
        db.execute("DROP TABLE report_text_grams")
        for t in ("insert", "update", "delete"):
            db.execute(f"DROP TRIGGER report_text_grams_{t}")
        db.execute("DELETE FROM _migrations WHERE version = 9")
        db.conn.commit()
    with Archive(tmp_path) as arc:
        assert found(arc, "伊宁") == [2, 1] and found(arc, "公") == [1]
