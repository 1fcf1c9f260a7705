"""Checks on one report (the form's own rules): each is {check, ok, detail}; ok is None when it cannot be run."""

from __future__ import annotations

import re
from typing import Any

import extract.form as form
from extract.normalize import norm

Check = dict[str, Any]
COLUMN_NAMES = dict(zip(range(7), form.REQUEST_COLUMN_LABELS, strict=True))


def _check(name: str, ok: bool | None, detail: str) -> Check:
    return {"check": name, "ok": ok, "detail": detail}


def _known(*vals: Any) -> bool:
    return all(v is not None for v in vals)


def balance(requests: dict | None) -> Check:
    """一 + 二 = 三（七）总计 + 四, column by column (the form's own rule)."""
    if not requests:
        return _check("balance", None, "table 三 not found")
    needed = [requests.get(k) for k in ("new_received", "carried_over_in", "total_processed", "carried_over_out")]
    rows = [r for r in needed if r is not None]
    if len(rows) < len(needed):
        return _check("balance", None, "rows needed for the balance are missing")
    bad, ran = [], 0
    for c in range(7):
        a, b, t, o = (r[c] for r in rows)
        if not _known(a, b, t, o):
            continue
        ran += 1
        if a + b != t + o:
            bad.append(f"{COLUMN_NAMES[c]}: {a} + {b} ≠ {t} + {o}")
    if not ran:
        return _check("balance", None, "no column has all four numbers")
    return _check("balance", not bad, "; ".join(bad) or f"balanced in {ran} columns")


def row_totals(requests: dict | None) -> Check:
    if not requests:
        return _check("row_totals", None, "table 三 not found")
    bad, ran = [], 0
    for key, vec in requests.items():
        if vec is None or not _known(*vec):
            continue
        ran += 1
        if sum(vec[:6]) != vec[6]:
            bad.append(f"{key}: {'+'.join(map(str, vec[:6]))} ≠ {vec[6]}")
    if not ran:
        return _check("row_totals", None, "no complete row")
    return _check("row_totals", not bad, "; ".join(bad) or f"{ran} rows add up")


def results_sum(requests: dict | None, keys: list[str]) -> Check:
    """（七）总计 = the sum of the result rows, column by column."""
    if not requests:
        return _check("results_sum", None, "table 三 not found")
    results = [k for k in keys if k in form.RESULT_KEYS or k == "other"]
    total = requests.get("total_processed")
    if total is None or any(requests.get(k) is None for k in results):
        return _check("results_sum", None, "result rows or （七）总计 missing")
    bad, ran = [], 0
    for c in range(7):
        parts = [requests[k][c] for k in results]
        if not _known(total[c], *parts):
            continue
        ran += 1
        if sum(parts) != total[c]:
            bad.append(f"{COLUMN_NAMES[c]}: sum of results {sum(parts)} ≠ 总计 {total[c]}")
    if not ran:
        return _check("results_sum", None, "no complete column")
    return _check("results_sum", not bad, "; ".join(bad) or f"{ran} columns add up")


def appeals_totals(appeals: dict | None) -> Check:
    if not appeals:
        return _check("appeals_totals", None, "table 四 not found")
    bad, ran = [], 0
    for key, label in form.APPEAL_GROUPS:
        vec = appeals.get(key)
        if vec is None or not _known(*vec):
            continue
        ran += 1
        if sum(vec[:4]) != vec[4]:
            bad.append(f"{label}: {'+'.join(map(str, vec[:4]))} ≠ {vec[4]}")
    if not ran:
        return _check("appeals_totals", None, "no complete group")
    return _check("appeals_totals", not bad, "; ".join(bad) or f"{ran} groups add up")


def completeness(sections: list[str], active: dict | None, requests: dict | None, appeals: dict | None,
                 fmt: str) -> Check:
    missing = [f"section {s}" for s in form.SECTIONS if s not in sections]
    if fmt == "legacy":
        return _check("completeness", None, "legacy (pre-2019) report: no standard tables to check")
    if active is None:
        missing.append("table 二")
    else:
        empty = [k for k, v in active.items() if v is None or (isinstance(v, dict) and None in v.values())]
        if empty:
            missing.append("table 二 rows " + ", ".join(empty))
    if requests is None:
        missing.append("table 三")
    else:
        empty = [k for k, v in requests.items() if v is None or None in v]
        if empty:
            missing.append("table 三 rows " + ", ".join(empty))
    if appeals is None:
        missing.append("table 四")
    elif any(v is None or None in v for v in appeals.values()):
        missing.append("table 四 cells")
    return _check("completeness", not missing, "missing: " + "; ".join(missing) if missing else "complete")


_RECEIVED = re.compile(r"(?:共|累计|全年)?(?:收到|受理|接收)[^。；，,]{0,16}?(?:申请|信息)[^。；，,\d]{0,6}?(\d+)(?:件|条|个|份)")
_NONE_RECEIVED = re.compile(r"(?:未|没有)(?:收到|受理|接到)[^。；，,]{0,12}?申请")
_DONE = re.compile(r"办结[^。；，,\d]{0,6}?(\d+)(?:件|条|个)")
_CARRIED = re.compile(r"结转[^。；，,\d]{0,10}?(\d+)\s*(?:件|条|个)")


def narrative(prose: str, requests: dict | None) -> Check:
    """Counts stated in the prose agree with table 三."""
    if not requests:
        return _check("narrative", None, "table 三 not found")
    text = norm(prose)
    stated: list[tuple[str, int, str]] = []
    m = _RECEIVED.search(text)
    if m:
        stated.append(("new_received", int(m.group(1)), "收到申请"))
    elif _NONE_RECEIVED.search(text):
        stated.append(("new_received", 0, "未收到申请"))
    if m:
        # 办结 / 结转 counts only in the same sentence as the requests received (not 留言办结…)
        sentence = re.split(r"[。；]", text[m.end():], maxsplit=1)[0]
        done = _DONE.search(sentence)
        if done:
            stated.append(("total_processed", int(done.group(1)), "办结"))
        carried = _CARRIED.search(sentence)
        if carried:
            stated.append(("carried_over_out", int(carried.group(1)), "结转"))
    bad, ran = [], 0
    for key, n, what in stated:
        vec = requests.get(key)
        if not vec or vec[6] is None:
            continue
        ran += 1
        if vec[6] != n:
            bad.append(f"prose says {what} {n}, table says {vec[6]}")
    if not ran:
        return _check("narrative", None, "no counts stated in the prose")
    return _check("narrative", not bad, "; ".join(bad) or f"{ran} stated counts agree with the table")


def run_checks(report: dict, keys: list[str], prose: str) -> list[Check]:
    requests, appeals = report["requests"], report["appeals"]
    return [
        balance(requests),
        row_totals(requests),
        results_sum(requests, keys),
        appeals_totals(appeals),
        completeness(report["sections"], report["active"], requests, appeals, report["format"]),
        narrative(prose, requests),
    ]
