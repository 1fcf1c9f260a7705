"""Crawl health: the share of recent crawls that reached a body's column, unreachable only on a
majority of failures over two weeks, broken when a column that listed reports lists none."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from archive.health import crawl_health, health_status, refresh_health
from archive.store import Archive

BODY = "伊宁市财政局"
OTHER = "伊宁市教育局"
COL = "http://127.0.0.1:9/yining/c1/"
PAGE = "<html><body><a href='/a.html'>2025年政府信息公开工作年度报告</a></body></html>".encode()


def crawl(arc: Archive, day: date, reached: dict[str, bool], seen: int = 1) -> int:
    """One crawl on `day`: each body's column either answers (with `seen` report links) or fails."""
    cid = arc.start_crawl()
    stamp = f"{day.isoformat()}T03:00:00Z"
    for name, ok in reached.items():
        if ok:
            arc.record_column_capture(cid, name, COL, PAGE, 200, seen, captured_at=stamp)
        else:
            arc.record_column_capture(cid, name, COL, None, None, 0, error="timeout: took too long",
                                      captured_at=stamp)
    arc.finish_crawl(cid, {})
    return cid


@pytest.fixture()
def arc(tmp_path):
    a = Archive(tmp_path / "data")
    a.upsert_agencies([{"name": BODY, "kind": "department"}, {"name": OTHER, "kind": "department"},
                       {"name": "伊宁市从未爬取局", "kind": "department"}])
    yield a
    a.close()


def test_one_failed_crawl_stays_reachable(arc):
    start = date(2026, 2, 1)
    for i in range(6):
        crawl(arc, start + timedelta(days=i), {BODY: True})
    crawl(arc, start + timedelta(days=6), {BODY: False})
    assert health_status(arc, BODY, start + timedelta(days=6)) == "reachable"
    # the share is reported, not hidden
    (h,) = [h for h in crawl_health(arc, start + timedelta(days=6)) if h.agency == BODY]
    assert (h.crawls, h.reached) == (7, 6) and h.reach_share == pytest.approx(6 / 7, abs=1e-3)


def test_most_crawls_of_two_weeks_failed_is_unreachable(arc):
    start = date(2026, 2, 1)
    for i in range(3):
        crawl(arc, start + timedelta(days=i), {BODY: True})
    for i in range(3, 7):  # 4 failures of 7 crawls
        crawl(arc, start + timedelta(days=i), {BODY: False})
    assert health_status(arc, BODY, start + timedelta(days=6)) == "unreachable"
    # exactly half is not "most": 3 good, 3 bad stays reachable
    assert health_status(arc, BODY, start + timedelta(days=5)) == "reachable"
    # two weeks later with good crawls only, the old failures have left the window
    for i in range(21, 24):
        crawl(arc, start + timedelta(days=i), {BODY: True})
    assert health_status(arc, BODY, start + timedelta(days=23)) == "reachable"


def test_column_that_lists_nothing_any_more_is_broken(arc):
    start = date(2026, 2, 1)
    crawl(arc, start, {BODY: True, OTHER: True}, seen=3)
    crawl(arc, start + timedelta(days=1), {BODY: True, OTHER: True}, seen=3)
    cid = arc.start_crawl()
    stamp = (start + timedelta(days=2)).isoformat() + "T03:00:00Z"
    arc.record_column_capture(cid, BODY, COL, b"<html><body>new layout</body></html>", 200, 0, captured_at=stamp)
    arc.record_column_capture(cid, OTHER, COL, PAGE, 200, 3, captured_at=stamp)
    as_of = start + timedelta(days=2)
    assert health_status(arc, BODY, as_of) == "broken"
    assert health_status(arc, OTHER, as_of) == "reachable"
    # a column that never listed anything is not broken: it is simply empty (the calendar may say missing)
    arc.record_column_capture(cid, "伊宁市从未爬取局", COL, PAGE, 200, 0, captured_at=stamp)
    assert health_status(arc, "伊宁市从未爬取局", as_of) == "reachable"


def test_unknown_without_crawls_and_refresh_writes_the_table(arc):
    assert health_status(arc, BODY, "2026-02-01") == "unknown"
    start = date(2026, 2, 1)
    for i in range(3):
        crawl(arc, start + timedelta(days=i), {BODY: True, OTHER: False})
    counts = refresh_health(arc, start + timedelta(days=2))
    assert counts == {"reachable": 1, "unreachable": 1, "unknown": 1}
    rows = {r["agency"]: r for r in arc.db["crawl_health"].rows}
    assert rows[OTHER]["status"] == "unreachable" and rows[OTHER]["reach_share"] == 0.0
    assert "timeout" in rows[OTHER]["last_error"]
    # re-running is safe and gives the same table
    assert refresh_health(arc, start + timedelta(days=2)) == counts
    assert arc.db["crawl_health"].count == 3
    # captures after as-of are not evidence for an earlier day
    assert health_status(arc, BODY, start - timedelta(days=1)) == "unknown"


def test_calendar_uses_health_unreachable_is_not_missing(arc):
    """The compliance calendar asks crawl health before saying `missing` (archive/calendar.py)."""
    from archive.calendar import run_check

    start = date(2026, 3, 1)  # the 2025 report of a department was due 2026-01-31; none is listed
    for i in range(3):
        crawl(arc, start + timedelta(days=i), {BODY: True}, seen=0)
    crawl(arc, start + timedelta(days=3), {BODY: False})  # one bad crawl: still missing

    def status(as_of: date) -> tuple[str, str | None]:
        run_check(arc, as_of, progress=False)
        return arc.db.execute("SELECT status, flags FROM compliance WHERE agency = ? AND year = 2025",
                              [BODY]).fetchone()

    assert status(start + timedelta(days=3)) == ("missing", None)
    for i in range(4, 8):  # most crawls of the last two weeks failed: unreachable, no verdict of missing
        crawl(arc, start + timedelta(days=i), {BODY: False})
    assert status(start + timedelta(days=7)) == ("unreachable", None)
    # a column that listed reports and suddenly lists none is broken, not missing
    crawl(arc, start + timedelta(days=20), {OTHER: True}, seen=4)
    crawl(arc, start + timedelta(days=21), {OTHER: True}, seen=0)
    run_check(arc, start + timedelta(days=21), progress=False)
    row = arc.db.execute("SELECT status, flags FROM compliance WHERE agency = ? AND year = 2025", [OTHER]).fetchone()
    assert row == ("unreachable", "broken")


def test_health_in_datasette(arc, tmp_path):
    import asyncio

    from archive.calendar import run_check
    from archive.web.app import make_datasette

    start = date(2026, 3, 1)
    for i in range(3):
        crawl(arc, start + timedelta(days=i), {BODY: True, OTHER: False})
    run_check(arc, start + timedelta(days=2), progress=False)  # check writes the crawl_health table
    ds = make_datasette(tmp_path / "data")

    async def get(path: str):
        return await ds.client.get(path)

    r = asyncio.run(get("/archive/crawl_health.json?_shape=array"))
    assert r.status_code == 200, r.text
    rows = {x["agency"]: x for x in r.json()}
    assert rows[OTHER]["status"] == "unreachable" and rows[BODY]["status"] == "reachable"
    assert rows[BODY]["reach_share"] == 1.0
    r = asyncio.run(get("/archive/health.json?_shape=array"))
    assert r.status_code == 200, r.text
    assert [x["agency"] for x in r.json()][:1] == [OTHER]  # the canned query lists the unreachable first


def counted_crawl(arc: Archive, day: date, items: int, listed: int = 20, api_fails: bool = False) -> int:
    """One crawl of a column that declares `listed` records, of which `items` were reached."""
    cid = arc.start_crawl()
    stamp = f"{day.isoformat()}T03:00:00Z"
    arc.record_column_capture(cid, BODY, COL, PAGE, 200, 1, captured_at=stamp, column_root=COL,
                              declared_records=listed, items_seen=min(items, 10), pages_seen=1)
    if api_fails:
        arc.record_column_capture(cid, BODY, COL + "api?page=2", None, 500, 0, error="http_500: Ignoring non-200 response",
                                  captured_at=stamp, column_root=COL)
    elif items > 10:
        arc.record_column_capture(cid, BODY, COL + "api?page=2", PAGE, 200, 1, captured_at=stamp, column_root=COL,
                                  declared_records=listed, items_seen=items, pages_seen=2)
    arc.finish_crawl(cid, {})
    return cid


def test_a_column_seen_in_part_is_partial_until_seen_whole(arc):
    day = date(2026, 2, 5)
    counted_crawl(arc, day, 10, api_fails=True)
    (h,) = [h for h in crawl_health(arc, day) if h.agency == BODY]
    assert h.status == "partial" and h.reason.startswith(f"{COL}: reached 10 of 20 listed; 1 list request(s) failed")
    counted_crawl(arc, day + timedelta(days=1), 20)
    assert health_status(arc, BODY, day + timedelta(days=1)) == "reachable"


def test_calendar_unverified_on_a_partial_column_unless_seen_whole_after_the_due_date(arc):
    from archive.calendar import run_check

    # 伊宁市财政局 (a department) owes its 2025 report by 2026-01-31; no report was ever found
    counted_crawl(arc, date(2026, 2, 5), 10, api_fails=True)
    v = {(r["agency"], r["year"]): r for r in run_check(arc, date(2026, 2, 6), progress=False)["verdicts"]}
    assert v[(BODY, 2025)]["status"] == "unverified"
    assert "reached 10 of 20 listed" in v[(BODY, 2025)]["evidence"]
    # then a crawl after the due date sees the whole list, and the report is not on it
    counted_crawl(arc, date(2026, 2, 7), 20)
    v = {(r["agency"], r["year"]): r for r in run_check(arc, date(2026, 2, 8), progress=False)["verdicts"]}
    assert v[(BODY, 2025)]["status"] == "missing"  # the whole list, after the due date, without it


def test_the_processes_of_a_shared_crawl_see_a_column_together(arc):
    """Two processes (overlapping crawls, merged archives) that each read half of a column reached
    it whole; two crawls one after the other that each read the same half did not."""
    day = date(2026, 2, 5)
    stamp = f"{day.isoformat()}T03:00:00Z"
    halves = [[f"{i:010x}" for i in range(10)], [f"{i:010x}" for i in range(10, 20)]]
    ids = []
    for keys in halves:
        cid = arc.start_crawl()
        arc.record_column_capture(cid, BODY, COL + f"p{len(ids)}", PAGE, 200, 1, captured_at=stamp, column_root=COL,
                                  declared_records=20, items_seen=10, pages_seen=1, records=keys)
        ids.append(cid)
    with arc.db.conn:  # both ran 03:00–03:10
        arc.db.execute("UPDATE crawls SET started = ?, finished = ? WHERE id IN (?, ?)",
                       [stamp, f"{day.isoformat()}T03:10:00Z", *ids])
    assert health_status(arc, BODY, day) == "reachable"
    later = date(2026, 2, 6)
    for hour in (3, 4):  # one after the other, the same ten records each time
        cid = arc.start_crawl()
        t = f"{later.isoformat()}T0{hour}:00:00Z"
        arc.record_column_capture(cid, BODY, COL, PAGE, 200, 1, captured_at=t, column_root=COL,
                                  declared_records=20, items_seen=10, pages_seen=1, records=halves[0])
        with arc.db.conn:
            arc.db.execute("UPDATE crawls SET started = ?, finished = ? WHERE id = ?", [t, t.replace(":00:00", ":05:00"), cid])
    (h,) = [h for h in crawl_health(arc, later) if h.agency == BODY]
    assert h.status == "partial" and "reached 10 of 20 listed" in h.reason
