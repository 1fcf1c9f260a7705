"""Checks across reports (check_results.scope = "cross"), run by `gongkai check` chunk by chunk:
carry_over (this year's 上年结转 = last year's 结转下年度), roll_forward (in force = last year's in
force + issued − repealed, for 规章 and 规范性文件), same_numbers / same_text between consecutive
years of one body (copy-paste), and sibling_numbers / sibling_text between bodies with the same
parent in the same year."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from itertools import combinations

from tqdm import tqdm

from archive.similarity import numbers_signature, signature_similarity, text_signature
from archive.store import Archive

TEXT_SIMILAR = 0.92  # estimated Jaccard of 8-character shingles above which texts are "near-identical"
_CARRY = ["natural", "commercial", "research", "social", "legal", "other", "total"]
_CROSS_COLUMNS = (
    [f"q.carried_over_in_{c}" for c in _CARRY]
    + [f"q.carried_over_out_{c}" for c in _CARRY]
    + [f"a.{k}_{c}" for k in ("rules", "normative") for c in ("issued", "repealed", "in_force")]
)
# the column names _year_on_year reads, spelt once (it runs for every report)
_CARRY_KEYS = [(c, f"carried_over_in_{c}", f"carried_over_out_{c}") for c in _CARRY]
_ACTIVE_KEYS = [(label, f"{kind}_in_force", f"{kind}_issued", f"{kind}_repealed")
                for kind, label in (("rules", "规章"), ("normative", "行政规范性文件"))]
NUMBERS_MIN_NONZERO = 3  # identical numbers say "copied" only when some are not zero


def fill_signatures(arc: Archive, progress: bool = True) -> int:
    """Compute the copy-paste fingerprints of reports extracted before they existed (schema 4)."""
    todo = [r[0] for r in arc.db.execute("SELECT id FROM reports WHERE sig_done IS NULL")]
    for i in tqdm(
        range(0, len(todo), 500), desc="fingerprints", file=sys.stderr, disable=not progress or not todo
    ):
        chunk = todo[i : i + 500]
        marks = ",".join("?" * len(chunk))
        flat: dict[int, dict] = {rid: {} for rid in chunk}
        for table in ("report_requests", "report_active", "report_appeals"):
            cur = arc.db.execute(f"SELECT * FROM {table} WHERE report_id IN ({marks})", chunk)
            cols = [c[0] for c in cur.description]
            for row in cur:
                flat[row[0]].update(zip(cols[1:], row[1:], strict=True))
        texts = dict(
            arc.db.execute(f"SELECT report_id, text FROM report_text WHERE report_id IN ({marks})", chunk)
        )
        updates = []
        for rid in chunk:
            sig, nonzero = numbers_signature(flat[rid]) if flat[rid] else (None, 0)
            updates.append((sig, nonzero, text_signature(texts.get(rid)), rid))
        with arc.db.conn:
            arc.db.conn.executemany(
                "UPDATE reports SET numbers_sig = ?, numbers_nonzero = ?, text_sig = ?, sig_done = 1 WHERE id = ?",
                updates,
            )
    return len(todo)


def _cross_rows(arc: Archive, ids: set[int]) -> dict[int, dict]:
    """What the cross-report checks need of each report."""
    cols = [c.split(".")[1] for c in _CROSS_COLUMNS]
    wanted = sorted(ids)
    rows = []
    for i in range(0, len(wanted), 5000):
        part = wanted[i : i + 5000]
        rows += arc.db.execute(
            f"SELECT r.id, r.numbers_sig, r.numbers_nonzero, r.text_sig, {', '.join(_CROSS_COLUMNS)} FROM reports r "
            "LEFT JOIN report_requests q ON q.report_id = r.id LEFT JOIN report_active a ON a.report_id = r.id "
            f"WHERE r.id IN ({','.join('?' * len(part))})", part
        ).fetchall()
    out = {}
    for row in rows:
        d = dict(zip(cols, row[4:], strict=True))
        d["numbers"] = row[1] if (row[2] or 0) >= NUMBERS_MIN_NONZERO else None
        d["text"] = json.loads(row[3]) if row[3] else None
        out[row[0]] = d
    return out


def _similar_pairs(reps: list[dict], rows: dict[int, dict]) -> list[tuple[dict, dict, float]]:
    """Pairs of reports whose text signatures agree ≥ TEXT_SIMILAR, found by LSH banding (8 bands
    of 8): texts that similar share a band almost surely, and no group is compared pairwise."""
    buckets: dict[tuple, list[dict]] = defaultdict(list)
    for rep in reps:
        sig = rows[rep["id"]]["text"]
        if sig:
            for band in range(0, len(sig), 8):
                buckets[(band, *sig[band : band + 8])].append(rep)
    seen: set[tuple[int, int]] = set()
    out = []
    for members in buckets.values():
        for a, b in combinations(members, 2):
            key = (min(a["id"], b["id"]), max(a["id"], b["id"]))
            if key in seen:
                continue
            seen.add(key)
            s = signature_similarity(rows[a["id"]]["text"], rows[b["id"]]["text"])
            if s >= TEXT_SIMILAR:
                out.append((a, b, s))
    return out


def cross_checks(
    arc: Archive, chosen: dict[tuple[str, int], dict], parents: dict[str, str | None], progress: bool = True
) -> list[dict]:
    """Failed checks across reports: [{"report_id", "agency", "year", "check", "ok", "detail"}]."""
    rows = _cross_rows(arc, {r["id"] for r in chosen.values()})
    out: list[dict] = []

    def fail(rep: dict, check: str, detail: str) -> None:
        out.append({"report_id": rep["id"], "agency": rep["agency"], "year": rep["year"], "check": check,
                    "ok": 0, "detail": detail})

    for (agency, year), rep in tqdm(
        sorted(chosen.items()), desc="cross-checks", unit="report", file=sys.stderr, disable=not progress
    ):
        prev = chosen.get((agency, year - 1))
        if prev is not None:
            for check, detail in _year_on_year(rows[rep["id"]], rows[prev["id"]], year):
                fail(rep, check, detail)
    groups: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for (agency, year), rep in chosen.items():
        parent = parents.get(agency)
        if parent:
            groups[(parent, year)].append(rep)
    for _key, reps in sorted(groups.items()):
        for rep, check, detail in _siblings(sorted(reps, key=lambda r: r["agency"]), rows):
            fail(rep, check, detail)
    return out


def _year_on_year(cur: dict, last: dict, year: int) -> list[tuple[str, str]]:
    """(check, detail) of a report against the body's report of the year before: the carry-over,
    the rules and normative documents in force, the same numbers or text."""
    out = []
    diffs = []
    for col, carried_in, carried_out in _CARRY_KEYS:
        a, b = cur[carried_in], last[carried_out]
        if a is not None and b is not None and a != b:
            diffs.append(f"{col}: {year}年上年结转 {a} ≠ {year - 1}年结转下年度 {b}")
    if diffs:
        out.append(("carry_over", "; ".join(diffs)))
    for label, in_force, issued_key, repealed_key in _ACTIVE_KEYS:
        before, issued, repealed, now_ = last[in_force], cur[issued_key], cur[repealed_key], cur[in_force]
        if None not in (before, issued, repealed, now_) and before + issued - repealed != now_:
            out.append(("roll_forward", f"{label}现行有效 {now_} ≠ {year - 1}年 {before} + 制发 {issued} − 废止 "
                                        f"{repealed} = {before + issued - repealed}"))
    if cur["numbers"] is not None and cur["numbers"] == last["numbers"]:
        out.append(("same_numbers", f"every number equals the {year - 1} report's (copy-paste?)"))
    if cur["text"] and last["text"]:
        s = signature_similarity(cur["text"], last["text"])
        if s >= TEXT_SIMILAR:
            out.append(("same_text", f"text ~{s:.0%} identical to the {year - 1} report (copy-paste?)"))
    return out


def _siblings(reps: list[dict], rows: dict[int, dict]) -> list[tuple[dict, str, str]]:
    """(report, check, detail) of the reports of one parent's bodies in one year (by agency) that
    share every number, or nearly all their text."""
    out = []
    by_sig: dict[str, list[dict]] = defaultdict(list)
    for rep in reps:
        if rows[rep["id"]]["numbers"] is not None:
            by_sig[rows[rep["id"]]["numbers"]].append(rep)
    for same in by_sig.values():
        if len(same) > 1:
            for rep in same:
                names = "、".join(r["agency"] for r in same if r is not rep)
                out.append((rep, "sibling_numbers", f"every number equals the report of {names} (copy-paste?)"))
    similar: dict[int, list[str]] = defaultdict(list)
    by_id = {r["id"]: r for r in reps}
    for a, b, s in _similar_pairs(reps, rows):
        similar[a["id"]].append(f"{b['agency']}（~{s:.0%}）")
        similar[b["id"]].append(f"{a['agency']}（~{s:.0%}）")
    for rid, others in sorted(similar.items()):
        out.append((by_id[rid], "sibling_text",
                    "text nearly identical to the reports of " + "、".join(sorted(others)) + " (copy-paste?)"))
    return out
