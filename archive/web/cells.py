"""Datasette's table pages in Chinese: a cell's value as a reader sees it (a status, kind, check or
region in Chinese) and the links a cell becomes (a report, a stored copy, a WARC record)."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup, escape

from archive import regions
from archive.labels import (
    CHECK_LABELS,
    HEALTH_LABELS,
    KIND_LABELS,
    PARSE_STATUS_LABELS,
    SCOPE_LABELS,
    STATUS_LABELS,
    check_label,
    zh_text,
)
from archive.metadata import DB_NAME
from archive.web.charts import STATUS_COLORS
from archive.web.links import verdict_href, warc_href
from archive.web.page_data import original_record

EXCERPT = 200  # characters of a report's text shown in a table cell (the report page has it all)


# columns whose internal values are shown in Chinese on table pages (the JSON API keeps them)
_VALUE_LABELS: dict[str, dict[str, str]] = {
    "kind": KIND_LABELS,
    "parse_status": PARSE_STATUS_LABELS,
    "scope": SCOPE_LABELS,
}


def value_label(column: str, value: Any, table: str | None = None) -> str:
    """A column's value as a reader sees it (a status, kind, check or region in Chinese)."""
    if value is None or value == "":
        return ""
    text = str(value)
    if column == "status":
        labels = HEALTH_LABELS if table == "crawl_health" else STATUS_LABELS
        return f"{labels[text]}（{text}）" if text in labels else text
    if column == "check":
        return f"{check_label(text)}（{text}）" if text in CHECK_LABELS else text
    if column == "region" and text.isdigit():
        return f"{regions.name(text)}（{text}）"
    if column in _VALUE_LABELS and text in _VALUE_LABELS[column]:
        return f"{_VALUE_LABELS[column][text]}（{text}）"
    return text


def cell_html(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    """A table page's cell as Chinese or as a link, or None to leave it to Datasette."""
    if database != DB_NAME or value is None or value == "":
        return None
    if column in ("detail", "reason", "last_error") and isinstance(value, str):
        zh = zh_text(value)
        return Markup(escape(zh)) if zh != value else None
    labelled = _labelled(value, column, table, datasette)
    return labelled if labelled is not None else _linked(row, value, column, table, datasette)


def _labelled(value: Any, column: str, table: str | None, datasette: Any) -> Markup | None:
    """A value in Chinese with its internal name small beside it (a region links to its dashboard)."""
    if table == "report_text" and column == "text" and isinstance(value, str):
        more = len(value) - EXCERPT
        tail = f"…（共 {len(value)} 字，全文见年报页面）" if more > 0 else ""
        return Markup(f"{escape(value[:EXCERPT])}<small>{escape(tail)}</small>")
    if column == "region" and isinstance(value, str) and value.isdigit():
        href = datasette.urls.path("/?" + urlencode({"region": value}))
        return Markup(f'<a href="{html.escape(href)}" title="{html.escape(regions.full_name(value))}">'
                      f"{escape(regions.name(value))}</a> <small>{escape(value)}</small>")
    if column == "check" and isinstance(value, str):
        return Markup(f"{escape(check_label(value))} <small>{escape(value)}</small>")
    if column == "status" and table == "crawl_health" and value in HEALTH_LABELS:
        return Markup(f"{HEALTH_LABELS[value]} <small>{escape(value)}</small>")
    if column in _VALUE_LABELS and isinstance(value, str) and value in _VALUE_LABELS[column]:
        return Markup(f"{escape(_VALUE_LABELS[column][value])} <small>{escape(value)}</small>")
    return None


def _linked(row: Any, value: Any, column: str, table: str | None, datasette: Any) -> Any:
    """A value as a link: to a verdict, a WARC record, a report, a stored copy, the original page."""
    if column == "agency" and table == "compliance" and row is not None:
        try:
            year = row["year"]
        except (KeyError, IndexError, TypeError):
            year = None
        if isinstance(year, int):
            return Markup(f'<a href="{html.escape(verdict_href(datasette, value, year))}">{escape(value)}</a>')
    if column == "warc" and isinstance(value, str) and ":" in value:
        # a verdict's capture ("<file>:<offset>": compliance.warc, the `missing` query): the record
        # holding the page, the original response when a later crawl's record is a revisit
        sha = None
        for key in ("sha256", "capture"):
            try:
                sha = row[key]
                break
            except (KeyError, IndexError, TypeError):
                continue

        async def link() -> Markup | None:
            db = datasette.get_database(DB_NAME)
            href = (await original_record(datasette, db, {"warc": value, "sha256": sha}))[0]
            if not href:
                return None
            return Markup(f'<a href="{html.escape(href)}" title="{html.escape(value)}">WARC 记录</a>')

        return link()
    if column == "warc_offset" and table in ("fetches", "column_captures", "warc_payloads") and row is not None:
        try:
            name = row["warc_file"]
        except (KeyError, IndexError, TypeError):
            name = None
        href = warc_href(datasette, name, value) if isinstance(value, int) else None
        if href:
            return Markup(f'<a href="{html.escape(href)}">{value}</a>')
    if column == "report_id" or (table == "reports" and column == "id"):
        return Markup(
            f'<a href="{datasette.urls.path(f"/-/gongkai/report/{int(value)}")}">年报 {int(value)}</a>'
        )
    if column in ("sha256", "capture") and isinstance(value, str) and len(value) == 64:
        return Markup(
            f'<a href="{datasette.urls.path(f"/-/blob/{value}")}" title="{value}">存档副本 {value[:10]}…</a>'
        )
    if (
        column in ("url", "column_url")
        and isinstance(value, str)
        and value.startswith(("http://", "https://"))
    ):
        return Markup(f'<a href="{html.escape(value)}" rel="noopener noreferrer">{html.escape(value)}</a>')
    if column == "status" and table == "compliance" and value in STATUS_LABELS:
        return Markup(
            f'<span style="color:{STATUS_COLORS[value]};font-weight:bold">{STATUS_LABELS[value]}</span>'
            f" <small>{value}</small>"
        )
    return None

