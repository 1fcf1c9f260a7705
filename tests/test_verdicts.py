"""The verdict rules on their own: dates and rows in, a verdict out, no archive."""

from __future__ import annotations

import json
from datetime import date

from archive.verdicts import publication, url_date, verdict

AGENCY = {"name": "伊宁市人民政府", "region": "654002", "kind": "government", "parent": None}
DUE = date(2025, 1, 31)


def report(**kw: object) -> dict:
    base = {"id": 1, "sha256": "a" * 64, "url": "http://gov.example/r.html", "role": "report",
            "portal_date": None, "list_date": None, "url_date": None, "published": None,
            "last_modified": None, "first_seen": "2025-01-10T08:00:00", "crawl_id": 1}
    return {**base, **kw}


def capture(day: str, reached: bool = True, crawl_id: int = 2, **kw: object) -> dict:
    base = {"id": crawl_id, "crawl_id": crawl_id, "time": f"{day}T09:00:00", "column_url": "http://gov.example/col",
            "status": 200, "sha256": "c" * 64, "reached": reached, "error": None,
            "warc_file": "crawl-2.warc.gz", "warc_offset": 120}
    return {**base, **kw}


def test_the_portal_date_wins_and_a_report_after_the_due_date_is_late() -> None:
    rep = report(portal_date="2025-02-05", published="2025-01-20")
    v = verdict(AGENCY, 2024, DUE, date(2025, 6, 1), [rep], [])
    assert (v["status"], v["published"], v["published_source"], v["days_late"]) == (
        "late", "2025-02-05", "portal_date", 5)


def test_a_date_before_the_year_ended_is_no_evidence_and_an_ingested_file_is_undated() -> None:
    assert publication(report(published="2024-06-01", crawl_id=None, first_seen="2025-03-01"), 2024) == (None, None)
    v = verdict(AGENCY, 2024, DUE, date(2025, 6, 1), [report(published="2024-06-01", crawl_id=None)], [])
    assert v["status"] == "undated" and v["report_id"] == 1


def test_no_report_is_missing_only_when_a_crawl_reached_the_column_after_the_due_date() -> None:
    as_of = date(2025, 6, 1)
    v = verdict(AGENCY, 2024, DUE, as_of, [], [capture("2025-03-01")])
    assert (v["status"], v["warc"], v["url"]) == ("missing", "crawl-2.warc.gz:120", "http://gov.example/col")
    assert verdict(AGENCY, 2024, DUE, as_of, [], [capture("2025-01-15")])["status"] == "unverified"
    assert verdict(AGENCY, 2024, DUE, as_of, [], [capture("2025-03-01", reached=False)])["status"] == "unreachable"
    assert verdict(AGENCY, 2024, DUE, date(2025, 1, 20), [], [])["status"] == "pending"
    partial = verdict(AGENCY, 2024, DUE, as_of, [], [capture("2025-03-01")], partial_crawls={2},
                      health_reason="reached 10 of 20 listed")
    assert partial["status"] == "unverified"
    assert "reached 10 of 20 listed" in json.loads(partial["evidence"])["reason"]
    broken = verdict(AGENCY, 2024, DUE, as_of, [], [capture("2025-03-01")], health="broken")
    assert (broken["status"], broken["flags"]) == ("unreachable", "broken")


def test_a_report_a_crawl_after_the_due_date_did_not_see_is_judged_by_its_first_sighting() -> None:
    rep = report(published="2025-01-05", first_seen="2025-04-01T08:00:00", crawl_id=3)
    v = verdict(AGENCY, 2024, DUE, date(2025, 6, 1), [rep], [capture("2025-03-01")])
    assert (v["status"], v["published"], v["published_source"], v["flags"]) == (
        "late", "2025-04-01", "first_seen (backdated?)", "backdated?")
    assert json.loads(v["evidence"])["backdated_by"][0]["capture_id"] == 2


def test_the_date_a_cms_wrote_into_the_url() -> None:
    assert url_date("http://x/art/2025/1/9/art_1_2.html") == "2025-01-09"
    assert url_date("http://x/col/t20250113_55.html http://x/P020250301123.pdf") == "2025-01-13"
    assert url_date("http://x/t20251341_1.html") is None
