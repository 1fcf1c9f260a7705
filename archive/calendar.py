"""`gongkai check`: the compliance calendar (DESIGN.md) and the checks across reports.

Verdict per registry agency × report year:

- on_time / late (days_late) — a report was found; its publication date is the strongest evidence
  available: the portal's own date for the article (documents.portal_date), the report's printed
  date (parse `published`), HTTP Last-Modified, the time gongkai first saw it.
- missing     — due date passed, no report, and a crawl that reached the agency's report column
               after the due date stored a capture of it (column_captures.reached = 1).
- unreachable — due date passed, no report, and every capture after the due date failed.
- unverified  — due date passed, no report, and no crawl looked at the column after the due date
               (for instance an archive filled by `ingest` only): absence is not evidence.
- pending     — not yet due and not yet published.
- undated     — a report was found but nothing dates its publication (an ingested file without
               a printed date, portal date or Last-Modified).
A report whose printed or portal date lies before a capture of the column that did not list it
(taken before gongkai first saw the report) gets the flag `backdated?`; when that capture is after
the due date, the report was demonstrably not public on the due date, and the verdict uses the
first-seen time instead.

Years judged: from 2019 (or the agency's/region's first_year) up to the last year whose due date
is ≤ as-of, plus the next (pending) year.

Checks across reports (check_results.scope = "cross"): carry_over (this year's 上年结转 = last
year's 结转下年度), roll_forward (in force = last year's in force + issued − repealed, for 规章 and
规范性文件), same_numbers / same_text between consecutive years of one body (copy-paste), and
sibling_numbers / sibling_text between bodies with the same parent in the same year.

Re-running with the same archive and as-of changes nothing: rows are compared and only
differences are written.
"""

from __future__ import annotations

import json
import sys
import zlib
from collections import defaultdict
from datetime import date
from itertools import combinations
from typing import Any

from tqdm import tqdm

from archive.agencies import Matcher, agency_rows, due_date
from archive.columns import ACTIVE_2021_COLUMNS, APPEAL_COLUMN_NAMES, REQUEST_COLUMN_NAMES
from archive.store import Archive

USABLE = ("ok", "inconsistent", "incomplete")  # parse statuses that count as a published report
TEXT_SIMILAR = 0.9  # Jaccard of 8-character shingles above which two texts are "near-identical"
MIN_TEXT = 300  # shorter texts are not compared (too little to tell copy-paste from a template)
MAX_SIBLINGS = 80  # sibling groups larger than this compare numbers only (pairwise text is quadratic)


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def rematch(arc: Archive) -> int:
    """Re-resolve report agencies against the current registry (it may have been loaded after
    `extract`); writes only reports whose agency changed."""
    matcher = Matcher.from_archive(arc)
    reg = {r[0]: (r[1], r[2]) for r in arc.db.execute("SELECT name, region, kind FROM agencies")}
    changed = []
    rows = arc.db.execute(
        "SELECT r.id, r.agency, r.agency_parsed, d.agency, d.agency_override, r.region, r.kind "
        "FROM reports r JOIN documents d ON d.sha256 = r.sha256 WHERE r.current = 1"
    ).fetchall()
    for rid, agency, parsed, recorded, override, region, kind in rows:
        want = recorded if override and recorded else matcher.match(parsed, recorded)
        w_region, w_kind = reg.get(want, (None, None))
        if (want, w_region, w_kind) != (agency, region, kind):
            changed.append((want, w_region, w_kind, rid))
    if changed:
        with arc.db.conn:
            arc.db.conn.executemany(
                "UPDATE reports SET agency = ?, region = ?, kind = ? WHERE id = ?", changed
            )
            arc.db.conn.executemany(
                "UPDATE report_text SET agency = ? WHERE report_id = ?", [(c[0], c[3]) for c in changed]
            )
            arc.db.conn.executemany(
                "UPDATE check_results SET agency = ? WHERE report_id = ? AND scope = 'report'",
                [(c[0], c[3]) for c in changed],
            )
    return len(changed)


def _load_reports(arc: Archive) -> dict[tuple[str, int], list[dict]]:
    by_key: dict[tuple[str, int], list[dict]] = defaultdict(list)
    cur = arc.db.execute(
        "SELECT r.id, r.agency, r.year, r.published, r.portal_date, r.sha256, r.url, r.parse_status, r.format,"
        " d.first_seen, d.last_modified, d.crawl_id FROM reports r JOIN documents d ON d.sha256 = r.sha256"
        f" WHERE r.current = 1 AND r.agency IS NOT NULL AND r.year IS NOT NULL"
        f" AND r.parse_status IN ({','.join('?' * len(USABLE))})",
        USABLE,
    )
    cols = [c[0] for c in cur.description]
    for row in cur:
        r = dict(zip(cols, row, strict=True))
        by_key[(r["agency"], r["year"])].append(r)
    return by_key


def _load_captures(arc: Archive) -> dict[str, list[dict]]:
    caps: dict[str, list[dict]] = defaultdict(list)
    cur = arc.db.execute(
        "SELECT id, crawl_id, agency, column_url, time, status, sha256, reached, error, reports_seen"
        " FROM column_captures ORDER BY agency, time, id"
    )
    cols = [c[0] for c in cur.description]
    for row in cur:
        c = dict(zip(cols, row, strict=True))
        caps[c["agency"]].append(c)
    return caps


def _publication(rep: dict, year: int) -> tuple[date | None, str | None]:
    """The report's publication date from the strongest evidence (dates before the year under
    report ended are not evidence of publishing a report on it). The time a local file was
    ingested says nothing about when it was published: only a crawl's first sighting counts."""
    floor = date(year, 12, 1)
    sources = ["portal_date", "published", "last_modified"]
    if rep.get("crawl_id") is not None:
        sources.append("first_seen")
    for source in sources:
        d = _day(rep.get(source))
        if d is not None and d >= floor:
            return d, source
    return None, None


def _cap_brief(c: dict) -> dict:
    return {
        "capture_id": c["id"],
        "crawl_id": c["crawl_id"],
        "time": c["time"],
        "column_url": c["column_url"],
        "status": c["status"],
        "reached": bool(c["reached"]),
        "sha256": c["sha256"],
        "error": c["error"],
    }


def verdict(agency: dict, year: int, as_of: date, reports: list[dict], caps: list[dict]) -> dict:
    due = due_date(agency["kind"], year, agency.get("deadline"), agency.get("town_deadline"))
    row: dict[str, Any] = {
        "agency": agency["name"],
        "year": year,
        "region": agency.get("region"),
        "kind": agency.get("kind"),
        "parent": agency.get("parent"),
        "due": due.isoformat(),
        "published": None,
        "published_source": None,
        "days_late": None,
        "flags": None,
        "report_id": None,
        "url": None,
        "sha256": None,
        "as_of": as_of.isoformat(),
    }
    evidence: dict[str, Any] = {}
    best = None
    undated: list[dict] = []
    for rep in reports:
        pub, source = _publication(rep, year)
        flags = []
        first_seen = _day(rep["first_seen"])
        claimed = _day(rep.get("portal_date")) or _day(rep.get("published"))
        missed = [
            c
            for c in caps
            if c["reached"]
            and claimed
            and first_seen
            and claimed < _day(c["time"])
            and c["time"] < rep["first_seen"]
        ]
        if missed:
            flags.append("backdated?")
            evidence["backdated_by"] = [_cap_brief(c) for c in missed[-3:]]
            if any(_day(c["time"]) > due for c in missed):
                pub, source = first_seen, "first_seen (backdated?)"
        if pub is not None and pub > as_of:
            continue  # published after the day we judge: not there yet
        if pub is None:
            undated.append(rep)
            continue
        cand = (pub, rep["id"], source, flags, rep)
        if best is None or cand[:2] < best[:2]:
            best = cand
    if best is not None:
        pub, _, source, flags, rep = best
        late = (pub - due).days
        row.update(
            status="late" if late > 0 else "on_time",
            published=pub.isoformat(),
            published_source=source,
            days_late=max(late, 0),
            flags=" ".join(flags) or None,
            report_id=rep["id"],
            url=rep["url"],
            sha256=rep["sha256"],
        )
        evidence["reports"] = [
            {
                "report_id": r["id"],
                "sha256": r["sha256"],
                "url": r["url"],
                "portal_date": r["portal_date"],
                "published": r["published"],
                "last_modified": r["last_modified"],
                "first_seen": r["first_seen"],
                "crawl_id": r["crawl_id"],
            }
            for r in reports
        ]
    elif undated:
        # a report is there, but nothing says when it was published (an ingested file without a
        # printed date): neither on time nor missing
        rep = undated[0]
        row.update(status="undated", report_id=rep["id"], url=rep["url"], sha256=rep["sha256"])
        evidence["reports"] = [
            {"report_id": r["id"], "sha256": r["sha256"], "url": r["url"]} for r in undated
        ]
    elif due > as_of:
        row["status"] = "pending"
    else:
        after = [
            c
            for c in caps
            if _day(c["time"]) and _day(c["time"]) > due and c["time"][:10] <= as_of.isoformat()
        ]
        reached = [c for c in after if c["reached"]]
        if reached:
            row["status"] = "missing"
            row["sha256"] = reached[-1]["sha256"]
            row["url"] = reached[-1]["column_url"]
            evidence["captures"] = [_cap_brief(c) for c in reached[-3:]]
        elif after:
            row["status"] = "unreachable"
            evidence["captures"] = [_cap_brief(c) for c in after[-3:]]
        else:
            row["status"] = "unverified"
            evidence["note"] = "no crawl looked at the report column after the due date"
    row["evidence"] = json.dumps(evidence, ensure_ascii=False, sort_keys=True) if evidence else None
    return row


def years_to_judge(agency: dict, as_of: date) -> list[int]:
    first = int(agency.get("first_year") or 2019)
    years = []
    y = first
    while True:
        due = due_date(agency["kind"], y, agency.get("deadline"), agency.get("town_deadline"))
        years.append(y)
        if due > as_of or y > as_of.year:
            return years
        y += 1


# -- checks across reports ------------------------------------------------------------------------


def _numbers(arc: Archive, ids: list[int]) -> dict[int, dict]:
    """report id -> {"requests": {col: v}, "active": {...}, "appeals": {...}} for the given reports."""
    out: dict[int, dict] = {i: {} for i in ids}
    for table, cols, key in (
        ("report_requests", REQUEST_COLUMN_NAMES, "requests"),
        ("report_active", ACTIVE_2021_COLUMNS, "active"),
        ("report_appeals", APPEAL_COLUMN_NAMES, "appeals"),
    ):
        sel = ", ".join(f"[{c}]" for c in cols)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            cur = arc.db.execute(
                f"SELECT report_id, {sel} FROM {table} WHERE report_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            for row in cur:
                out[row[0]][key] = dict(zip(cols, row[1:], strict=True))
    return out


def _shingles(text: str) -> set[int]:
    s = "".join(text.split())
    return {zlib.crc32(s[i : i + 8].encode()) for i in range(0, max(len(s) - 7, 0))}


def _jaccard(a: set[int], b: set[int]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _vector(nums: dict) -> tuple | None:
    """All numbers of a report as one vector; None when it says too little to compare."""
    vals = tuple(v for part in ("requests", "active", "appeals") for v in (nums.get(part) or {}).values())
    return vals if sum(1 for v in vals if v) >= 3 else None


def cross_checks(
    arc: Archive, chosen: dict[tuple[str, int], dict], parents: dict[str, str | None], progress: bool = True
) -> list[dict]:
    """Failed checks across reports: [{"report_id", "agency", "year", "check", "ok", "detail"}]."""
    ids = [r["id"] for r in chosen.values()]
    nums = _numbers(arc, ids)
    texts: dict[int, set[int]] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        for rid, text in arc.db.execute(
            f"SELECT report_id, text FROM report_text WHERE report_id IN ({','.join('?' * len(chunk))})",
            chunk,
        ):
            if text and len(text) >= MIN_TEXT:
                texts[rid] = _shingles(text)
    out: list[dict] = []

    def fail(rep: dict, check: str, detail: str) -> None:
        out.append(
            {
                "report_id": rep["id"],
                "agency": rep["agency"],
                "year": rep["year"],
                "check": check,
                "ok": 0,
                "detail": detail,
            }
        )

    for (agency, year), rep in tqdm(
        sorted(chosen.items()), desc="cross-checks", unit="report", file=sys.stderr, disable=not progress
    ):
        prev = chosen.get((agency, year - 1))
        if prev is None:
            continue
        cur_n, prev_n = nums[rep["id"]], nums[prev["id"]]
        req, preq = cur_n.get("requests") or {}, prev_n.get("requests") or {}
        diffs = []
        for col in ("natural", "commercial", "research", "social", "legal", "other", "total"):
            a, b = req.get(f"carried_over_in_{col}"), preq.get(f"carried_over_out_{col}")
            if a is not None and b is not None and a != b:
                diffs.append(f"{col}: {year}年上年结转 {a} ≠ {year - 1}年结转下年度 {b}")
        if diffs:
            fail(rep, "carry_over", "; ".join(diffs))
        act, pact = cur_n.get("active") or {}, prev_n.get("active") or {}
        for kind, label in (("rules", "规章"), ("normative", "行政规范性文件")):
            last, issued, repealed, now_ = (
                pact.get(f"{kind}_in_force"),
                act.get(f"{kind}_issued"),
                act.get(f"{kind}_repealed"),
                act.get(f"{kind}_in_force"),
            )
            if None not in (last, issued, repealed, now_) and last + issued - repealed != now_:
                fail(
                    rep,
                    "roll_forward",
                    f"{label}现行有效 {now_} ≠ {year - 1}年 {last} + 制发 {issued} − 废止 "
                    f"{repealed} = {last + issued - repealed}",
                )
        v, pv = _vector(cur_n), _vector(prev_n)
        if v is not None and v == pv:
            fail(rep, "same_numbers", f"every number equals the {year - 1} report's (copy-paste?)")
        if rep["id"] in texts and prev["id"] in texts:
            j = _jaccard(texts[rep["id"]], texts[prev["id"]])
            if j >= TEXT_SIMILAR:
                fail(rep, "same_text", f"text {j:.0%} identical to the {year - 1} report (copy-paste?)")

    groups: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for (agency, year), rep in chosen.items():
        if parents.get(agency):
            groups[(parents[agency], year)].append(rep)
    for (_parent, _year), reps in sorted(groups.items()):
        by_vec: dict[tuple, list[dict]] = defaultdict(list)
        for rep in reps:
            v = _vector(nums[rep["id"]])
            if v is not None:
                by_vec[v].append(rep)
        for same in by_vec.values():
            if len(same) > 1:
                for rep in same:
                    others = "、".join(r["agency"] for r in same if r is not rep)
                    fail(rep, "sibling_numbers", f"every number equals the report of {others} (copy-paste?)")
        if len(reps) <= MAX_SIBLINGS:
            similar: dict[int, list[str]] = defaultdict(list)
            by_id = {r["id"]: r for r in reps}
            for a, b in combinations([r for r in reps if r["id"] in texts], 2):
                j = _jaccard(texts[a["id"]], texts[b["id"]])
                if j >= TEXT_SIMILAR:
                    similar[a["id"]].append(f"{b['agency']}（{j:.0%}）")
                    similar[b["id"]].append(f"{a['agency']}（{j:.0%}）")
            for rid, others in sorted(similar.items()):
                fail(
                    by_id[rid],
                    "sibling_text",
                    "text nearly identical to the reports of " + "、".join(others) + " (copy-paste?)",
                )
    return out


# -- the run ------------------------------------------------------------------------------------


def _sync(
    arc: Archive,
    table: str,
    key: tuple[str, ...],
    rows: list[dict],
    where: str = "",
    params: list | None = None,
) -> dict:
    """Make `table` (restricted by `where`) hold exactly `rows`, writing only differences."""
    cur = arc.db.execute(f"SELECT * FROM [{table}] {where}", params or [])
    cols = [c[0] for c in cur.description]
    old = {}
    for row in cur:
        d = dict(zip(cols, row, strict=True))
        d.pop("id", None)
        old[tuple(d[k] for k in key)] = d
    new = {tuple(r[k] for k in key): r for r in rows}
    stale = [k for k in old if k not in new]
    changed = [r for k, r in new.items() if old.get(k) != {c: r.get(c) for c in old.get(k, r)}]
    with arc.db.conn:
        for k in stale:
            arc.db.execute(
                f"DELETE FROM [{table}] WHERE "
                + " AND ".join(f"[{c}] IS ?" for c in key)
                + (f" AND {where[6:]}" if where else ""),
                [*k, *(params or [])],
            )
        for r in changed:
            if tuple(r[k] for k in key) in old:
                arc.db.execute(
                    f"DELETE FROM [{table}] WHERE "
                    + " AND ".join(f"[{c}] IS ?" for c in key)
                    + (f" AND {where[6:]}" if where else ""),
                    [*(r[k] for k in key), *(params or [])],
                )
        if changed:
            arc.db[table].insert_all(changed, batch_size=2000)
    return {"deleted": len(stale), "written": len(changed)}


def run_check(arc: Archive, as_of: date | None = None, progress: bool = True) -> dict:
    as_of = as_of or date.today()
    rematch(arc)
    agencies = agency_rows(arc)
    reports = _load_reports(arc)
    caps = _load_captures(arc)
    verdicts = []
    for a in tqdm(agencies, desc="calendar", unit="agency", file=sys.stderr, disable=not progress):
        for y in years_to_judge(a, as_of):
            verdicts.append(verdict(a, y, as_of, reports.get((a["name"], y), []), caps.get(a["name"], [])))
    # the report each agency-year is judged on (best parse, then the one the verdict used)
    rank = {"ok": 0, "inconsistent": 1, "incomplete": 2}
    used = {(v["agency"], v["year"]): v["report_id"] for v in verdicts}
    chosen = {
        k: min(reps, key=lambda r: (r["id"] != used.get(k), rank.get(r["parse_status"], 9), r["id"]))
        for k, reps in reports.items()
    }
    parents = {a["name"]: a.get("parent") for a in agencies}
    cross = cross_checks(arc, chosen, parents, progress)
    comp = _sync(arc, "compliance", ("agency", "year"), verdicts)
    chk = _sync(
        arc,
        "check_results",
        ("report_id", "check", "detail"),
        [{**c, "scope": "cross"} for c in cross],
        "WHERE scope = 'cross'",
    )
    # failing checks: the report-level ones of the judged reports, then the cross-report ones
    chosen_ids = {r["id"] for r in chosen.values()}
    failed = []
    for rid, agency, year, check, detail in arc.db.execute(
        "SELECT report_id, agency, year, [check], detail FROM check_results WHERE ok = 0 AND scope = 'report' "
        "ORDER BY agency, year, id"
    ):
        if rid in chosen_ids:
            failed.append(
                {"agency": agency, "year": year, "check": check, "detail": detail, "report_id": rid}
            )
    failed += [
        {
            "agency": c["agency"],
            "year": c["year"],
            "check": c["check"],
            "detail": c["detail"],
            "report_id": c["report_id"],
        }
        for c in cross
    ]
    counts: dict[str, int] = defaultdict(int)
    for v in verdicts:
        counts[v["status"]] += 1
    return {
        "as_of": as_of.isoformat(),
        "verdicts": [
            {
                k: v[k]
                for k in (
                    "agency",
                    "year",
                    "status",
                    "due",
                    "published",
                    "days_late",
                    "flags",
                    "published_source",
                    "report_id",
                )
            }
            | {"evidence": json.loads(v["evidence"]) if v["evidence"] else None}
            for v in verdicts
        ],
        "failed_checks": failed,
        "summary": {
            "agencies": len(agencies),
            "verdicts": len(verdicts),
            "statuses": dict(counts),
            "failed_checks": len(failed),
            "compliance_rows": comp,
            "cross_check_rows": chk,
        },
    }
