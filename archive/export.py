"""`gongkai export`: the reports' numbers, one row per report, as CSV or JSON."""

from __future__ import annotations

import csv
import json
from typing import TextIO

from archive.columns import (
    ACTIVE_2019_COLUMNS,
    ACTIVE_2021_COLUMNS,
    APPEAL_COLUMN_NAMES,
    REQUEST_COLUMN_NAMES,
)
from archive.store import Archive

REPORT_COLUMNS = [
    "id",
    "agency",
    "agency_parsed",
    "region",
    "kind",
    "year",
    "format",
    "published",
    "portal_date",
    "parse_status",
    "checks_failed",
    "url",
    "sha256",
    "extractor_version",
]


def export_query(current_only: bool = True) -> tuple[str, list[str]]:
    cols = (
        [f"r.[{c}]" for c in REPORT_COLUMNS]
        + [f"q.[{c}]" for c in REQUEST_COLUMN_NAMES]
        + [f"a.[{c}]" for c in ACTIVE_2021_COLUMNS + ACTIVE_2019_COLUMNS]
        + [f"p.[{c}]" for c in APPEAL_COLUMN_NAMES]
    )
    names = (
        REPORT_COLUMNS
        + REQUEST_COLUMN_NAMES
        + ACTIVE_2021_COLUMNS
        + ACTIVE_2019_COLUMNS
        + APPEAL_COLUMN_NAMES
    )
    sql = (
        f"SELECT {', '.join(cols)} FROM reports r JOIN report_requests q ON q.report_id = r.id "
        "JOIN report_active a ON a.report_id = r.id JOIN report_appeals p ON p.report_id = r.id"
        + " WHERE r.parse_status IN ('ok', 'inconsistent', 'incomplete')"
        + (" AND r.current = 1" if current_only else "")
        + " ORDER BY r.agency, r.year, r.id"
    )
    return sql, names


def export_reports(arc: Archive, fmt: str, out: TextIO, current_only: bool = True) -> int:
    sql, names = export_query(current_only)
    n = 0
    if fmt == "csv":
        w = csv.writer(out)
        w.writerow(names)
        for row in arc.db.execute(sql):
            w.writerow(["" if v is None else v for v in row])
            n += 1
    else:
        out.write("[")
        for row in arc.db.execute(sql):
            out.write(
                ("," if n else "") + "\n" + json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False)
            )
            n += 1
        out.write("\n]\n")
    return n
