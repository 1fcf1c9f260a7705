"""Alerts: one digest per run of what went wrong *since the previous run*, sent through Apprise.

What is alertable (an "item": a key and its state):

- a compliance verdict `late` or `missing`           key verdict|<agency>|<year>     state = status
- a failed check of a judged report (or across reports) key check|<agency>|<year>|<check>  state = detail
- a body whose crawl health is `unreachable`, `broken` or `partial`
                                                  key health|<agency>        state = status

The state last *delivered* is kept in the `alert_state` table; an item alerts when its key is new or
its state differs (a body that recovers and breaks again alerts again; the same state never alerts
twice). When delivery fails the state is not advanced, so the next run sends the digest again.
Every digest is also written to the `alerts` table (shown in Datasette), delivered or not.

Targets are Apprise URLs (https://github.com/caronc/apprise/wiki): `mailtos://user:pass@host`,
`json://host:port/path` (POSTs JSON), `wecombot://KEY`, `dingtalk://TOKEN`, `feishu://TOKEN`, …
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from archive.health import as_database
from archive.schema import now

STATE_TABLE = "alert_state"
LOG_TABLE = "alerts"
MAX_LINES = 200  # a digest lists at most this many items (the rest is counted), chat bots cap length


class AlertConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Item:
    key: str
    state: str
    kind: str  # verdict | check | health
    agency: str
    year: int | None
    text: str  # one line for the digest


def current_items(db: Any) -> list[Item]:
    """Everything alertable in the archive right now (after check and health have run)."""
    d = as_database(db)
    tables = set(d.table_names())
    items: list[Item] = []
    if "compliance" in tables:
        for agency, year, status, due, published, days_late in d.execute(
            "SELECT agency, year, status, due, published, days_late FROM compliance"
            " WHERE status IN ('late', 'missing') ORDER BY agency, year"
        ):
            if status == "late":
                text = f"{agency} {year}年度报告 逾期 {days_late} 天 (late: due {due}, published {published})"
            else:
                text = f"{agency} {year}年度报告 未发现 (missing: due {due}, not found on its report column)"
            items.append(Item(f"verdict|{agency}|{year}", status, "verdict", agency, year, text))
    if "check_results" in tables and "reports" in tables:
        # report-level checks of current reports, and the checks across reports
        for agency, year, check, detail in d.execute(
            "SELECT c.agency, c.year, c.[check], c.detail FROM check_results c"
            " LEFT JOIN reports r ON r.id = c.report_id"
            " WHERE c.ok = 0 AND (c.scope = 'cross' OR r.current = 1) AND c.agency IS NOT NULL"
            " ORDER BY c.agency, c.year, c.[check], c.detail"
        ):
            detail = detail or ""
            items.append(Item(f"check|{agency}|{year}|{check}|{detail[:80]}", detail, "check", agency, year,
                              f"{agency} {year}: check {check} failed: {detail}"))
    if "crawl_health" in tables:
        for agency, status, reason in d.execute(
            "SELECT agency, status, reason FROM crawl_health WHERE status IN ('unreachable', 'broken', 'partial')"
            " ORDER BY agency"
        ):
            label = {"unreachable": "无法访问", "partial": "仅部分可见"}.get(status, "栏目异常")
            items.append(Item(f"health|{agency}", status, "health", agency, None,
                              f"{agency} 年报栏目{label} ({status}: {reason})"))
    # one item per key (two failing checks may share a truncated key: keep the first)
    return list({i.key: i for i in reversed(items)}.values())[::-1]


def _ensure_tables(d: sqlite_utils.Database) -> None:
    d.table(STATE_TABLE).create({"key": str, "state": str, "since": str}, pk="key", if_not_exists=True)
    d.table(LOG_TABLE).create(
        {"id": int, "time": str, "as_of": str, "items": int, "title": str, "body": str, "detail": str,
         "targets": int, "delivered": int, "error": str},
        pk="id", if_not_exists=True,
    )


def new_items(db: Any, items: Iterable[Item]) -> list[Item]:
    """The items whose key is new or whose state changed since the last delivered digest."""
    d = as_database(db)
    _ensure_tables(d)
    prev = {k: s for k, s in d.execute(f"SELECT key, state FROM {STATE_TABLE}")}
    return [i for i in items if prev.get(i.key) != i.state]


def digest(items: list[Item], as_of: str | None) -> tuple[str, str]:
    """(title, body) of one digest: grouped by kind, most serious first."""
    by_kind: dict[str, list[Item]] = defaultdict(list)
    for i in items:
        by_kind[i.kind].append(i)
    counts = []
    late = sum(1 for i in by_kind["verdict"] if i.state == "late")
    missing = sum(1 for i in by_kind["verdict"] if i.state == "missing")
    if late:
        counts.append(f"{late} late")
    if missing:
        counts.append(f"{missing} missing")
    if by_kind["health"]:
        counts.append(f"{len(by_kind['health'])} unreachable/broken/partial columns")
    if by_kind["check"]:
        counts.append(f"{len(by_kind['check'])} failed checks")
    title = f"gongkai: {', '.join(counts)}" + (f" (as of {as_of})" if as_of else "")
    lines: list[str] = []
    sections = (("verdict", "Reports late or missing 逾期/未发布"), ("health", "Report columns 年报栏目"),
                ("check", "Failed checks 校验未通过"))
    shown = 0
    for kind, heading in sections:
        if not by_kind[kind]:
            continue
        lines.append(f"{heading}:")
        for i in by_kind[kind]:
            if shown >= MAX_LINES:
                break
            lines.append(f"- {i.text}")
            shown += 1
        lines.append("")
    if shown < len(items):
        lines.append(f"… and {len(items) - shown} more (see the alerts table in `gongkai serve`)")
    return title, "\n".join(lines).strip()


def check_urls(urls: list[str]) -> None:
    """Fail early (before a long run) on a URL Apprise cannot use, naming it."""
    import apprise

    bad = [u for u in urls if not apprise.Apprise().add(u)]
    if bad:
        raise AlertConfigError("not a notification URL Apprise understands: " + ", ".join(bad))


def deliver(urls: list[str], title: str, body: str) -> str | None:
    """Send through Apprise; returns None on success, else an error naming the failed targets
    (with their secrets masked)."""
    import apprise

    check_urls(urls)
    ap = apprise.Apprise()
    ap.add(urls)
    result = ap.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT)
    if result:
        return None
    failed = [getattr(r, "url", "?") for r in (getattr(result, "results", None) or [])
              if "SUCCESS" not in str(getattr(r, "status", "")).upper()]
    return f"delivery failed for {len(failed)} of {len(urls)} targets: " + ", ".join(failed)


def run_alerts(db: Any, urls: list[str], as_of: str | None = None) -> dict[str, Any]:
    """Compute the new items, send one digest if there are any, advance the state when delivered.

    Without URLs the digest is only logged (and the state advanced): the alerts table is the inbox."""
    d = as_database(db)
    _ensure_tables(d)
    items = current_items(d)
    fresh = new_items(d, items)
    out: dict[str, Any] = {"items": len(items), "new": len(fresh), "sent": False, "error": None}
    if not fresh:
        _advance(d, items)  # resolved items leave the state: if they recur they alert again
        return out
    title, body = digest(fresh, as_of)
    error = deliver(urls, title, body) if urls else None
    with d.conn:
        d.table(LOG_TABLE).insert(
            {"time": now(), "as_of": as_of, "items": len(fresh), "title": title, "body": body,
             "detail": json.dumps([i.__dict__ for i in fresh], ensure_ascii=False),
             "targets": len(urls), "delivered": int(bool(urls) and error is None), "error": error}
        )
    out.update(title=title, sent=bool(urls) and error is None, error=error)
    if error is None:
        _advance(d, items)
    return out


def _advance(d: sqlite_utils.Database, items: list[Item]) -> None:
    """alert_state := the current items (keeping `since` for unchanged states), in one transaction."""
    prev = {k: (s, since) for k, s, since in d.execute(f"SELECT key, state, since FROM {STATE_TABLE}")}
    stamp = now()
    rows = [{"key": i.key, "state": i.state,
             "since": prev[i.key][1] if i.key in prev and prev[i.key][0] == i.state else stamp} for i in items]
    with d.conn:
        d.execute(f"DELETE FROM {STATE_TABLE}")
        if rows:
            d.table(STATE_TABLE).insert_all(rows, pk="key")
