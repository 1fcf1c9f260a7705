"""The compliance rules (2019 regulation, 第四十九条): one body's verdict for one report year, from
the dates of its reports and of the captures of its report column. Pure functions: dates and rows
in, a verdict row out; archive/calendar.py reads the archive and writes the verdicts.

Verdict per registry agency × report year:

- on_time / late (days_late) — a report was found; its publication date is the strongest evidence
  available: the portal's own date for the article — strongest its metadata block
  (documents.portal_date: 发布日期 …), then the date its list displays (document_urls.list_date),
  then the date in its URL (t20260313_…, /art/2026/3/13/, P020260313…) —, the report's printed
  date (parse `published`), HTTP Last-Modified, the time gongkai first saw it. `published_source`
  names the one used (portal_date | list_date | url_date | published | last_modified |
  first_seen); when they disagree the evidence keeps them all (`dates`).
- missing     — due date passed, no report, and a crawl that reached the agency's report column
               after the due date stored a capture of it (column_captures.reached = 1).
- unreachable — due date passed, no report, and every capture after the due date failed.
- unverified  — due date passed, no report, and no crawl looked at the column after the due date
               (for instance an archive filled by `ingest` only): absence is not evidence. Also
               when every crawl after the due date reached the column only in part (crawl health
               `partial`: a list declaring 20 of which 10 were reached, a list API that failed):
               the evidence names the reason.
- pending     — not yet due and not yet published.
- undated     — a report was found but nothing dates its publication (an ingested file without
               a printed date, portal date or Last-Modified).
A report whose printed or portal date lies before a capture of the column that did not list it
(taken before gongkai first saw the report) gets the flag `backdated?`; when that capture is after
the due date, the report was demonstrably not public on the due date, and the verdict uses the
first-seen time instead.

Years judged: from 2019 (or the agency's/region's first_year) up to the last year whose due date
is ≤ as-of, plus the next (pending) year.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from archive.agencies import due_date

# where a publication date may come from, strongest first; a crawl's first sighting last
DATE_SOURCES = ("portal_date", "list_date", "url_date", "published", "last_modified")


@lru_cache(maxsize=4096)
def iso(d: date) -> str:
    return d.isoformat()


@lru_cache(maxsize=65536)
def day(value: str | None) -> date | None:
    """The date a stored value starts with (a date or a timestamp), or None."""
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def captured(capture: dict) -> date:
    """The day a capture was made (date.min for a malformed time, which then precedes everything)."""
    return day(capture["time"]) or date.min


# Dates CMSs write into article and attachment URLs: TRS t20260313_123.html and P020260313….pdf,
# Hanweb /art/2026/3/13/art_….html.
_URL_DATES = (re.compile(r"/t(20\d\d)(\d\d)(\d\d)_\d+"), re.compile(r"/P0(20\d\d)(\d\d)(\d\d)\d+\.\w+"),
              re.compile(r"/art/(20\d\d)/(\d{1,2})/(\d{1,2})/art_"))


def url_date(urls: str) -> str | None:
    """The date a CMS wrote into the report's URL (article first, then attachments), or None."""
    for rx in _URL_DATES:
        for y, m, d in rx.findall(urls or ""):
            try:
                return date(int(y), int(m), int(d)).isoformat()
            except ValueError:
                continue
    return None


def years_to_judge(agency: dict, as_of: date) -> list[tuple[int, date]]:
    """(year, due date) from the first year up to the last due by as-of, plus the next (pending) one."""
    y = int(agency.get("first_year") or 2019)
    out = []
    while True:
        due = due_date(agency["kind"], y, agency.get("deadline"), agency.get("town_deadline"))
        out.append((y, due))
        if due > as_of or y > as_of.year:
            return out
        y += 1


def publication(rep: dict, year: int) -> tuple[date | None, str | None]:
    """The report's publication date from the strongest evidence (dates before the year under
    report ended are not evidence of publishing a report on it). The time a local file was
    ingested says nothing about when it was published: only a crawl's first sighting counts."""
    floor = date(year, 12, 1)
    sources = list(DATE_SOURCES)
    if rep.get("crawl_id") is not None:
        sources.append("first_seen")
    for source in sources:
        d = day(rep.get(source))
        if d is not None and d >= floor:
            return d, source
    return None, None


def warc_ref(c: dict) -> str | None:
    """A capture's WARC record as "<file>:<offset>" (archive/warc.py), or None (no WARC: replayed)."""
    return f"{c['warc_file']}:{c['warc_offset']}" if c.get("warc_file") else None


def capture_brief(c: dict) -> dict:
    """A capture as the evidence lists it."""
    brief = {
        "capture_id": c["id"],
        "crawl_id": c["crawl_id"],
        "time": c["time"],
        "column_url": c["column_url"],
        "status": c["status"],
        "reached": bool(c["reached"]),
        "sha256": c["sha256"],
        "error": c["error"],
    }
    if c.get("warc_file"):
        brief["warc"] = warc_ref(c)
    return brief


def missed_by(rep: dict, caps: list[dict]) -> list[dict] | None:
    """The captures that reached the column after the report's claimed date but before gongkai first
    saw it, and did not list it: evidence the report is backdated. The crawl that first stored the
    report saw it: only an earlier crawl can have missed it."""
    first_seen = day(rep["first_seen"])
    claimed = day(rep.get("portal_date")) or day(rep.get("list_date")) or day(rep.get("published"))
    if not (caps and claimed and first_seen):
        return None
    return [c for c in caps if c["reached"] and claimed < captured(c) and c["time"] < rep["first_seen"]
            and c["crawl_id"] != rep.get("crawl_id")]


@dataclass
class Found:
    """The reports of a body-year as judged on the as-of day: the earliest dated one, if any, and
    those nothing dates."""

    best: tuple | None = None  # (published, sha256, source, flags, report)
    undated: list[dict] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)


def find_report(reports: list[dict], year: int, due: date, as_of: date, caps: list[dict]) -> Found:
    found = Found()
    for rep in reports:
        pub, source = publication(rep, year)
        flags = []
        missed = missed_by(rep, caps)
        if missed:
            flags.append("backdated?")
            found.evidence["backdated_by"] = [capture_brief(c) for c in missed[-3:]]
            if any(captured(c) > due for c in missed):
                pub, source = day(rep["first_seen"]), "first_seen (backdated?)"
        if pub is not None and pub > as_of:
            continue  # published after the day we judge: not there yet
        if pub is None:
            found.undated.append(rep)
            continue
        cand = (pub, rep["sha256"], source, flags, rep)  # ties by content, not by id
        if found.best is None or cand[:2] < found.best[:2]:
            found.best = cand
    return found


def published_verdict(best: tuple, reports: list[dict], due: date, evidence: dict) -> dict[str, Any]:
    """on_time or late: the report dated by `best`; the columns name the body-year's report itself."""
    pub, _, source, flags, rep = best
    main = next((r for r in reports if r.get("role") == "report"), rep)
    dates = {k: rep.get(k) for k in ("portal_date", "list_date", "url_date")}
    if len({str(v)[:10] for v in dates.values() if v}) > 1:
        # the evidence disagrees (a URL made on another day than the list shows): keep it all
        evidence["dates"] = {**{k: v for k, v in dates.items() if v}, "published": rep.get("published"),
                             "used": source}
    late = (pub - due).days
    if rep is not main:
        evidence["dated_by"] = {"report_id": rep["id"], "url": rep["url"], "role": rep.get("role")}
    if len(reports) > 1 or flags:
        # the columns name the report used; the evidence lists every candidate
        evidence["reports"] = [_candidate(r) for r in reports]
    return {"status": "late" if late > 0 else "on_time", "published": iso(pub), "published_source": source,
            "days_late": max(late, 0), "flags": " ".join(flags) or None, "report_id": main["id"],
            "url": main["url"], "sha256": main["sha256"]}


def _candidate(r: dict) -> dict:
    """A report the verdict could have rested on, as the evidence lists it."""
    return {
        "report_id": r["id"],
        "role": r.get("role"),
        "sha256": r["sha256"],
        "url": r["url"],
        "portal_date": r["portal_date"],
        "published": r["published"],
        "last_modified": r["last_modified"],
        "first_seen": r["first_seen"],
        "crawl_id": r["crawl_id"],
    }


def undated_verdict(undated: list[dict], evidence: dict) -> dict[str, Any]:
    """A report is there, but nothing says when it was published (an ingested file without a
    printed date): neither on time nor missing."""
    rep = undated[0]
    evidence["reports"] = [{"report_id": r["id"], "sha256": r["sha256"], "url": r["url"]} for r in undated]
    return {"status": "undated", "report_id": rep["id"], "url": rep["url"], "sha256": rep["sha256"]}


def absent_verdict(
    caps: list[dict], due: date, as_of: date, evidence: dict, health: str | None,
    partial_crawls: set[int] | None, health_reason: str | None,
) -> dict[str, Any]:
    """No report by the as-of day, due date passed: what the captures of the column after the due
    date show (missing, unreachable or unverified)."""
    as_of_s = iso(as_of)
    after = [c for c in caps if captured(c) > due and c["time"][:10] <= as_of_s]
    reached = [c for c in after if c["reached"]]
    # crawl health (archive/health.py): a body whose column most recent crawls could not reach,
    # or whose column stopped listing reports (broken), is not judged missing
    if health in ("unreachable", "broken") and after:
        evidence["health"] = health
        evidence["captures"] = [capture_brief(c) for c in after[-3:]]
        return {"status": "unreachable", "flags": "broken" if health == "broken" else None}
    if reached and partial_crawls and all(c["crawl_id"] in partial_crawls for c in reached):
        # every crawl after the due date saw the column only in part (an API that failed, a
        # list declaring more than was reached): the report may be in the part not seen
        evidence["health"] = "partial"
        evidence["reason"] = ("no crawl after the due date reached the whole list: "
                              + (health_reason or "the column was reached only in part"))
        evidence["captures"] = [capture_brief(c) for c in reached[-3:]]
        return {"status": "unverified"}
    if reached:
        evidence["captures"] = [capture_brief(c) for c in reached[-3:]]
        last = reached[-1]
        return {"status": "missing", "sha256": last["sha256"], "warc": warc_ref(last), "url": last["column_url"]}
    if after:
        evidence["captures"] = [capture_brief(c) for c in after[-3:]]
        return {"status": "unreachable"}
    return {"status": "unverified"}  # no crawl looked at the report column after the due date


def verdict(
    agency: dict,
    year: int,
    due: date,
    as_of: date,
    reports: list[dict],
    caps: list[dict],
    health: str | None = None,
    partial_crawls: set[int] | None = None,
    health_reason: str | None = None,
) -> dict:
    """One body-year's row of the compliance table: the verdict, the report or capture it rests on,
    and its evidence (JSON)."""
    row: dict[str, Any] = {
        "agency": agency["name"], "year": year, "region": agency.get("region"), "kind": agency.get("kind"),
        "parent": agency.get("parent"), "due": iso(due), "published": None, "published_source": None,
        "days_late": None, "flags": None, "report_id": None, "url": None, "sha256": None, "warc": None,
        "as_of": iso(as_of),
    }
    found = find_report(reports, year, due, as_of, caps)
    evidence = found.evidence
    if found.best is not None:
        row.update(published_verdict(found.best, reports, due, evidence))
    elif found.undated:
        row.update(undated_verdict(found.undated, evidence))
    elif due > as_of:
        row["status"] = "pending"
    else:
        row.update(absent_verdict(caps, due, as_of, evidence, health, partial_crawls, health_reason))
    row["evidence"] = json.dumps(evidence, ensure_ascii=False, sort_keys=True) if evidence else None
    return row
